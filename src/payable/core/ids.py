"""Relay global ids: base64url of ``TypeName:uuid``, opaque to clients."""

from __future__ import annotations

import base64
import binascii
import uuid
from functools import lru_cache

from payable.core.errors import NotFound


# A page of bookings shows some 700 ids, mostly the same ones request after request; a hit
# costs a tenth of formatting the uuid and encoding it again.
@lru_cache(maxsize=16384)
def to_global_id(type_name: str, local_id: uuid.UUID) -> str:
    raw = f"{type_name}:{local_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, uuid.UUID]:
    """Decode a global id; anything malformed is reported as not found."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, local = base64.urlsafe_b64decode(padded).decode().partition(":")
        return type_name, uuid.UUID(local)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise NotFound("object") from None


def local_id(global_id: str, *type_names: str, field: str | None = None) -> uuid.UUID:
    """The uuid behind ``global_id`` if it names one of ``type_names``; NOT_FOUND otherwise."""
    try:
        type_name, value = from_global_id(global_id)
    except NotFound:
        raise NotFound("object", field) from None
    if type_names and type_name not in type_names:
        raise NotFound(type_names[0], field)
    return value
