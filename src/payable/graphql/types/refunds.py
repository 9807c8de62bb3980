"""Refunds and refund quotes."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from payable.graphql.context import ctx
from payable.graphql.types.common import Money, Node, RefundStatus, UserError
from payable.graphql.types.parties import CancellationPolicy
from payable.graphql.types.payments import TEST_MODE, Payment
from payable.providers.base import is_test_money
from payable.refunds.enums import RefundStatus as DomainStatus
from payable.refunds.models import Refund as RefundRow


@strawberry.type(
    description="Money returned to the customer. A refund never changes the booking status."
)
class Refund(Node):
    row: strawberry.Private[RefundRow]

    def local_id(self) -> uuid.UUID:
        return self.row.id

    @strawberry.field
    async def payment(self, info: strawberry.Info) -> Payment:
        return Payment(row=await ctx(info).loaders.payment.load(self.row.payment_id))

    @strawberry.field
    def amount(self) -> Money:
        return Money.of(self.row.amount, self.row.currency)

    @strawberry.field
    def status(self) -> RefundStatus:
        return DomainStatus(self.row.status)

    @strawberry.field
    def reason(self) -> str:
        return self.row.reason

    @strawberry.field
    def requested_by(self) -> str:
        return self.row.requested_by

    @strawberry.field(description="Who decided: approved, or rejected the request.")
    def approved_by(self) -> str | None:
        return self.row.approved_by

    @strawberry.field
    def provider_refund_reference(self) -> str | None:
        return self.row.provider_refund_reference

    @strawberry.field(
        description="The gateway's code when it refused; PROVIDER_UNAVAILABLE while PROCESSING"
        " (the server settles it by asking the gateway, never by sending again); NOT_AT_GATEWAY"
        " when the gateway shows it never arrived."
    )
    def failure(self) -> str | None:
        return self.row.failure

    @strawberry.field(description=TEST_MODE)
    async def test_mode(self, info: strawberry.Info) -> bool:
        payment = await ctx(info).loaders.payment.load(self.row.payment_id)
        return is_test_money(payment.provider)

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at


@strawberry.type
class RefundPayload:
    refund: Refund | None
    errors: list[UserError]
    refunds: list[Refund] = strawberry.field(
        default_factory=list,
        description="Every refund of the request: one per payment when the amount spans several"
        " payments (newest payment first).",
    )


@strawberry.type(
    description="What the booking's policy version allows to refund now. People decide."
)
class RefundQuote:
    refundable: Money
    policy: CancellationPolicy
    deadline: datetime | None
    path: str = strawberry.field(description="FULL, PARTIAL or NONE.")
