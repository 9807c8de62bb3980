"""The sandbox plugs itself into the provider registry: the registry names no test gateway."""

from __future__ import annotations

from payable.db.engine import Database
from payable.providers import registry
from payable.sandbox.gateway import SandboxGateway
from payable.settings import Settings


def _build(db: Database, settings: Settings) -> SandboxGateway:
    # The sandbox stands in for a remote system: its own small pool, so the app waiting on it
    # while holding a connection can never starve it of one.
    return SandboxGateway(
        Database(db.url, pool_size=3),
        public_url=settings.public_url,
        secrets=settings.sandbox_secrets,
        refund_answer=settings.sandbox_refund_answer,
    )


def plug_in() -> None:
    """Idempotent; every entry point that builds ``Providers`` calls it first."""
    registry.plug("sandbox", _build, test_money=True)
