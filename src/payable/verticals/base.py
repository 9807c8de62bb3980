"""What a vertical plugs into the core: its kind, its detail table, its reference prefix, when
its service begins and ends, what it does once money for a booking is verified, its default
cancellation policy, its own daily figures and its GraphQL face. The core reads these through
``verticals.registry`` and names no vertical."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, ColumnElement, Select
from sqlmodel import SQLModel

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from payable.bookings.models import Booking
    from payable.core.principal import Principal
    from payable.graphql.vertical_api import VerticalApi


@dataclass(frozen=True, slots=True)
class PaymentFacts:
    """What the core tells a vertical after it recorded verified money."""

    first_payment: bool  # the booking had no verified money before
    fully_paid: bool  # nothing is due any more


AfterPayment = Callable[["AsyncSession", "Booking", PaymentFacts], Awaitable[None]]
OnClose = Callable[["AsyncSession", "Booking"], Awaitable[None]]
Derive = Callable[["AsyncSession", "Booking", date], Awaitable[object]]  # ..., today
ServiceStart = Callable[[SQLModel], datetime]
ServiceEnd = Callable[[SQLModel], datetime]
# SQL over the detail table: the service ended at or before the given moment.
EndedBy = Callable[[datetime], ColumnElement[bool]]
# (booking id, tenant id) of bookings whose derived state the date alone may have changed.
StaleOn = Callable[[date], Select[tuple[uuid.UUID, uuid.UUID]]]
# Detail rows (their ``booking_id``) whose service starts on the business days from ... to
# (either open), within the tenant where the row knows it: the booking filters' window.
Serving = Callable[[uuid.UUID, date | None, date | None], Select[tuple[uuid.UUID]]]
# A few bookings of the demo tenant (``payable serve --demo``).
SeedDemo = Callable[["AsyncSession", "Principal", date], Awaitable[None]]  # ..., today
# The vertical's own lines of the operator's day (e.g. departures paid in full); read only.
DailyFigures = Callable[["AsyncSession", uuid.UUID, date], Awaitable[object]]  # tenant, day

# A fresh kind's terms: free cancellation up to 24 h before, 50% after, nothing for a no-show.
STANDARD_TERMS = {
    "free_cancellation_hours": 24,
    "late_cancellation_refund_percent": 50,
    "no_show_refund_percent": 0,
}


async def no_effect(_session: AsyncSession, _booking: Booking, _facts: PaymentFacts) -> None:
    return None


async def nothing_to_release(_session: AsyncSession, _booking: Booking) -> None:
    return None


async def nothing_derived(_session: AsyncSession, _booking: Booking, _today: date) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Vertical:
    kind: str  # the public BookingKind value, e.g. CLINIC_APPOINTMENT
    detail_model: type[SQLModel]  # one row per booking, primary key ``booking_id``
    reference_prefix: str
    serving: Serving  # its rows in a service window: the booking filters' serviceFrom/To
    # When the service begins: cancellation windows and no-shows are measured from it.
    service_start: ServiceStart
    # When it is over (the slot's end, the period's or the tour day's end): bookings complete
    # a while after it. ``ended_by`` says the same in SQL, to find them.
    service_end: ServiceEnd
    ended_by: EndedBy
    # Runs in the transaction that recorded verified money; never on unverified signals.
    after_payment: AfterPayment = no_effect
    # Runs when the booking is cancelled or marked a no-show (e.g. free a clinic slot).
    on_close: OnClose = nothing_to_release
    # Brings what the vertical derives from money, schedule and dates (e.g. course access) in
    # line; the core calls it, in the same transaction, after every fact that can change them.
    derive: Derive = nothing_derived
    # Which bookings the day tick re-derives: those a passing day may have changed.
    stale_on: StaleOn | None = None
    # Every tenant's default cancellation policy of this kind, created on first need.
    policy_code: str | None = None  # default: the kind's first word + "-standard"
    policy_terms: dict[str, int] = field(default_factory=lambda: dict(STANDARD_TERMS))
    daily_figures: DailyFigures | None = None
    # Booking filters on its own fields (name -> column); names are unique across verticals.
    filters: Mapping[str, Column[object]] = field(default_factory=dict)
    seed_demo: SeedDemo | None = None
    # Its GraphQL type, mutations and queries; the schema is assembled from the registry.
    api: VerticalApi | None = None

    @property
    def default_policy_code(self) -> str:
        return self.policy_code or f"{self.kind.split('_')[0].lower()}-standard"
