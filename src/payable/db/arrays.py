"""``column = ANY(:values)``: one array parameter where ``IN`` expands one per value.

A page's batch look-ups pass a hundred ids. ``IN`` renders a parameter for each at every
execution (and a different statement text for every count); an array is one parameter and
one statement text whatever the page size.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY


def any_of(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))


def any_of_ids(column: Any) -> ColumnElement[bool]:
    """``column = ANY(:ids)`` for a statement built once and executed with ``{"ids": [...]}``:
    it then keeps its compiled form and cache key, instead of being built on every call."""
    return column == any_(bindparam("ids", type_=ARRAY(column.type)))
