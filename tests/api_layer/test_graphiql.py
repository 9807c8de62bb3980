"""GraphiQL is served from this server's own files: no CDN, the demo token filled in outside
production."""

from __future__ import annotations

import json
import re

import httpx
from asgi_lifespan import LifespanManager

from payable.app import create_app
from payable.core.tokens import verify
from payable.settings import Settings
from tests.conftest import JWT_SECRET

HTML = {"Accept": "text/html"}


def _sources(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


async def test_graphiql_loads_only_local_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers=HTML)
    assert page.status_code == 200
    assert "unpkg.com" not in page.text and "cdn" not in page.text.lower()
    sources = _sources(page.text)
    assert sources == [
        "/graphiql/assets/graphiql.min.css",
        "/graphiql/assets/style.css",
        "/graphiql/assets/react.production.min.js",
        "/graphiql/assets/react-dom.production.min.js",
        "/graphiql/assets/graphiql.min.js",
        "/graphiql/assets/graphql-ws.min.js",
        "/graphiql/assets/graphiql-plugin-explorer.umd.js",
    ]
    for source in sources:
        asset = await client.get(source)
        assert asset.status_code == 200, source
        assert len(asset.content) > 500, source
    react = (await client.get("/graphiql/assets/react.production.min.js")).text
    assert "React v17.0.2" in react
    # a strict policy: scripts and connections go to this server only
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy


async def test_graphiql_opens_with_a_demo_token_in_development(client: httpx.AsyncClient) -> None:
    page = (await client.get("/graphql", headers=HTML)).text
    literal = re.search(r"const defaultHeaders = (.*);", page).group(1)  # type: ignore[union-attr]
    headers = json.loads(json.loads(literal))
    scheme, token = headers["Authorization"].split(" ")
    assert scheme == "Bearer"
    assert verify(token, secret=JWT_SECRET) == ("graphiql", "demo", "admin")


async def test_graphiql_has_no_token_in_production(database_url: str) -> None:
    settings = Settings(
        env="production",
        default_provider="arca",
        public_url="https://pay.example.am",
        graphiql=True,  # off in production unless enabled
        workers_enabled=False,
        arca_username="u",
        arca_password="p",
    )
    application = create_app(database_url=database_url, jwt_secret=JWT_SECRET, settings=settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as http:
            page = (await http.get("/graphql", headers=HTML)).text
    assert "const defaultHeaders = undefined;" in page
    assert "Bearer" not in page
