"""The PayableBooking interface: what every vertical shares. Variants add their own fields."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import strawberry

from payable.bookings import schedule as schedules
from payable.bookings.enums import BookingStatus as DomainStatus
from payable.bookings.enums import PaymentStatus as DomainPaymentStatus
from payable.bookings.models import Booking as BookingRow
from payable.bookings.models import Installment as InstallmentRow
from payable.bookings.queries import BookingView
from payable.core import ids
from payable.graphql.context import ctx
from payable.graphql.pagination import page_size, sequence_cursor
from payable.graphql.prefetch import Related
from payable.graphql.types.common import (
    BookingKind,
    BookingStatus,
    Money,
    Node,
    PageInfo,
    PaymentStatus,
    UserError,
)
from payable.graphql.types.parties import CancellationPolicy, Customer
from payable.graphql.types.payments import Payment, PaymentRequest
from payable.graphql.types.refunds import Refund
from payable.graphql.types.schedule import Installment
from payable.graphql.types.timeline import BookingEventConnection
from payable.payments.enums import PaymentState as PaymentStateValue
from payable.payments.models import Payment as PaymentRow


@strawberry.interface(
    description="A booking of any vertical: money, schedule, payment requests, payments, refunds,"
    " timeline."
)
class PayableBooking(Node):
    booking: strawberry.Private[BookingRow]
    # Set by the list resolver: relations fetched for the whole page, answered synchronously.
    # Relation fields below return their value when it is here, else a coroutine that asks
    # the loaders (graphql-core awaits either), so a listed booking costs no task per field.
    related: strawberry.Private[Related | None] = None

    def local_id(self) -> uuid.UUID:
        return self.booking.id

    @strawberry.field
    def kind(self) -> BookingKind:
        return self.booking.kind  # type: ignore[return-value]

    @strawberry.field(description="Short human-readable booking number, unique per tenant.")
    def reference(self) -> str:
        return self.booking.reference

    @strawberry.field
    def customer(self, info: strawberry.Info) -> Customer:
        related = self.related
        if related is not None and related.customer is not None:
            return Customer(row=related.customer)
        return self._load_customer(info)  # type: ignore[return-value]

    async def _load_customer(self, info: strawberry.Info) -> Customer:
        return Customer(row=await ctx(info).loaders.customer.load(self.booking.customer_id))

    @strawberry.field(description="The booking's id in the CRM, if given.")
    def crm_reference(self) -> str | None:
        return self.booking.crm_reference

    @strawberry.field(description="Lifecycle of the service; a refund never changes it.")
    def status(self) -> BookingStatus:
        return DomainStatus(self.booking.status)

    @strawberry.field(description="Derived from verified money only, never from a return URL.")
    def payment_status(self) -> PaymentStatus:
        return DomainPaymentStatus(self.booking.payment_status)

    @strawberry.field
    def price(self) -> Money:
        return self._money(self.booking.price)

    @strawberry.field(description="Verified captures only.")
    def amount_paid(self) -> Money:
        return self._money(self.booking.amount_paid)

    @strawberry.field(description="Succeeded refunds only.")
    def amount_refunded(self) -> Money:
        return self._money(self.booking.amount_refunded)

    @strawberry.field(description="Price minus verified payments; never negative.")
    def balance_due(self) -> Money:
        return self._money(max(self.booking.price - self.booking.amount_paid, Decimal("0.00")))

    @strawberry.field(
        description="When the next payment is due: the earliest unpaid installment's due date;"
        " null when nothing is owed (all paid, or the booking is cancelled or a no-show)."
    )
    def next_due_date(self, info: strawberry.Info) -> date | None:
        schedule = self._schedule_rows()
        if schedule is not None:
            line = schedules.next_due(schedule, status=self.booking.status)
            return None if line is None else line.due_date
        return self._load_next_due_date(info)  # type: ignore[return-value]

    async def _load_next_due_date(self, info: strawberry.Info) -> date | None:
        line = await self._next_due(info)
        return None if line is None else line.due_date

    @strawberry.field(
        description="What that installment still owes (its amount due minus verified payments);"
        " null when nothing is owed."
    )
    def next_due_amount(self, info: strawberry.Info) -> Money | None:
        schedule = self._schedule_rows()
        if schedule is not None:
            line = schedules.next_due(schedule, status=self.booking.status)
            return None if line is None else self._money(line.amount_due - line.amount_paid)
        return self._load_next_due_amount(info)  # type: ignore[return-value]

    async def _load_next_due_amount(self, info: strawberry.Info) -> Money | None:
        line = await self._next_due(info)
        return None if line is None else self._money(line.amount_due - line.amount_paid)

    @strawberry.field(description="The policy version in force when the booking was made.")
    def policy(self, info: strawberry.Info) -> CancellationPolicy:
        related = self.related
        if related is not None and related.policy is not None:
            return CancellationPolicy(view=related.policy)
        return self._load_policy(info)  # type: ignore[return-value]

    async def _load_policy(self, info: strawberry.Info) -> CancellationPolicy:
        return CancellationPolicy(
            view=await ctx(info).loaders.policy.load(self.booking.policy_version_id)
        )

    @strawberry.field(
        description="Deposit/balance or installments; one row for a single full payment."
    )
    def schedule(self, info: strawberry.Info) -> list[Installment]:
        rows = self._schedule_rows()
        if rows is not None:
            requests = self.related.payment_requests if self.related is not None else None
            return [Installment(row=r, requests=requests) for r in rows]
        return self._load_schedule(info)  # type: ignore[return-value]

    async def _load_schedule(self, info: strawberry.Info) -> list[Installment]:
        return [Installment(row=r) for r in await ctx(info).loaders.schedule.load(self.booking.id)]

    @strawberry.field
    def payment_requests(self, info: strawberry.Info) -> list[PaymentRequest]:
        related = self.related
        if related is not None and related.payment_requests is not None:
            return [PaymentRequest(row=r) for r in related.payment_requests]
        return self._load_payment_requests(info)  # type: ignore[return-value]

    async def _load_payment_requests(self, info: strawberry.Info) -> list[PaymentRequest]:
        return [
            PaymentRequest(row=r)
            for r in await ctx(info).loaders.payment_requests.load(self.booking.id)
        ]

    @strawberry.field(description="Every payment the gateway captured: verified, held or returned.")
    def payments(self, info: strawberry.Info) -> list[Payment]:
        related = self.related
        if related is not None and related.payments is not None:
            return [Payment(row=r) for r in related.payments]
        return self._load_payments(info)  # type: ignore[return-value]

    async def _load_payments(self, info: strawberry.Info) -> list[Payment]:
        return [Payment(row=r) for r in await ctx(info).loaders.payments.load(self.booking.id)]

    @strawberry.field(
        description="Money received but not counted: HELD payments waiting for a person."
    )
    def amount_held(self, info: strawberry.Info) -> Money:
        related = self.related
        if related is not None and related.payments is not None:
            return self._held(related.payments)
        return self._load_amount_held(info)  # type: ignore[return-value]

    async def _load_amount_held(self, info: strawberry.Info) -> Money:
        return self._held(await ctx(info).loaders.payments.load(self.booking.id))

    def _held(self, rows: list[PaymentRow]) -> Money:
        held = sum(
            (r.amount for r in rows if r.state == PaymentStateValue.HELD.value), Decimal("0.00")
        )
        return self._money(held)

    @strawberry.field
    def refunds(self, info: strawberry.Info) -> list[Refund]:
        related = self.related
        if related is not None and related.refunds is not None:
            return [Refund(row=r) for r in related.refunds]
        return self._load_refunds(info)  # type: ignore[return-value]

    async def _load_refunds(self, info: strawberry.Info) -> list[Refund]:
        return [Refund(row=r) for r in await ctx(info).loaders.refunds.load(self.booking.id)]

    @strawberry.field(description="Append-only history, oldest first.")
    def timeline(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> BookingEventConnection:
        size = page_size(first, default=50)
        start = sequence_cursor(after)
        related = self.related
        if related is not None and related.timeline is not None:
            events = related.timeline.get((size, start))
            if events is not None:
                return BookingEventConnection.from_page(events, size)
        return self._load_timeline(info, size, start)  # type: ignore[return-value]

    async def _load_timeline(
        self, info: strawberry.Info, size: int, start: int | None
    ) -> BookingEventConnection:
        events = await ctx(info).loaders.timeline.load((self.booking.id, size, start))
        return BookingEventConnection.from_page(events, size)

    @strawberry.field
    def created_at(self) -> datetime:
        return self.booking.created_at

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.booking.updated_at

    def _schedule_rows(self) -> list[InstallmentRow] | None:
        return self.related.schedule if self.related is not None else None

    async def _next_due(self, info: strawberry.Info) -> InstallmentRow | None:
        # The schedule's loader: one statement for a whole page, shared with `schedule`.
        lines = await ctx(info).loaders.schedule.load(self.booking.id)
        return schedules.next_due(lines, status=self.booking.status)

    def _money(self, amount: Decimal) -> Money:
        return Money.of(amount, self.booking.currency)


# Filled when a schema is built, from the registered verticals: how to show a booking of a kind.
BOOKING_TYPES: dict[str, type[PayableBooking]] = {}


def register(kind: str, graphql_type: type[PayableBooking]) -> None:
    BOOKING_TYPES[kind] = graphql_type


def booking_id(global_id: str, field: str = "bookingId") -> uuid.UUID:
    """The local id behind a booking's global id, whichever vertical it names."""
    return ids.local_id(global_id, *(t.__name__ for t in BOOKING_TYPES.values()), field=field)


def to_graphql(view: BookingView, related: Related | None = None) -> PayableBooking:
    return BOOKING_TYPES[view.booking.kind](  # type: ignore[call-arg]
        booking=view.booking, detail=view.detail, related=related
    )


@strawberry.type
class PayableBookingEdge:
    node: PayableBooking
    cursor: str


@strawberry.type
class PayableBookingConnection:
    edges: list[PayableBookingEdge]
    page_info: PageInfo
    total_count_loader: strawberry.Private[object]

    @strawberry.field(description="Bookings matching the filters, across all pages.")
    async def total_count(self) -> int:
        return await self.total_count_loader()  # type: ignore[operator]


@strawberry.type
class BookingPayload:
    booking: PayableBooking | None
    errors: list[UserError]
