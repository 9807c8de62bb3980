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
from payable.payments.models import request_status_at

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

    # Plain attributes, copied from the row when built (strawberry reads them without a
    # resolver call); the status is by today's date, as of the request.
    sequence: int = strawberry.field(default=0, description="1 for the first installment due.")
    label: str = strawberry.field(
        default="", description='e.g. "deposit", "balance", "installment 2".'
    )
    amount_due: Money = strawberry.field(default=None)  # type: ignore[assignment]
    amount_paid: Money = strawberry.field(default=None, description="Verified money only.")  # type: ignore[assignment]
    due_date: date = strawberry.field(default=date.min)
    grace_days: int = strawberry.field(default=0)
    status: str = strawberry.field(
        default="",
        description="UPCOMING, DUE (due date reached, within grace days), PAID or OVERDUE.",
    )

    def __post_init__(self) -> None:
        row = self.row
        self.sequence = row.sequence
        self.label = row.label
        self.amount_due = Money.of(row.amount_due, row.currency)
        self.amount_paid = Money.of(row.amount_paid, row.currency)
        self.due_date = row.due_date
        self.grace_days = row.grace_days
        self.status = installment_status(
            amount_due=row.amount_due,
            amount_paid=row.amount_paid,
            due_date=row.due_date,
            grace_days=row.grace_days,
            today=clock.today(),
        ).value

    def local_id(self) -> uuid.UUID:
        return self.row.id

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
            if r.installment_id == self.row.id
            and request_status_at(r, now) is PaymentRequestStatus.PENDING
        ]
        return PaymentRequest(row=active[0]) if active else None
