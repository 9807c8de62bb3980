"""The booking timeline: append-only events, oldest first."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from payable.bookings.queries import BookingView
from payable.graphql.context import ctx
from payable.graphql.types.common import Node, PageInfo
from payable.timeline.models import BookingEvent as EventRow

if TYPE_CHECKING:
    from payable.graphql.types.booking import PayableBooking

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # a placeholder until __post_init__ copies the row
BookingRef = Annotated["PayableBooking", strawberry.lazy("payable.graphql.types.booking")]


@strawberry.type(
    description="One change to a booking, with who made it, why and when. Never edited."
)
class BookingEvent(Node):
    row: strawberry.Private[EventRow]
    # The booking as read with the event (live subscriptions): no look-up per subscriber.
    booking_view: strawberry.Private[BookingView | None] = None
    # Live deliveries: results shared by every subscriber with the same selection.
    shared: strawberry.Private[dict[Any, Any] | None] = None
    # Plain attributes, copied from the row when built: a list shows hundreds of events, and
    # strawberry reads a plain attribute without building a resolver call for it.
    sequence: str = strawberry.field(
        default="",
        description="Global and strictly increasing: the resume cursor for subscriptions.",
    )
    type: str = strawberry.field(
        default="",
        description="e.g. CREATED, PAYMENT_VERIFIED, RESCHEDULED, CANCELLED, REFUND_REQUESTED.",
    )
    actor: str = strawberry.field(
        default="", description="Who made the change: the token's `sub`, or `system`."
    )
    occurred_at: datetime = strawberry.field(default=EPOCH)

    def __post_init__(self) -> None:
        row = self.row
        self.sequence = str(row.sequence)
        self.type = row.type
        self.actor = row.actor
        self.occurred_at = row.occurred_at

    def local_id(self) -> uuid.UUID:
        return self.row.id

    @strawberry.field
    def booking(self, info: strawberry.Info) -> BookingRef:
        from payable.graphql.types.booking import to_graphql

        # A live delivery carries its booking: answered at once, so a live event's result is
        # complete in the step that executes it and its sharers never wait for it.
        if self.booking_view is not None:
            return to_graphql(self.booking_view)
        return self._load_booking(info)  # type: ignore[return-value]

    async def _load_booking(self, info: strawberry.Info) -> BookingRef:
        from payable.graphql.types.booking import to_graphql

        return to_graphql(await ctx(info).loaders.booking.load(self.row.booking_id))

    @strawberry.field(
        description="Why, in the words of the person who made the change. Staff only: null for"
        " integrators."
    )
    def reason(self, info: strawberry.Info) -> str | None:
        return ctx(info).visibility.text(self.row.reason)

    @strawberry.field(
        description='JSON. A change is {"old": {...}, "new": {...}} (the values before and after)'
        " plus extra keys such as cause; keys are camelCase, datetimes UTC ISO 8601, money"
        ' {"amount", "currency"}. Free text people wrote (e.g. installment labels) is null for'
        " integrators; types, codes, ids and amounts remain."
    )
    def data(self, info: strawberry.Info) -> str:
        return json.dumps(ctx(info).visibility.data(self.row.data), sort_keys=True)


@strawberry.type
class BookingEventEdge:
    node: BookingEvent
    cursor: str


@strawberry.type
class BookingEventConnection:
    edges: list[BookingEventEdge]
    page_info: PageInfo

    @classmethod
    def from_page(cls, events: list[EventRow], first: int) -> BookingEventConnection:
        shown = events[:first]
        edges = [BookingEventEdge(node=BookingEvent(row=e), cursor=str(e.sequence)) for e in shown]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(events) > first, end_cursor=edges[-1].cursor if edges else None
            ),
        )
