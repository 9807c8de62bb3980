"""Cursor pagination arguments: page size limits and opaque cursors."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from graphql import GraphQLError

from payable.settings import get_settings


def page_size(first: int | None, *, default: int = 20) -> int:
    """``first`` within 0..max_page_size, or a clear GraphQL error."""
    limit = get_settings().max_page_size
    if first is None:
        return min(default, limit)
    if first < 0:
        raise GraphQLError("`first` must not be negative", extensions={"code": "INVALID_PAGE_SIZE"})
    if first > limit:
        raise GraphQLError(
            f"`first` may be at most {limit}; page with `after` for more",
            extensions={"code": "PAGE_SIZE_TOO_LARGE"},
        )
    return first


def encode_cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        parts = None
    if not isinstance(parts, list):
        raise GraphQLError(
            "`after` is not a cursor this API issued", extensions={"code": "INVALID_CURSOR"}
        )
    return parts


def sequence_cursor(after: str | None) -> int | None:
    """An event sequence given as ``after`` (timelines and subscriptions), or a clear error."""
    if after is None:
        return None
    # Sequences are PostgreSQL bigints: a longer number names no event (and asyncpg would
    # refuse to send it).
    if not (after.isascii() and after.isdigit()) or len(after) > 19 or int(after) > _MAX_SEQUENCE:
        raise GraphQLError(
            "`after` must be an event sequence", extensions={"code": "INVALID_CURSOR"}
        )
    return int(after)


_MAX_SEQUENCE = 2**63 - 1
