"""Every amount a mutation takes, checked in one place before its transaction opens.

The Decimal scalar reads what it can (``MalformedAmount`` when it cannot); here each amount
anywhere in the input, however nested, is held to the form money takes (finite, within
``MAX_AMOUNT``, two decimals), so no service can be handed 1e309 and fail on it with a 500.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from payable.core import money
from payable.core.money import MalformedAmount


def check(request: Any) -> None:
    """Raise INVALID_AMOUNT naming the field (``price.amount``) of the first unfit amount."""
    stack: list[tuple[str, Any]] = [("", request)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, Decimal | MalformedAmount | float):
            money.check_form(value, field=where or "amount")
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            stack.extend(
                (_join(where, f.name), getattr(value, f.name)) for f in dataclasses.fields(value)
            )
        elif isinstance(value, list | tuple):
            stack.extend((f"{where}.{i}", item) for i, item in enumerate(value))


def _join(where: str, name: str) -> str:
    head, *rest = name.split("_")
    camel = head + "".join(part.title() for part in rest)
    return f"{where}.{camel}" if where else camel
