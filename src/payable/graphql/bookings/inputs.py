"""Input fields every create mutation shares, and their translation to the domain."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from payable.bookings.refusals import CREATING
from payable.bookings.schedule import InstallmentSpec
from payable.bookings.service import BookingBasics
from payable.core.money import Currency, Money, parse_amount
from payable.customers.refusals import CustomerRefusal
from payable.graphql.types.common import MoneyInput
from payable.policies.refusals import PolicyRefusal


@strawberry.input(
    description="One line of a schedule. The lines' amounts must add up to the price."
)
class InstallmentInput:
    amount: Decimal
    due_date: date
    grace_days: int | None = 0
    label: str | None = None
    currency: Currency | None = strawberry.field(
        default=None, description="Optional; when given it must be the price's currency."
    )


@strawberry.input
class BookingInputBase:
    customer_ref: str = strawberry.field(
        description="The customer's id in the CRM; found or created."
    )
    crm_reference: str | None = None
    policy_code: str | None = strawberry.field(
        default=None, description="Defaults to the tenant's default policy for the booking kind."
    )
    price: MoneyInput
    installments: list[InstallmentInput] | None = strawberry.field(
        default=None, description="When absent, the whole price is one installment due at once."
    )


def basics(data: BookingInputBase) -> BookingBasics:
    """Translate the shared fields; raises DomainError on a bad price."""
    price = Money(
        parse_amount(data.price.amount, field="price.amount"), Currency(data.price.currency)
    )
    specs = None
    if data.installments is not None:
        specs = [
            InstallmentSpec(
                i.amount,
                i.due_date,
                i.grace_days,
                i.label,
                Currency(i.currency) if i.currency else None,
            )
            for i in data.installments
        ]
    return BookingBasics(data.customer_ref, data.crm_reference, data.policy_code, price, specs)


# What any create mutation can answer about the fields every booking shares.
CREATE_REFUSALS = (
    *CREATING,
    CustomerRefusal.INVALID_CUSTOMER_REF,
    PolicyRefusal.UNKNOWN_POLICY,
    PolicyRefusal.POLICY_KIND_MISMATCH,
)
