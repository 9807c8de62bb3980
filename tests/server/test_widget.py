"""The widget's files as the server sends them: local only, a strict policy, a pinned client."""

from __future__ import annotations

import hashlib
import json
import re

import httpx

from payable.web.widget import ASSETS, CSP

MANIFEST = json.loads((ASSETS / "graphql-ws.json").read_text())


async def test_widget_page_loads_only_its_own_files(client: httpx.AsyncClient) -> None:
    page = await client.get("/widget")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources == [
        "data:,",  # no favicon request
        "/widget/assets/widget.css",
        "/widget/assets/graphql-ws.min.js",
        "/widget/assets/widget.js",
    ]
    assert "<script>" not in page.text and "style=" not in page.text  # nothing inline
    for source in sources[1:]:
        asset = await client.get(source)
        assert asset.status_code == 200, source
    script = (await client.get("/widget/assets/widget.js")).text
    assert not re.search(r"https?://", script)  # every request goes to the page's own origin


async def test_widget_policy_allows_this_server_only(client: httpx.AsyncClient) -> None:
    page = await client.get("/widget")
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in page.headers["content-security-policy"].split(";")
    )
    assert page.headers["content-security-policy"] == CSP
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == policy["style-src"] == policy["connect-src"] == "'self'"
    assert page.headers["referrer-policy"] == "no-referrer"


async def test_vendored_client_is_the_pinned_npm_file(client: httpx.AsyncClient) -> None:
    served = (await client.get("/widget/assets/graphql-ws.min.js")).content
    assert MANIFEST["package"] == "graphql-ws"
    assert re.fullmatch(r"\d+\.\d+\.\d+", MANIFEST["version"])
    assert MANIFEST["integrity"].startswith("sha512-")
    assert hashlib.sha256(served).hexdigest() == MANIFEST["sha256"]
    assert b"graphqlWs" in served  # the browser build, defining the global the widget uses
