"""The verticals this process serves, by kind: the core finds a booking's rules here.

The core names no vertical; ``verticals.installed`` lists the real ones and registers them.
A test may register one more before it builds its own app (and remove it afterwards).
"""

from __future__ import annotations

from payable.verticals.base import Vertical

_by_kind: dict[str, Vertical] = {}


def register(vertical: Vertical) -> None:
    """Idempotent for the same vertical; a second vertical of one kind is a bug."""
    known = _by_kind.get(vertical.kind)
    if known is vertical:
        return
    if known is not None:
        raise ValueError(f"a vertical of kind {vertical.kind} is registered already")
    # A filter's name says which vertical it narrows to (``bookings.search``).
    for other in _by_kind.values():
        if shared := set(other.filters) & set(vertical.filters):
            raise ValueError(f"{vertical.kind} and {other.kind} both filter on {shared}")
    _by_kind[vertical.kind] = vertical


def unregister(kind: str) -> None:
    _by_kind.pop(kind, None)


def get(kind: str) -> Vertical:
    return _by_kind[kind]


def all_verticals() -> tuple[Vertical, ...]:
    """In registration order: the order of the public ``BookingKind`` values."""
    return tuple(_by_kind.values())


def kinds() -> tuple[str, ...]:
    return tuple(_by_kind)
