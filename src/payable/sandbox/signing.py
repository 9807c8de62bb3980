"""Sandbox callback signatures: HMAC-SHA256 over "<timestamp>.<raw body>", five-minute window."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

from payable.providers.base import InvalidCallback

TIMESTAMP_HEADER = "sandbox-timestamp"
SIGNATURE_HEADER = "sandbox-signature"
WINDOW_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    timestamp = int(now if now is not None else time.time())
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        "content-type": "application/json",
    }


def verify(
    secrets: list[str], headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> None:
    """Accept a signature by any active secret (two during a rotation), within the window."""
    try:
        timestamp = int(headers[TIMESTAMP_HEADER])
        signature = headers[SIGNATURE_HEADER]
    except (KeyError, ValueError):
        raise InvalidCallback("missing or malformed signature headers") from None
    if abs((now if now is not None else time.time()) - timestamp) > WINDOW_SECONDS:
        raise InvalidCallback("timestamp outside the five-minute window")
    if not any(hmac.compare_digest(sign(s, timestamp, body), signature.lower()) for s in secrets):
        raise InvalidCallback("signature does not match")
