"""The CRM widget at /widget: one day's bookings with their payment status, live.

Static files only, no build step: the page, its script and style, and graphql-ws's browser
build from npm, pinned by version and hash in widget_assets/graphql-ws.json (``make
vendor-widget`` fetches it again and checks it). The token arrives in the URL's fragment
(``/widget#token=…``, which browsers never send to a server) or is pasted into the page, and
is kept in the tab's sessionStorage only.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

ASSETS = Path(__file__).with_name("widget_assets")
PATH = "/widget"
# Everything from this server and nothing inline; 'self' covers the same origin's ws:/wss:.
# Framing stays open: the widget is made to sit in a CRM's page, and it only reads.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
    " img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors *"
)


async def page(_: Request) -> FileResponse:
    return FileResponse(
        ASSETS / "index.html",
        headers={"Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer"},
    )


def url(base: str, token: str) -> str:
    """The widget's address with a token in its fragment."""
    return f"{base}{PATH}#token={token}"


routes = [
    Route(PATH, page, methods=["GET"]),
    Mount(f"{PATH}/assets", app=StaticFiles(directory=ASSETS), name="widget-assets"),
]
