"""A page of bookings fetches the relations its selection asks for before any field resolves.

Resolved one booking at a time, every relation field of every listed booking was an async
dataloader call (a task, a future, a wrapper): seven per booking, most of a list's cost. The
list resolver instead reads the query's selection under `edges { node { … } }`, loads each
relation asked for once for the whole page (through the request's loaders: one statement
each, as before, so the count stays constant in page size), and hands every booking its own
rows. The booking's fields then answer synchronously from memory; anything not prefetched
(another shape, `node(id:)`, a mutation payload) still goes through the loaders.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator, Sequence
from typing import Any

import strawberry
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    InlineFragmentNode,
    SelectionSetNode,
)
from graphql.execution.values import VariableValues, get_argument_values

from payable.bookings.queries import BookingView
from payable.graphql.loaders import Loaders
from payable.graphql.pagination import page_size, sequence_cursor

TimelinePage = tuple[int, int | None]  # first, after

# Which loaded relation each selected booking field reads.
_NEEDS: dict[str, tuple[str, ...]] = {
    "customer": ("customer",),
    "policy": ("policy",),
    "schedule": ("schedule",),
    "nextDueDate": ("schedule",),
    "nextDueAmount": ("schedule",),
    "paymentRequests": ("payment_requests",),
    "payments": ("payments",),
    "amountHeld": ("payments",),
    "refunds": ("refunds",),
}


class Related:
    """One booking's prefetched relations; None means "not fetched, ask the loaders"."""

    __slots__ = (
        "customer",
        "payment_requests",
        "payments",
        "policy",
        "refunds",
        "schedule",
        "timeline",
    )

    def __init__(self) -> None:
        self.customer: Any = None
        self.policy: Any = None
        self.schedule: list[Any] | None = None
        self.payment_requests: list[Any] | None = None
        self.payments: list[Any] | None = None
        self.refunds: list[Any] | None = None
        self.timeline: dict[TimelinePage, list[Any]] | None = None


def _fields(
    selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    """The fields of a selection set, looking through inline fragments and named ones."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set, fragments)


def asks_for(info: strawberry.Info, name: str) -> bool:
    """Whether this field's selection names ``name`` directly (through fragments too)."""
    raw = info._raw_info
    return any(
        field.name.value == name
        for node in raw.field_nodes
        for field in _fields(node.selection_set, raw.fragments)
    )


def _booking_fields(info: strawberry.Info) -> list[FieldNode]:
    """The fields selected under `edges { node { … } }` of this connection field."""
    raw = info._raw_info
    fragments = raw.fragments
    found: list[FieldNode] = []
    for connection in raw.field_nodes:
        for edges in _fields(connection.selection_set, fragments):
            if edges.name.value != "edges":
                continue
            for node in _fields(edges.selection_set, fragments):
                if node.name.value == "node":
                    found.extend(_fields(node.selection_set, fragments))
    return found


def _timeline_pages(info: strawberry.Info, fields: list[FieldNode]) -> set[TimelinePage] | None:
    """The (first, after) of each `timeline` selected; None if one is invalid (the field says)."""
    raw = info._raw_info
    interface = raw.schema.get_type("PayableBooking")
    assert isinstance(interface, GraphQLInterfaceType)
    definition = interface.fields["timeline"]
    # Resolvers see the coerced variables only; graphql-core reads them from this container.
    variables = VariableValues(sources={}, coerced=raw.variable_values)
    pages: set[TimelinePage] = set()
    for field in fields:
        if field.name.value != "timeline":
            continue
        try:
            arguments = get_argument_values(definition, field, variables)
            pages.add(
                (
                    page_size(arguments.get("first"), default=50),
                    sequence_cursor(arguments.get("after")),
                )
            )
        except GraphQLError:
            return None
    return pages


async def related(
    info: strawberry.Info, loaders: Loaders, views: Sequence[BookingView]
) -> list[Related]:
    """Each listed booking's relations, as far as the selection asks for them."""
    fields = _booking_fields(info)
    selected = {field.name.value for field in fields}
    if any(
        field.name.value == "schedule"
        and any(
            f.name.value == "activePaymentRequest"
            for f in _fields(field.selection_set, info._raw_info.fragments)
        )
        for field in fields
    ):
        selected.add("paymentRequests")
    wanted = {name for field in selected for name in _NEEDS.get(field, ())}
    pages = _timeline_pages(info, fields) if "timeline" in selected else set()

    bookings = [view.booking for view in views]
    ids = [booking.id for booking in bookings]
    keys: dict[str, list[Any]] = {
        "customer": [booking.customer_id for booking in bookings],
        "policy": [booking.policy_version_id for booking in bookings],
    }
    names = sorted(wanted)
    # Straight to the loaders' batch functions: the same statement each, without a future
    # and a cache entry per booking.
    loads: list[Awaitable[list[Any]]] = [
        getattr(loaders, name).load_fn(keys.get(name, ids)) for name in names
    ]
    timeline_pages = sorted(pages or (), key=lambda page: (page[0], page[1] or -1))
    for first, after in timeline_pages:
        loads.append(loaders.timeline.load_fn([(i, first, after) for i in ids]))
    results = await asyncio.gather(*loads) if loads else []

    out = [Related() for _ in views]
    for name, values in zip(names, results, strict=False):
        for one, value in zip(out, values, strict=True):
            setattr(one, name, value)
    for page, events in zip(timeline_pages, results[len(names) :], strict=True):
        for one, value in zip(out, events, strict=True):
            if one.timeline is None:
                one.timeline = {}
            one.timeline[page] = value
    return out
