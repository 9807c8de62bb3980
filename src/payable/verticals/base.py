"""What a vertical plugs into the core: its kind, its detail table, its reference prefix and
what it does once money for a booking is verified."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

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
Derive = Callable[["AsyncSession", "Booking"], Awaitable[None]]
ServiceStart = Callable[[SQLModel], datetime]


async def no_effect(_session: AsyncSession, _booking: Booking, _facts: PaymentFacts) -> None:
    return None


async def nothing_to_release(_session: AsyncSession, _booking: Booking) -> None:
    return None


async def nothing_derived(_session: AsyncSession, _booking: Booking) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Vertical:
    kind: BookingKind
    detail_model: type[SQLModel]  # one row per booking, primary key ``booking_id``
    reference_prefix: str
    # When the service begins: cancellation windows and no-shows are measured from it.
    service_start: ServiceStart
    # Runs in the transaction that recorded verified money; never on unverified signals.
    after_payment: AfterPayment = no_effect
    # Runs when the booking is cancelled or marked a no-show (e.g. free a clinic slot).
    on_close: OnClose = nothing_to_release
    # Brings what the vertical derives from money, schedule and dates (e.g. course access) in
    # line; the core calls it, in the same transaction, after every fact that can change them.
    derive: Derive = nothing_derived
