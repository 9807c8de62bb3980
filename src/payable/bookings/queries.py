"""Reading bookings: pages with filters, lookups by id, schedules. Always tenant-scoped."""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Column, ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from payable.bookings import search
from payable.bookings.models import Booking, Installment
from payable.bookings.search import BookingFilter
from payable.db.arrays import any_of_ids
from payable.db.records import record_type, records
from payable.verticals import registry


@dataclass(frozen=True, slots=True)
class BookingView:
    booking: Booking
    detail: SQLModel  # the vertical's row


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page starts: bookings are listed newest first."""

    created_at: datetime
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class Page:
    """Which bookings a page lists: the tenant's that match, up to ``first`` after ``after``."""

    tenant_id: uuid.UUID
    where: BookingFilter
    first: int
    after: Position | None


def _details() -> tuple[type[SQLModel], ...]:
    """The registered verticals' detail tables (read at each call: a vertical may be added)."""
    return tuple(v.detail_model for v in registry.all_verticals())


def with_details(*before: Any, on: ColumnElement[bool] | None = None):
    """One statement for bookings and whichever vertical row each has; ``before``: what is
    selected ahead of them, joined to the booking ``on`` (rows then go to ``view_of``)."""
    details = _details()
    query = select(*before, Booking, *details)
    if on is not None:
        query = query.join(Booking, on)
    return _joined(query, details)


def _joined(query, details: tuple[type[SQLModel], ...]):
    for model in details:
        query = query.outerjoin(model, model.booking_id == Booking.id)
    return query


def view_of(row: Sequence[Any], at: int = 0) -> BookingView:
    """The booking at ``row[at]`` with the one vertical row after it that is there."""
    return BookingView(row[at], next(d for d in row[at + 1 :] if d is not None))


def _views(rows: Iterable) -> list[BookingView]:
    return [view_of(row) for row in rows]


# A page is read for display only: plain rows with the models' attribute names, not entities
# (a page of a hundred bookings and their vertical rows costs a fraction to build and collect).
# The columns are selected flat, each table's a slice of the row: bundles would build a row
# of their own per table and row.
@functools.cache
def _row_shape(
    details: tuple[type[SQLModel], ...],
) -> tuple[list[Column], list[tuple[type, int, int]]]:
    """The page's columns and, per table (the booking's first), its record type and slice."""
    columns: list[Column] = []
    shapes: list[tuple[type, int, int]] = []
    for table in [Booking.__table__, *(model.__table__ for model in details)]:
        start = len(columns)
        columns.extend(table.c)
        shapes.append((record_type(tuple(c.key for c in table.c)), start, len(columns)))
    return columns, shapes


def _row_views(rows: Iterable, shapes: list[tuple[type, int, int]]) -> list[BookingView]:
    (booking_record, start, end), *details = shapes
    # Each vertical's booking_id: set in the one row its booking has, NULL in the others.
    detail_keys = [
        (record, a, b, a + record._fields.index("booking_id")) for record, a, b in details
    ]
    views = []
    for row in rows:
        detail = next(
            record._make(row[a:b]) for record, a, b, key in detail_keys if row[key] is not None
        )
        views.append(BookingView(booking_record._make(row[start:end]), detail))
    return views


def _filtered(query, tenant_id: uuid.UUID, where: BookingFilter):
    return query.where(*search.conditions(tenant_id, where))


async def page(
    *, session: AsyncSession, page: Page, with_total: bool = False
) -> tuple[list[BookingView], bool, int | None]:
    """Up to ``first`` bookings after ``after``, newest first, whether more follow, and (with
    ``with_total``) how many match in all.

    The total comes in the same statement, as a sub-select PostgreSQL runs once: one round
    trip fewer than ``count``. It is None when not asked for or when the page is empty (no
    row carries it).
    """
    details = _details()
    page_columns, shapes = _row_shape(details)
    query = _joined(select(*page_columns), details)
    rows, has_next, total = await _page(session, query, page, with_total)
    return _row_views(rows, shapes), has_next, total


class PageKey(NamedTuple):
    """A listed booking as `page_keys` reads it: enough for its cursor and its kind."""

    id: uuid.UUID
    kind: str
    created_at: datetime


async def page_keys(
    *, session: AsyncSession, page: Page, with_total: bool = False
) -> tuple[list[PageKey], bool, int | None]:
    """The same page as `page`, each booking only as its id, kind and creation time: for a
    caller that reads the rest itself (a list rendered by PostgreSQL, `graphql/json_nodes`)."""
    query = select(Booking.id, Booking.kind, Booking.created_at)
    rows, has_next, total = await _page(session, query, page, with_total)
    return [PageKey(row[0], row[1], row[2]) for row in rows], has_next, total


async def _page(
    session: AsyncSession, query: Any, page: Page, with_total: bool
) -> tuple[Sequence[Any], bool, int | None]:
    """The page's rows of ``query`` (newest first), whether more follow, and the total."""
    tenant_id, where, first, after = page.tenant_id, page.where, page.first, page.after
    if with_total:
        query = query.add_columns(_counted(tenant_id, where).scalar_subquery().label("total"))
    query = _filtered(query, tenant_id, where)
    if after is not None:
        query = query.where(
            or_(
                Booking.created_at < after.created_at,
                and_(Booking.created_at == after.created_at, Booking.id < after.id),
            )
        )
    query = query.order_by(Booking.created_at.desc(), Booking.id.desc()).limit(first + 1)
    rows = (await session.execute(query)).all()
    total = rows[0].total if with_total and rows else None
    return rows[:first], len(rows) > first, total


async def matching(
    *, session: AsyncSession, tenant_id: uuid.UUID, where: BookingFilter
) -> list[BookingView]:
    """Every matching booking, oldest first: for lists bounded by nature (one departure)."""
    query = _filtered(with_details(), tenant_id, where).order_by(Booking.created_at, Booking.id)
    return _views((await session.execute(query)).all())


def _counted(tenant_id: uuid.UUID, where: BookingFilter):
    return _filtered(select(func.count()).select_from(Booking), tenant_id, where)


async def count(*, session: AsyncSession, tenant_id: uuid.UUID, where: BookingFilter) -> int:
    return (await session.execute(_counted(tenant_id, where))).scalar_one()


async def by_ids(
    *, session: AsyncSession, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, BookingView]:
    query = with_details().where(Booking.tenant_id == tenant_id, Booking.id.in_(list(ids)))
    return {view.booking.id: view for view in _views((await session.execute(query)).all())}


_SCHEDULES = (
    select(*Installment.__table__.c)
    .where(any_of_ids(Installment.__table__.c.booking_id))
    .order_by(Installment.__table__.c.booking_id, Installment.__table__.c.sequence)
)


async def installments_by_booking(
    *, session: AsyncSession, booking_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Installment]]:
    """Each booking's schedule, as read-only rows with the model's attribute names.

    Only the GraphQL layer reads this (a page's schedules at once); plain rows cost a
    fraction of ORM entities to build and to collect. Services change installments through
    their own locked reads.
    """
    grouped: dict[uuid.UUID, list[Installment]] = defaultdict(list)
    result = await session.execute(_SCHEDULES, {"ids": list(booking_ids)})
    for row in records(result, list(result.keys())):
        grouped[row.booking_id].append(row)
    return grouped


async def installments_by_ids(
    *, session: AsyncSession, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Installment]:
    query = (
        select(Installment)
        .join(Booking, Booking.id == Installment.booking_id)
        .where(Booking.tenant_id == tenant_id, Installment.id.in_(list(ids)))
    )
    return {row.id: row for row in (await session.execute(query)).scalars()}
