"""Manual review tasks: what needs a person."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from payable.graphql.context import ctx
from payable.graphql.types.common import Node, UserError
from payable.reviews.models import ReviewTask as TaskRow

if TYPE_CHECKING:
    from payable.graphql.types.booking import PayableBooking

BookingRef = Annotated["PayableBooking", strawberry.lazy("payable.graphql.types.booking")]


@strawberry.type(
    description="Something a person must look at: late or mismatched money, failed refunds."
)
class ReviewTask(Node):
    row: strawberry.Private[TaskRow]

    def local_id(self) -> uuid.UUID:
        return self.row.id

    @strawberry.field(description="LATE_PAYMENT, AMOUNT_MISMATCH, REFUND_FAILED, ...")
    def kind(self) -> str:
        return self.row.kind

    @strawberry.field(description="OPEN or RESOLVED.")
    def status(self) -> str:
        return self.row.status

    @strawberry.field(description="Null when no booking of ours explains the money.")
    async def booking(self, info: strawberry.Info) -> BookingRef | None:
        from payable.graphql.types.booking import to_graphql

        if self.row.booking_id is None:
            return None
        return to_graphql(await ctx(info).loaders.booking.load(self.row.booking_id))

    @strawberry.field(
        description="JSON: what was asked and what arrived, codes, ids. Free text people wrote"
        " (e.g. an override request) is null for integrators."
    )
    def details(self, info: strawberry.Info) -> str:
        return json.dumps(ctx(info).visibility.data(self.row.details), sort_keys=True)

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    def resolved_at(self) -> datetime | None:
        return self.row.resolved_at

    @strawberry.field
    def resolved_by(self) -> str | None:
        return self.row.resolved_by

    @strawberry.field(description="What was done, in the resolver's words. Null for integrators.")
    def resolution(self, info: strawberry.Info) -> str | None:
        return ctx(info).visibility.text(self.row.resolution)


@strawberry.type
class ReviewTaskPayload:
    task: ReviewTask | None
    errors: list[UserError]
