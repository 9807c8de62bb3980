"""GraphiQL from files this server ships, so it works with no internet and under a strict CSP.

The assets (GraphiQL, React, graphql-ws, the explorer plugin) come from the pinned PyPI package
``graphene-django-graphiql-static``, which is nothing but those built files; we never import its
Django parts, only read the files. Outside production the page opens with a token of the demo
tenant in its Headers tab, so a newcomer's first query just works.
"""

from __future__ import annotations

import json
from datetime import timedelta
from importlib.resources import files
from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from payable.core.principal import Role
from payable.core.tokens import issue
from payable.settings import Settings
from payable.web.security_headers import policy

ASSETS = Path(
    str(files("graphene_django_graphiql_static") / "static" / "graphene_django_graphiql_static")
)
PREFIX = "/graphiql/assets"
DEMO_TENANT = "demo"
# Loaded in this order: React first, GraphiQL (which needs it), then what plugs into GraphiQL.
SCRIPTS = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphql-ws.min.js",
    "graphiql-plugin-explorer.umd.js",
)
STYLES = ("graphiql.min.css", "style.css")
# Everything the page loads comes from this server; the page's own script is inline.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:"
)

_PAGE = """<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>payable · GraphiQL</title>
<style>body {{ height: 100%; margin: 0; width: 100%; overflow: hidden; }}
#graphiql {{ height: 100vh; }}</style>
{styles}
{scripts}
</head>
<body>
<div id="graphiql">Loading…</div>
<script>
const url = window.location.href.split("?")[0].split("#")[0];
const wsUrl = url.replace(/^http/, "ws");
const defaultHeaders = {headers};
const fetcher = GraphiQL.createFetcher({{
  url: url,
  wsClient: graphqlWs.createClient({{
    url: wsUrl,
    // The Headers tab as GraphiQL keeps it: subscriptions authenticate in connection_init.
    connectionParams: () =>
      JSON.parse(localStorage.getItem("graphiql:headers") || defaultHeaders || "{{}}"),
  }}),
}});
function Page() {{
  const [query, setQuery] = React.useState(undefined);
  const explorer = GraphiQLPluginExplorer.useExplorerPlugin({{ query: query, onEdit: setQuery }});
  return React.createElement(GraphiQL, {{
    fetcher: fetcher,
    query: query,
    onEditQuery: setQuery,
    plugins: [explorer],
    defaultHeaders: defaultHeaders,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
    defaultEditorToolsVisibility: defaultHeaders ? "headers" : true,
  }});
}}
ReactDOM.render(React.createElement(Page), document.getElementById("graphiql"));
</script>
</body>
</html>
"""


def assets() -> Mount:
    return Mount(PREFIX, app=StaticFiles(directory=ASSETS), name="graphiql-assets")


def demo_headers(settings: Settings, secret: str) -> str | None:
    """The Headers tab's first contents: a demo admin's token, outside production only."""
    if settings.environment == "production":
        return None
    token = issue(
        secret=secret, tenant=DEMO_TENANT, role=Role.ADMIN, sub="graphiql", ttl=timedelta(days=1)
    )
    return json.dumps({"Authorization": f"Bearer {token}"}, indent=2)


def page(headers: str | None) -> HTMLResponse:
    html = _PAGE.format(
        styles="\n".join(f'<link rel="stylesheet" href="{PREFIX}/{name}">' for name in STYLES),
        scripts="\n".join(f'<script src="{PREFIX}/{name}"></script>' for name in SCRIPTS),
        # JSON of a JSON string: a JavaScript string literal; '<' escaped so no tag can close.
        headers=json.dumps(headers).replace("<", "\\u003c") if headers else "undefined",
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": policy(CSP)})
