"""What the verticals' demo seeds share: bookings in AMD for a made-up customer."""

from __future__ import annotations

from payable.bookings.schedule import InstallmentSpec
from payable.bookings.service import BookingBasics
from payable.core.money import Currency, Money, parse_amount


def basics(
    customer: str, price: str, installments: list[InstallmentSpec] | None = None
) -> BookingBasics:
    money = Money(parse_amount(price, field="price"), Currency.AMD)
    return BookingBasics(customer, f"crm-{customer}", None, money, installments)
