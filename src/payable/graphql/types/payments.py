"""Payment requests (links) and verified payments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from payable.core import clock
from payable.graphql.context import ctx
from payable.graphql.types.common import (
    Money,
    Node,
    PaymentRequestStatus,
    PaymentState,
    UserError,
)
from payable.graphql.types.schedule import Installment
from payable.payments.enums import PaymentState as DomainPaymentState
from payable.payments.models import Payment as PaymentRow
from payable.payments.models import PaymentRequest as PaymentRequestRow
from payable.payments.models import request_status_at
from payable.providers.base import is_test_money

if TYPE_CHECKING:
    from payable.graphql.types.booking import PayableBooking

TEST_MODE = (
    "True for the sandbox test gateway: test money that never moved, never a real payment."
    " Only development and demo servers have it."
)

BookingRef = Annotated["PayableBooking", strawberry.lazy("payable.graphql.types.booking")]


async def _booking(info: strawberry.Info, booking_id: uuid.UUID) -> BookingRef:
    from payable.graphql.types.booking import to_graphql

    view = await ctx(info).loaders.booking.load(booking_id)
    return to_graphql(view)


@strawberry.type(
    description="A payment link for one installment, with its amount, currency and expiry."
)
class PaymentRequest(Node):
    row: strawberry.Private[PaymentRequestRow]

    def local_id(self) -> uuid.UUID:
        return self.row.id

    @strawberry.field
    async def booking(self, info: strawberry.Info) -> BookingRef:
        return await _booking(info, self.row.booking_id)

    @strawberry.field
    async def installment(self, info: strawberry.Info) -> Installment | None:
        row = await ctx(info).loaders.installment.load(self.row.installment_id)
        return Installment(row=row) if row else None

    @strawberry.field
    def amount(self) -> Money:
        return Money.of(self.row.amount, self.row.currency)

    @strawberry.field(description="EXPIRED as soon as expiresAt passes.")
    def status(self) -> PaymentRequestStatus:
        return request_status_at(self.row, clock.now())

    @strawberry.field
    def payment_url(self) -> str:
        return self.row.payment_url

    @strawberry.field
    def expires_at(self) -> datetime:
        return self.row.expires_at

    @strawberry.field
    def provider(self) -> str:
        return self.row.provider

    @strawberry.field
    def provider_order_id(self) -> str | None:
        return self.row.provider_order_id

    @strawberry.field(description=TEST_MODE)
    def test_mode(self) -> bool:
        return is_test_money(self.row.provider)

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at


@strawberry.type(
    description="Money the gateway captured, as the server itself confirmed it (a signed callback"
    " confirmed by a lookup, or a lookup). Only VERIFIED payments count toward the booking."
)
class Payment(Node):
    row: strawberry.Private[PaymentRow]

    def local_id(self) -> uuid.UUID:
        return self.row.id

    @strawberry.field
    async def payment_request(self, info: strawberry.Info) -> PaymentRequest:
        return PaymentRequest(
            row=await ctx(info).loaders.payment_request.load(self.row.payment_request_id)
        )

    @strawberry.field
    def amount(self) -> Money:
        return Money.of(self.row.amount, self.row.currency)

    @strawberry.field
    def provider(self) -> str:
        return self.row.provider

    @strawberry.field
    def provider_reference(self) -> str:
        return self.row.provider_reference

    @strawberry.field(description=TEST_MODE)
    def test_mode(self) -> bool:
        return is_test_money(self.row.provider)

    @strawberry.field
    def verified_at(self) -> datetime:
        return self.row.verified_at

    @strawberry.field(
        description="WEBHOOK, STATUS_LOOKUP or PROVIDER_REPORT: how the server confirmed it."
    )
    def verified_by(self) -> str:
        return self.row.verified_by

    @strawberry.field(description="Whether it counts (VERIFIED), waits for a person, or went back.")
    def state(self) -> PaymentState:
        return DomainPaymentState(self.row.state)

    @strawberry.field(
        description="Why it was held: LATE_PAYMENT, LINK_WITHDRAWN, BOOKING_CLOSED,"
        " AMOUNT_MISMATCH, OVERPAYMENT or DUPLICATE_PAYMENT. Kept after a person decided."
    )
    def held_reason(self) -> str | None:
        return self.row.held_reason

    @strawberry.field(description="When the gateway captured it, where the gateway says.")
    def captured_at(self) -> datetime | None:
        return self.row.captured_at


@strawberry.type
class PaymentPayload:
    payment: Payment | None
    errors: list[UserError]


@strawberry.type
class PaymentRequestPayload:
    payment_request: PaymentRequest | None
    errors: list[UserError]
