"""Shared shape of the batch look-ups behind dataloaders: rows grouped by a key."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.db.records import records

T = TypeVar("T")


async def grouped(
    session: AsyncSession, query: Select[Any], key: str, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Any]]:
    """Run ``query`` (a table's columns, ``any_of_ids``) for ``ids`` and group the rows by
    column ``key``.

    Plain rows, read-only, with the model's attribute names: a page of bookings reads hundreds
    of them for display, and an ORM entity costs several times a row to build and to collect.
    """
    groups: dict[uuid.UUID, list[Any]] = defaultdict(list)
    result = await session.execute(query, {"ids": list(ids)})
    for row in records(result, list(result.keys())):
        groups[getattr(row, key)].append(row)
    return groups


def by_id(rows: Iterable[T]) -> dict[uuid.UUID, T]:
    return {row.id: row for row in rows}  # type: ignore[attr-defined]
