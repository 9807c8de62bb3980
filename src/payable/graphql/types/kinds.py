"""The public ``BookingKind`` enum: the registered verticals' kinds, in registration order.

Its values are set when a schema is built (``use``), so a vertical registered before its app
is built adds its kind and the core lists none. A value arrives in resolvers as a ``str``.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import strawberry
from strawberry.types.enum import EnumValue


class _Registered(enum.StrEnum):
    """Empty until ``use`` fills the definition from the registry."""


BookingKind = strawberry.enum(_Registered, name="BookingKind")


def use(kinds: Sequence[str]) -> None:
    """The kinds the next schema built offers; a schema already built keeps its own."""
    definition = BookingKind.__strawberry_definition__  # type: ignore[attr-defined]
    definition.wrapped_cls = enum.StrEnum("BookingKind", {kind: kind for kind in kinds})
    definition.values = [EnumValue(kind, kind) for kind in kinds]
