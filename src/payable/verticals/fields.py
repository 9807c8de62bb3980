"""Validation shared by the verticals' own fields."""

from __future__ import annotations

from payable.bookings.refusals import BookingRefusal
from payable.core import text


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def require_text(value: str, name: str, *, max_length: int = text.REFERENCE_MAX) -> None:
    """Ids from the CRM: present (``INVALID_FIELD``) and within ``max_length``
    (``TEXT_TOO_LONG``)."""
    if not text.limit(value, field=_camel(name), max_length=max_length):
        raise BookingRefusal.INVALID_FIELD.error(_camel(name), f"{_camel(name)} must not be blank")
