"""Installments: the lines of a booking's payment schedule."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from payable.bookings.models import Installment as InstallmentRow
from payable.bookings.schedule import installment_status
from payable.core import clock
from payable.graphql.context import ctx
from payable.graphql.types.common import Money, Node
from payable.payments.enums import PaymentRequestStatus

if TYPE_CHECKING:
    from payable.graphql.types.payments import PaymentRequest

PaymentRequestRef = Annotated["PaymentRequest", strawberry.lazy("payable.graphql.types.payments")]


@strawberry.type(
    description="One line of a payment schedule: a deposit, a balance or an installment."
)
class Installment(Node):
    row: strawberry.Private[InstallmentRow]
    # The booking's payment requests when a list prefetched them: the open link without a
    # loader call.
    requests: strawberry.Private[list[Any] | None] = None

    def local_id(self) -> uuid.UUID:
        return self.row.id

    @strawberry.field(description="1 for the first installment due.")
    def sequence(self) -> int:
        return self.row.sequence

    @strawberry.field(description='e.g. "deposit", "balance", "installment 2".')
    def label(self) -> str:
        return self.row.label

    @strawberry.field
    def amount_due(self) -> Money:
        return Money.of(self.row.amount_due, self.row.currency)

    @strawberry.field(description="Verified money only.")
    def amount_paid(self) -> Money:
        return Money.of(self.row.amount_paid, self.row.currency)

    @strawberry.field
    def due_date(self) -> date:
        return self.row.due_date

    @strawberry.field
    def grace_days(self) -> int:
        return self.row.grace_days

    @strawberry.field(
        description="UPCOMING, DUE (due date reached, within grace days), PAID or OVERDUE."
    )
    def status(self) -> str:
        row = self.row
        return installment_status(
            amount_due=row.amount_due,
            amount_paid=row.amount_paid,
            due_date=row.due_date,
            grace_days=row.grace_days,
            today=clock.today(),
        ).value

    @strawberry.field(
        description="The payment link currently open for this installment; at most one."
    )
    def active_payment_request(self, info: strawberry.Info) -> PaymentRequestRef | None:
        if self.requests is not None:
            return self._active(self.requests)
        return self._load_active(info)  # type: ignore[return-value]

    async def _load_active(self, info: strawberry.Info) -> PaymentRequestRef | None:
        return self._active(await ctx(info).loaders.payment_requests.load(self.row.booking_id))

    def _active(self, requests: list[Any]) -> PaymentRequestRef | None:
        from payable.graphql.types.payments import PaymentRequest

        now = clock.now()
        active = [
            r
            for r in requests
            if r.installment_id == self.row.id and r.status_at(now) is PaymentRequestStatus.PENDING
        ]
        return PaymentRequest(row=active[0]) if active else None
