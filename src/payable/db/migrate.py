"""Run Alembic's migrations from code (``payable migrate``, ``payable serve``, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from payable.db.engine import normalize_url

# The source checkout's migrations/ (editable installs), else migrations/ in the working directory.
_CHECKOUT = Path(__file__).resolve().parents[3] / "migrations"
MIGRATIONS = _CHECKOUT if _CHECKOUT.is_dir() else Path.cwd() / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (runs its own event loop)."""
    command.upgrade(alembic_config(url), "head")
