"""Root queries: `node(id:)` and the `bookings` connection."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError

from payable.bookings import queries as bookings
from payable.core import ids
from payable.core.errors import NotFound
from payable.graphql import json_nodes, prefetch
from payable.graphql.bookings import filter as booking_filter
from payable.graphql.bookings.filter import BookingFilter
from payable.graphql.context import ctx
from payable.graphql.loaders import Loaders
from payable.graphql.pagination import decode_cursor, encode_cursor, page_size
from payable.graphql.types.booking import (
    BOOKING_TYPES,
    PayableBookingConnection,
    PayableBookingEdge,
    to_graphql,
)
from payable.graphql.types.common import BookingKind, BookingStatus, Node, PageInfo, PaymentStatus
from payable.graphql.types.parties import CancellationPolicy, Customer
from payable.graphql.types.payments import Payment, PaymentRequest
from payable.graphql.types.refunds import Refund
from payable.graphql.types.reviews import ReviewTask
from payable.graphql.types.schedule import Installment
from payable.graphql.types.timeline import BookingEvent
from payable.reviews import queries as review_queries

Fetch = Callable[[Loaders, uuid.UUID], Awaitable[Node | None]]


def _wrap(loader: str, build: Callable[[Any], Node]) -> Fetch:
    async def fetch(loaders: Loaders, local: uuid.UUID) -> Node | None:
        row = await getattr(loaders, loader).load(local)
        return build(row) if row is not None else None

    return fetch


async def _review_task(loaders: Loaders, local: uuid.UUID) -> Node | None:
    """Tasks belong to no booking's tree, so no dataloader: one look-up in the caller's tenant."""
    row = await review_queries.by_id(
        session=loaders.session, tenant_id=loaders.tenant_id, task_id=local
    )
    return ReviewTask(row=row) if row is not None else None


def _node_fetchers() -> dict[str, Fetch]:
    fetchers: dict[str, Fetch] = {
        "Customer": _wrap("customer", lambda row: Customer(row=row)),
        "CancellationPolicy": _wrap("policy", lambda view: CancellationPolicy(view=view)),
        "Installment": _wrap("installment", lambda row: Installment(row=row)),
        "PaymentRequest": _wrap("payment_request", lambda row: PaymentRequest(row=row)),
        "Payment": _wrap("payment", lambda row: Payment(row=row)),
        "Refund": _wrap("refund", lambda row: Refund(row=row)),
        "BookingEvent": _wrap("event", lambda row: BookingEvent(row=row)),
        "ReviewTask": _review_task,
    }
    for graphql_type in BOOKING_TYPES.values():
        fetchers[graphql_type.__name__] = _wrap("booking", to_graphql)
    return fetchers


@strawberry.type
class BookingQueries:
    @strawberry.field(description="Any object by its global id; null when unknown or not yours.")
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> Node | None:
        context = ctx(info)
        context.caller  # noqa: B018 - anonymous callers are refused before any lookup
        try:
            type_name, local = ids.from_global_id(id)
        except NotFound:
            return None
        fetch = _node_fetchers().get(type_name)
        found = await fetch(context.loaders, local) if fetch else None
        # A global id names its type; a booking id minted for another vertical finds nothing.
        return found if found is not None and type(found).__name__ == type_name else None

    @strawberry.field(
        description="The caller's bookings, newest first; `filter` finds them by reference,"
        " customer, specialist, day, course group, tour package and more."
    )
    async def bookings(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        kind: BookingKind | None = None,
        status: BookingStatus | None = None,
        payment_status: PaymentStatus | None = None,
        filter: BookingFilter | None = None,
    ) -> PayableBookingConnection:
        context = ctx(info)
        tenant_id = context.caller.tenant_id
        size = page_size(first)
        position = _position(after)
        where = booking_filter.to_domain(
            filter, kind=kind, status=status, payment_status=payment_status
        )
        session = context.read_session
        with_total = prefetch.asks_for(info, "totalCount")
        page = bookings.Page(tenant_id=tenant_id, where=where, first=size, after=position)
        statement = json_nodes.statement_for(info, BOOKING_TYPES) if context.writes_orjson else None
        if statement is not None:
            keys, has_next, total = await bookings.page_keys(
                session=session, page=page, with_total=with_total
            )
            nodes = await statement.render(
                session=session,
                ids=[key.id for key in keys],
                tenant_id=tenant_id,
                hidden_events=context.loaders.hidden_events,
            )
            if nodes is not None:
                return _connection(session, page, keys, nodes, has_next, total)
        views, has_next, total = await bookings.page(
            session=session, page=page, with_total=with_total
        )
        loader = context.loaders.booking
        for view in views:  # later look-ups of these bookings (events, payments) need no query
            loader.prime(view.booking.id, view)
        related = await prefetch.related(info, context.loaders, views)
        nodes = [to_graphql(v, r) for v, r in zip(views, related, strict=True)]
        keys = [v.booking for v in views]
        return _connection(session, page, keys, nodes, has_next, total)


def _connection(
    session: Any,
    page: bookings.Page,
    keys: Sequence[Any],
    nodes: Sequence[Any],
    has_next: bool,
    total: int | None,
) -> PayableBookingConnection:
    """The connection of a page: ``keys`` (each with the booking's id and creation time) give
    the cursors; ``nodes`` are the bookings or their JSON."""
    edges = [
        PayableBookingEdge(node=node, cursor=encode_cursor(key.created_at.isoformat(), str(key.id)))
        for key, node in zip(keys, nodes, strict=True)
    ]
    return PayableBookingConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None),
        total_count_loader=(
            (lambda: bookings.count(session=session, tenant_id=page.tenant_id, where=page.where))
            if total is None
            else partial(_known, total)
        ),
    )


async def _known(total: int) -> int:
    return total


def _position(after: str | None) -> bookings.Position | None:
    if after is None:
        return None
    parts = decode_cursor(after)
    try:
        created_at, local = parts
        return bookings.Position(datetime.fromisoformat(created_at), uuid.UUID(local))
    except (TypeError, ValueError):
        raise GraphQLError(
            "`after` is not a cursor this API issued", extensions={"code": "INVALID_CURSOR"}
        ) from None
