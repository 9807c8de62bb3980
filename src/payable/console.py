"""What ``payable serve`` shows a person: a handful of lines, then "ready".

The embedded database's own output (initdb, pg_ctl command lines) and Alembic's step-by-step
lines go to a log file in the data directory instead of the terminal.
"""

from __future__ import annotations

import logging
import socket
from importlib.metadata import version
from pathlib import Path

import typer
import uvicorn
from sqlalchemy.engine import make_url

from payable.settings import Settings
from payable.web import widget

CHATTY = ("pgserver", "alembic")
LOG_FILE = "setup.log"


def route_chatter(data_dir: Path) -> Path:
    """Send the embedded database's and the migrations' INFO lines to data_dir/setup.log."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOG_FILE
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    for name in CHATTY:
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
        logger.setLevel(logging.INFO)
    return path


def where_data_lives(settings: Settings, url: str) -> str:
    if settings.database_url:
        shown = make_url(url).render_as_string(hide_password=True)
        return f"database: {shown}"
    folder = Path(settings.data_dir).resolve()
    return f"data:     {folder} (PostgreSQL's messages: {folder / LOG_FILE})"


def banner(*, settings: Settings, url: str, host: str, port: int, token: str | None) -> str:
    base = f"http://{_shown_host(host)}:{port}"
    mode = settings.environment
    money = "test money only, sandbox gateway" if settings.sandbox_enabled else "real gateways"
    lines = [
        f"payable {version('payable')}: {mode} mode, {money}",
        where_data_lives(settings, url),
    ]
    if settings.sandbox_enabled:
        lines.append(f"GraphiQL: {base}/graphql (opens with the demo tenant's token filled in)")
    else:
        lines.append(f"GraphiQL: {base}/graphql (send a token: payable token --help)")
    if token is not None:
        lines.append(f'headers:  {{"Authorization": "Bearer {token}"}}')
        lines.append(f"widget:   {widget.url(base, token)} (today's bookings, live)")
    lines.append(f"metrics:  {base}/metrics · health: {base}/readyz")
    return "\n".join(lines)


def _shown_host(host: str) -> str:
    return socket.gethostname() if host in ("0.0.0.0", "::") else host


class ReadyServer(uvicorn.Server):
    """uvicorn, saying "ready" in one line once it listens (its own startup lines are quiet)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            address = f"http://{_shown_host(self.config.host)}:{self.config.port}"
            typer.echo(f"ready: {address} (Ctrl+C stops)")
