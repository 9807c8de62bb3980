"""ISO 4217 numeric codes and amount conversions shared by the gateway adapters.

Gateways speak numeric currency codes and either integer minor units (ArCa) or decimal major
units (Ameriabank). Every conversion here is exact: anything that would round, or that arrives
as a float, a bool or a non-finite number, raises ``ValueError`` instead.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from payable.core.money import MINOR_DIGITS, Currency, Money

_NUMERIC: dict[Currency, str] = {
    Currency.AMD: "051",
    Currency.USD: "840",
    Currency.EUR: "978",
    Currency.RUB: "643",
}
_BY_NUMERIC: dict[str, Currency] = {code: currency for currency, code in _NUMERIC.items()}
_QUANTUM = Decimal(1).scaleb(-MINOR_DIGITS)


class UnsupportedCurrency(ValueError):
    """A well-formed ISO code for a currency ``Money`` cannot hold: not transient, not ours."""


def numeric_code(currency: Currency) -> str:
    """The three-digit ISO 4217 code, zero-padded as the gateways expect ("051")."""
    return _NUMERIC[currency]


def currency_for_numeric(code: object) -> Currency:
    """The currency a gateway named; accepts "051", "51" or 51 (gateways differ on padding)."""
    if isinstance(code, bool) or not isinstance(code, int | str):
        raise ValueError(f"currency code {code!r} is not a numeric ISO 4217 code")
    text = str(code).strip()
    if not text.isdigit() or len(text) > 3:
        raise ValueError(f"currency code {code!r} is not a numeric ISO 4217 code")
    try:
        return _BY_NUMERIC[text.zfill(3)]
    except KeyError:
        raise UnsupportedCurrency(f"unsupported currency code {text}") from None


def to_minor_units(money: Money) -> int:
    """Exact integer minor units (AMD 150.00 -> 15000); refuses fractions of a minor unit."""
    minor = _exact_decimal(money.amount).scaleb(MINOR_DIGITS)
    if minor != minor.to_integral_value():
        raise ValueError(f"{money.amount} has more than {MINOR_DIGITS} decimal places")
    return int(minor)


def from_minor_units(value: object, currency: Currency) -> Money:
    """Money from a gateway's integer minor units (an int or a string of digits)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"minor-unit amount {value!r} is not an integer")
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError(f"minor-unit amount {value!r} is not a non-negative integer")
    return Money(Decimal(int(text)).scaleb(-MINOR_DIGITS).quantize(_QUANTUM), currency)


def to_major_string(money: Money) -> str:
    """Decimal major units with exactly two digits, as Ameriabank takes them ("10.00")."""
    amount = _exact_decimal(money.amount)
    if amount != amount.quantize(_QUANTUM):
        raise ValueError(f"{money.amount} has more than {MINOR_DIGITS} decimal places")
    return str(amount.quantize(_QUANTUM))


def from_major(value: object, currency: Currency) -> Money:
    """Money from decimal major units (a Decimal from JSON parsed with parse_float=Decimal,
    an int or a decimal string); never a float."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ValueError(f"amount {value!r} is not a decimal")
    try:
        amount = _exact_decimal(Decimal(value))
    except InvalidOperation:
        raise ValueError(f"amount {value!r} is not a decimal") from None
    if amount < 0 or amount != amount.quantize(_QUANTUM):
        raise ValueError(f"amount {value!r} is negative or has more than two decimal places")
    return Money(amount.quantize(_QUANTUM), currency)


def _exact_decimal(amount: object) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"amount {amount!r} is not a finite Decimal")
    return amount
