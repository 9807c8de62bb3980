"""Money: Decimal amounts with an ISO currency; never floats, never mixed currencies."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from payable.core.errors import CommonRefusal

# All supported currencies have two minor digits (ISO 4217); amounts are stored as numeric(14, 2).
MINOR_DIGITS = 2
_QUANTUM = Decimal(1).scaleb(-MINOR_DIGITS)
MAX_AMOUNT = Decimal("999999999999.99")


class Currency(enum.StrEnum):
    AMD = "AMD"
    USD = "USD"
    EUR = "EUR"
    RUB = "RUB"


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: Currency


@dataclass(frozen=True, slots=True)
class MalformedAmount:
    """What the API received where an amount belongs but could not read (or a float)."""

    raw: object

    def __str__(self) -> str:
        return repr(self.raw)


def parse_amount(value: object, *, field: str, allow_zero: bool = False) -> Decimal:
    """A positive amount with at most two decimals, or a DomainError naming ``field``."""
    if isinstance(value, MalformedAmount | float):
        raise CommonRefusal.INVALID_AMOUNT.error(
            field, f'{value} is not a decimal amount; send a string such as "15000.00"'
        )
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise CommonRefusal.INVALID_AMOUNT.error(
            field, f"{value!r} is not a decimal amount"
        ) from None
    if not amount.is_finite():
        raise CommonRefusal.INVALID_AMOUNT.error(field, "amount must be a finite number")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise CommonRefusal.INVALID_AMOUNT.error(field, "amount must be greater than zero")
    if amount > MAX_AMOUNT:  # before quantizing, which cannot hold a huge exponent such as 1e400
        raise CommonRefusal.INVALID_AMOUNT.error(field, "amount is too large")
    if amount != amount.quantize(_QUANTUM):
        raise CommonRefusal.INVALID_AMOUNT.error(
            field, f"amount has more than {MINOR_DIGITS} decimal places"
        )
    return amount.quantize(_QUANTUM)


def check_form(value: object, *, field: str) -> None:
    """Refuse (INVALID_AMOUNT) what cannot be an amount in any currency: unreadable, a float,
    not finite, too large or finer than the minor unit. The sign is each rule's own to judge."""
    if isinstance(value, Decimal) and value.is_finite() and value < 0:
        value = -value
    parse_amount(value, field=field, allow_zero=True)
