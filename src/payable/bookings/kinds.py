"""The booking kinds the database accepts: one row per registered vertical.

Bookings and cancellation policies reference this table, so the database still refuses a kind
no vertical serves, and a new vertical needs no migration of the core's tables: the app adds
its kind at start-up (``sync``), idempotently.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Column, String
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel


class BookingKindRow(SQLModel, table=True):
    __tablename__ = "booking_kinds"

    kind: str = Field(sa_column=Column(String(32), primary_key=True))


async def sync(session: AsyncSession, kinds: Iterable[str]) -> None:
    """Make every given kind known; kinds already there (or added concurrently) stay as they are."""
    rows = [{"kind": kind} for kind in kinds]
    if rows:
        await session.execute(
            insert(BookingKindRow.__table__).values(rows).on_conflict_do_nothing()
        )
