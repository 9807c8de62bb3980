"""Reading the timeline: the first page of many bookings' events in one statement."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Text, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.db.arrays import any_of
from payable.db.grouping import by_id
from payable.db.records import record_type
from payable.timeline.models import BookingEvent

_EVENTS = BookingEvent.__table__
# The event's columns as read for a page, `data` as its JSON text (see EventRecord).
_PAGE_COLUMNS = [
    cast(column, Text).label("data_json") if column.name == "data" else column
    for column in _EVENTS.c
]


class EventRecord(record_type(tuple(column.name for column in _PAGE_COLUMNS))):  # type: ignore[misc]
    """An event row whose ``data`` is decoded when read: a page shows hundreds of events and
    most selections never ask for their data."""

    __slots__ = ()

    @property
    def data(self) -> dict[str, Any]:
        return orjson.loads(self.data_json)  # what the engine's JSON deserializer does


async def pages_by_booking(
    *,
    session: AsyncSession,
    booking_ids: Iterable[uuid.UUID],
    first: int,
    after: int | None,
    hidden: frozenset[str] = frozenset(),
) -> dict[uuid.UUID, list[BookingEvent]]:
    """Per booking, up to ``first + 1`` events after sequence ``after``, oldest first.

    The extra event tells the caller whether another page follows.
    """
    events = _EVENTS
    position = (
        func.row_number()
        .over(partition_by=events.c.booking_id, order_by=events.c.sequence)
        .label("position")
    )
    inner = select(events.c.id, position).where(any_of(events.c.booking_id, booking_ids))
    if after is not None:
        inner = inner.where(events.c.sequence > after)
    if hidden:
        inner = inner.where(events.c.type.not_in(hidden))
    ranked = inner.subquery()
    # Plain rows (the model's attribute names, read-only), not entities: a list of bookings
    # reads hundreds of events, and an ORM entity costs several times a row to build and
    # collect. Nothing changes events, so nothing needs them tracked.
    query = (
        select(*_PAGE_COLUMNS)
        .join(ranked, ranked.c.id == events.c.id)
        .where(ranked.c.position <= first + 1)
        .order_by(events.c.sequence)
    )
    pages: dict[uuid.UUID, list[BookingEvent]] = defaultdict(list)
    result = await session.execute(query)
    for row in result:
        event = EventRecord._make(row)
        pages[event.booking_id].append(event)
    return pages


async def by_ids(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    ids: Iterable[uuid.UUID],
    hidden: frozenset[str] = frozenset(),
) -> dict[uuid.UUID, BookingEvent]:
    query = select(BookingEvent).where(
        BookingEvent.tenant_id == tenant_id,
        BookingEvent.id.in_(list(ids)),
        BookingEvent.type.not_in(hidden),
    )
    return by_id((await session.execute(query)).scalars())
