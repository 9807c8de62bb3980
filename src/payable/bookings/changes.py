"""What every change to a live booking shares: the lock, the state check, the event.

One idiom, so history is never erased: **snapshot → change → record**.

    before = changes.snapshot(tour, "tour_date")        # read the values first
    tour.tour_date = new_date                            # change the locked rows
    await changes.record(session=..., booking=booking, event=EventType.TOUR_TRANSFERRED,
                         actor=..., reason=..., before=before, cause=cause)

``record`` flushes, reads the same attributes again as ``new``, refuses a change that
changes nothing, and writes ``{"old": {...}, "new": {...}, **extra}`` with camelCase keys,
UTC ISO datetimes and money as ``{"amount", "currency"}`` (see ``timeline.data``). With
SQLAlchemy 2 an ORM ``update()`` synchronises the loaded object, so anything read after
the change is already new: the snapshot must come first.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from payable.bookings import derived
from payable.bookings import service as bookings
from payable.bookings.enums import LIVE, BookingStatus
from payable.bookings.models import Booking
from payable.bookings.refusals import BookingRefusal
from payable.core.errors import NotFound
from payable.core.money import Currency, Money
from payable.core.principal import Principal
from payable.core.text import require_reason
from payable.timeline import service as timeline
from payable.timeline.data import camel, encode, encode_keys
from payable.timeline.events import EventType

if TYPE_CHECKING:
    from payable.verticals.base import Vertical


def require_live(booking: Booking) -> None:
    """Changes and closures are for bookings whose service is still ahead or under way."""
    if booking.status == BookingStatus.COMPLETED.value:
        raise BookingRefusal.BOOKING_COMPLETED.error("bookingId")
    if booking.status not in LIVE:
        raise BookingRefusal.BOOKING_CLOSED.error(
            "bookingId", f"the booking is {booking.status.lower()}"
        )


async def open_change(
    *,
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    kind: str | None,
    reason: str | None,
) -> tuple[Booking, str]:
    """Check the reason, lock the booking, make sure it is live (and of ``kind``)."""
    reason = require_reason(reason)
    booking = await bookings.lock(
        session=session, tenant_id=principal.tenant_id, booking_id=booking_id
    )
    if kind is not None and booking.kind != kind:
        raise NotFound(kind.lower().replace("_", " "), "bookingId")
    require_live(booking)
    return booking, reason


async def open_detail_change(
    *,
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    vertical: Vertical,
    reason: str | None,
) -> tuple[Booking, str, SQLModel]:
    """``open_change`` for a vertical's own fields: also the detail row, locked."""
    booking, reason = await open_change(
        session=session,
        principal=principal,
        booking_id=booking_id,
        kind=vertical.kind,
        reason=reason,
    )
    detail = await session.get(vertical.detail_model, booking.id, with_for_update=True)
    return booking, reason, detail


Reader = Callable[[], Any]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Named values read before a change (``old``), and how to read them again after it."""

    readers: tuple[tuple[str, Reader], ...]
    old: dict[str, Any]

    def now(self) -> dict[str, Any]:
        """The same values as they are now, encoded like ``old``."""
        return {key: encode(read()) for key, read in self.readers}

    def __or__(self, other: Snapshot) -> Snapshot:
        return Snapshot(self.readers + other.readers, self.old | other.old)


def _attribute(source: object, name: str) -> Reader:
    def read() -> Any:
        value = getattr(source, name)
        # Money is a Decimal on a row that has its currency (bookings, installments).
        currency = getattr(source, "currency", None)
        if isinstance(value, Decimal) and currency is not None:
            return Money(value, Currency(currency))
        return value

    return read


def snapshot(source: object | None = None, *names: str, **computed: Reader) -> Snapshot:
    """Read ``source``'s attributes ``names`` (and any ``computed`` values) now, before the
    change; keys are the names in camelCase."""
    readers = tuple((camel(n), _attribute(source, n)) for n in names) + tuple(
        (camel(k), read) for k, read in computed.items()
    )
    return Snapshot(readers, {key: encode(read()) for key, read in readers})


async def record(
    *,
    session: AsyncSession,
    booking: Booking,
    event: EventType,
    actor: str,
    reason: str | None,
    before: Snapshot | None = None,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
    **extra: Any,
) -> None:
    """Record a change: ``old`` is the snapshot taken before it, ``new`` the same values now.

    Extra keys (a cause, an amount) are written next to ``old`` and ``new``, encoded alike.
    A change that changes nothing is refused (it would be an event that says nothing).
    Afterwards the booking's vertical re-derives what follows from it (``bookings.derived``).
    Passing ``old`` and ``new`` by hand instead of ``before`` is the older form, kept until
    its last callers (course access) move to snapshots.
    """
    await session.flush()  # the change reaches the database (and its constraints) first
    if before is not None:
        old, new = before.old, before.now()
        if old == new:
            raise BookingRefusal.NO_CHANGE.error()
    await timeline.append(
        session=session,
        tenant_id=booking.tenant_id,
        booking_id=booking.id,
        type=EventType(event),
        actor=actor,
        reason=reason,
        data={"old": encode_keys(old or {}), "new": encode_keys(new or {}), **encode_keys(extra)},
    )
    if before is not None:
        await derived.refresh(session, booking)  # e.g. course access follows the new facts
