"""The JWT secret: from PAYABLE_JWT_SECRET, or generated once and kept in the data directory."""

from __future__ import annotations

import secrets
from pathlib import Path

from payable.settings import Settings


def jwt_secret(settings: Settings) -> str:
    if settings.jwt_secret:
        return settings.jwt_secret
    if settings.database_url:
        raise SystemExit(
            "Set PAYABLE_JWT_SECRET: a generated secret is only for the embedded database."
        )
    path = Path(settings.data_dir) / "jwt-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
