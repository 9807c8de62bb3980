"""What a vertical plugs into the core: its kind, its detail table, its reference prefix, when
its service begins and ends, and what it does once money for a booking is verified."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Select
from sqlmodel import SQLModel

from payable.bookings.enums import BookingKind

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from payable.bookings.models import Booking


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


async def no_effect(_session: AsyncSession, _booking: Booking, _facts: PaymentFacts) -> None:
    return None


async def nothing_to_release(_session: AsyncSession, _booking: Booking) -> None:
    return None


async def nothing_derived(_session: AsyncSession, _booking: Booking, _today: date) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Vertical:
    kind: BookingKind
    detail_model: type[SQLModel]  # one row per booking, primary key ``booking_id``
    reference_prefix: str
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
