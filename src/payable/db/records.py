"""Rows read for display, as named tuples.

A SQLAlchemy Row resolves each attribute through its result's key map; a page of bookings
reads its rows' attributes tens of thousands of times, and a named tuple answers them at the
speed of a tuple index. The names are the columns' (the models' attribute names); the tuples
are read-only, like the rows they copy.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any


@cache
def record_type(fields: tuple[str, ...]) -> Any:
    """The named tuple type with these fields (one per distinct list of names)."""
    return namedtuple("Record", fields)


def records(rows: Iterable[Sequence[Any]], fields: Sequence[str]) -> list[Any]:
    """``rows`` as named tuples with ``fields`` for names, in order."""
    make = record_type(tuple(fields))._make
    return [make(row) for row in rows]
