"""When a production server may not start: test money, a made-up address, a guessable secret.

Each refusal is one sentence naming the setting to change. Development and demo never refuse
here (the sandbox guard aside): `make run` needs no settings at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from payable.sandbox import guard as sandbox_guard
from payable.settings import Settings

# HS256 with a shorter key is guessable offline from any one token (RFC 7518 asks >= 256 bits).
MIN_SECRET_LENGTH = 32
_ESCAPE = "or set PAYABLE_ENV=development (or demo) for a test server"
# Example files mark the values to replace so; one left in place is published, not secret.
_PLACEHOLDER = re.compile(r"change[-_ ]?me", re.IGNORECASE)
# Addresses a server listens on or reaches itself by, which no payer's browser or gateway can.
_NOT_PUBLIC = {"0.0.0.0", "::", "localhost", "127.0.0.1", "::1"}


class RefusedToStart(RuntimeError):
    """Production settings that would serve unsafely."""


def problems(settings: Settings, jwt_secret: str | None) -> Iterator[str]:
    """Every reason these settings may not serve, the sandbox's first."""
    sandbox = sandbox_guard.refusal(settings)
    if sandbox is not None:
        yield sandbox
    if settings.environment != "production":
        return
    if not is_public(settings):
        yield (
            f"Refusing to start in production: PAYABLE_PUBLIC_URL is {settings.public_url!r}, an"
            " address payers' browsers and gateways cannot reach, so payment links and callbacks"
            f" would lead nowhere; set it to this server's public https address, {_ESCAPE}."
        )
    if not jwt_secret or len(jwt_secret) < MIN_SECRET_LENGTH:
        yield (
            "Refusing to start in production: PAYABLE_JWT_SECRET is unset or shorter than"
            f" {MIN_SECRET_LENGTH} characters, so tokens could be forged; set a random one"
            f" (python -c 'import secrets; print(secrets.token_urlsafe(48))'), {_ESCAPE}."
        )
    metrics = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    for name, value in (
        ("PAYABLE_JWT_SECRET", jwt_secret or ""),
        ("PAYABLE_METRICS_TOKEN", metrics),
    ):
        if _PLACEHOLDER.search(value):
            yield (
                f"Refusing to start in production: {name} is an example file's placeholder"
                f" (it says CHANGE-ME), published with the file; set a random one, {_ESCAPE}."
            )


def refusal(settings: Settings, jwt_secret: str | None) -> str | None:
    """The first reason these settings may not serve, or None when they may."""
    return next(problems(settings, jwt_secret), None)


def check(settings: Settings, jwt_secret: str | None) -> None:
    """Raise (with that sentence) when these settings may not serve."""
    sandbox_guard.check(settings)
    reason = refusal(settings, jwt_secret)
    if reason is not None:
        raise RefusedToStart(reason)


def is_public(settings: Settings) -> bool:
    """Whether PAYABLE_PUBLIC_URL was set to an address others can reach."""
    if "public_url" not in settings.model_fields_set:
        return False  # the default names this machine's loopback
    parts = urlsplit(settings.public_url)
    return parts.scheme in ("http", "https") and (parts.hostname or "") not in {"", *_NOT_PUBLIC}
