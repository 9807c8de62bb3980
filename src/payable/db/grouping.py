"""Shared shape of the batch look-ups behind dataloaders: rows grouped by a key."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


async def grouped(
    session: AsyncSession, query: Select[Any], key: str
) -> dict[uuid.UUID, list[Any]]:
    """Run ``query`` (one entity per row) and group the rows by attribute ``key``."""
    groups: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in (await session.execute(query)).scalars():
        groups[getattr(row, key)].append(row)
    return groups


def by_id(rows: Iterable[T]) -> dict[uuid.UUID, T]:
    return {row.id: row for row in rows}  # type: ignore[attr-defined]
