"""The Payable-Signature header: ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">``.

The timestamp is inside what is signed, so a receiver can refuse old replays; the scheme is
Stripe's, so integrators verify it with a few lines in any language (see the README).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp``."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(*, secret: str, header: str, body: bytes) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` (what a receiver does)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    if not parts.get("t", "").isdigit() or "v1" not in parts:
        return False
    expected = signature(secret=secret, timestamp=int(parts["t"]), body=body)
    return hmac.compare_digest(expected.rsplit("=", 1)[1], parts["v1"])
