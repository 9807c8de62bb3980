"""How values are written into an event's ``data``: one casing, one form per type.

Keys are camelCase (the API's casing); datetimes are UTC ISO 8601; dates ISO; money is
``{"amount": "0.00", "currency": "AMD"}``; enums their value. Everything else is a string.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from payable.core.money import Money


def camel(name: str) -> str:
    """``slot_start`` -> ``slotStart``; a name already camelCase stays as it is."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": f"{amount:.2f}", "currency": str(currency)}


def encode(value: Any) -> Any:
    """One value as it is stored in an event."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:  # a naive datetime here is a bug: every stored one is aware
            raise ValueError(f"naive datetime {value!r} in event data")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Money):
        return money(value.amount, value.currency)
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, Mapping):
        return encode_keys(value)
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return str(value)


def encode_keys(values: Mapping[str, Any]) -> dict[str, Any]:
    """A mapping with camelCase keys and encoded values."""
    return {camel(k): encode(v) for k, v in values.items()}
