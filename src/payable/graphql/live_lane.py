"""A live event's `next` message is built once per distinct selection and sent to every sharer.

Executing once per (document, variables, role) (`shared_events`) still left each subscriber
running the event through strawberry's per-result pipeline (extensions, error masking,
encoding): most of the cost of a burst with a thousand subscribers. On a graphql-transport-ws
socket each subscription gets a lane: the first subscriber of a selection to take an event
sends it the ordinary way and the lane keeps the payload as it went out (masked, with its
extensions) as encoded JSON; every other subscriber of that selection sends those bytes as
they are. The key holds the document, operation name, variables, role and tenant, so what a
role may not see is never in another role's bytes. Anything else (the legacy graphql-ws
protocol, replayed events) takes the ordinary way.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import orjson
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)

from payable.core.principal import Principal

# The lane of the subscription being run: set in the operation's own task, read by its resolver.
_current: ContextVar[Lane | None] = ContextVar("payable_live_lane", default=None)
Payload = asyncio.Future[orjson.Fragment | None]  # None: the first sharer sent nothing


class Lane:
    """One subscription operation on one socket."""

    def __init__(self, operation: Operation[Any, Any]) -> None:
        self.operation = operation
        self.capturing: Payload | None = None  # the payload this operation's next `next` fills

    def key(self, principal: Principal) -> tuple[Any, ...]:
        """Who may share this subscription's messages: the same request by the same role."""
        variables = orjson.dumps(self.operation.variables or {}, option=orjson.OPT_SORT_KEYS)
        return (
            "next-payload",
            self.operation.query,
            self.operation.operation_name,
            variables,
            principal.role,
            principal.tenant_id,
        )

    async def send_shared(self, shared: dict[Any, Any], key: tuple[Any, ...]) -> bool:
        """Send the payload another sharer already sent for this event; False when there is
        none (this subscriber sends it the ordinary way, under `capture`)."""
        payload: Payload | None = shared.get(key)
        if payload is None:
            return False
        # Shielded: leaving must not cancel the payload the other sharers wait for.
        fragment = await asyncio.shield(payload)
        if fragment is None:
            return False
        message = {"id": self.operation.id, "type": "next", "payload": fragment}
        await self.operation.send_operation_message(message)  # type: ignore[typeddict-item]
        return True

    @contextlib.contextmanager
    def capture(self, shared: dict[Any, Any], key: tuple[Any, ...]) -> Iterator[None]:
        """Around yielding an event: keep the `next` payload it produces for the sharers."""
        payload: Payload = asyncio.get_running_loop().create_future()
        shared[key] = self.capturing = payload
        try:
            yield
        finally:
            self.capturing = None
            if not payload.done():  # nothing went out (an error, or the subscriber left)
                payload.set_result(None)


def current() -> Lane | None:
    return _current.get()


class LiveTransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """graphql-transport-ws, each operation run with its lane."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lanes: dict[str, Lane] = {}

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        lane = self.lanes[operation.id] = Lane(operation)
        token = _current.set(lane)
        try:
            await super().run_operation(operation)
        finally:
            _current.reset(token)
            if self.lanes.get(operation.id) is lane:
                del self.lanes[operation.id]

    async def send_message(self, message: Any) -> None:
        lane = self.lanes.get(message.get("id")) if message["type"] == "next" else None
        if lane is not None and lane.capturing is not None:
            fragment = orjson.Fragment(orjson.dumps(message["payload"]))
            lane.capturing.set_result(fragment)
            lane.capturing = None
            message = {**message, "payload": fragment}
        await super().send_message(message)
