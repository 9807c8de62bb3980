"""Scalars-adjacent building blocks: enums, Money, UserError, PageInfo and the Node interface."""

from __future__ import annotations

import uuid
from decimal import Decimal

import strawberry

from payable.bookings import enums as booking_enums
from payable.core import ids
from payable.core.errors import DomainError
from payable.core.money import Currency as DomainCurrency
from payable.graphql.types.kinds import BookingKind as BookingKind  # where it always was
from payable.payments.enums import PaymentRequestStatus as DomainPaymentRequestStatus
from payable.payments.enums import PaymentState as DomainPaymentState
from payable.refunds.enums import RefundStatus as DomainRefundStatus

Currency = strawberry.enum(DomainCurrency, name="Currency")
BookingStatus = strawberry.enum(booking_enums.BookingStatus, name="BookingStatus")
PaymentStatus = strawberry.enum(booking_enums.PaymentStatus, name="PaymentStatus")
PaymentRequestStatus = strawberry.enum(DomainPaymentRequestStatus, name="PaymentRequestStatus")
RefundStatus = strawberry.enum(DomainRefundStatus, name="RefundStatus")
PaymentState = strawberry.enum(
    DomainPaymentState,
    name="PaymentState",
    description="VERIFIED: counted toward the booking. HELD: captured at the gateway but not"
    " counted (late, on a closed or withdrawn link, a different amount, more than was owed): it"
    " waits for a person to accept or return it. RETURNED: held money sent back to the payer.",
)


@strawberry.interface(
    description="Relay global object identification: `node(id:)` resolves any of them."
)
class Node:
    @strawberry.field(description="Opaque global id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(ids.to_global_id(type(self).__name__, self.local_id()))

    def local_id(self) -> uuid.UUID:
        raise NotImplementedError


@strawberry.type(
    description="An amount in one currency. Amounts are decimal strings, never floats."
)
class Money:
    amount: Decimal
    currency: Currency

    @classmethod
    def of(cls, amount: Decimal, currency: str) -> Money:
        return cls(amount=amount, currency=_CURRENCIES[currency])


# A page shows a thousand amounts: a dict look-up, not an Enum call, per amount.
_CURRENCIES = {currency.value: currency for currency in DomainCurrency}


@strawberry.input(description="An amount with its currency.")
class MoneyInput:
    amount: Decimal
    currency: Currency


@strawberry.type(
    description="A refusal: `code` is stable and meant for programs, `message` for people."
)
class UserError:
    code: str
    field: str | None
    message: str

    @classmethod
    def from_domain(cls, error: DomainError) -> UserError:
        return cls(code=error.code, field=error.field, message=error.message)


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
