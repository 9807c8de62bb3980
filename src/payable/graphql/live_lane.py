"""A live event's `next` message is built once per distinct selection and sent to every sharer.

Executing once per (document, variables, role) (`shared_events`) still left each subscriber
running the event through strawberry's per-result pipeline (extensions, error masking,
encoding): most of the cost of a burst with a thousand subscribers. On a graphql-transport-ws
socket each subscription gets a lane: the first subscriber of a selection to take an event
sends it the ordinary way and the lane keeps the payload as it went out (masked, with its
extensions) as encoded JSON; every other subscriber of that selection sends those bytes as
they are, written straight to its socket when the server's protocol allows it
(`payable.web.live_socket`), the messages it has queued in one write. The key holds the
document, operation name, variables, role and tenant, so what a role may not see is never in
another role's bytes. Anything else (the legacy graphql-ws protocol, replayed events) takes
the ordinary way.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, NamedTuple

import orjson
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)

from payable.core.principal import Principal
from payable.web import live_socket

# The lane of the subscription being run: set in the operation's own task, read by its resolver.
_current: ContextVar[Lane | None] = ContextVar("payable_live_lane", default=None)
Payload = asyncio.Future[orjson.Fragment | None]  # None: the first sharer sent nothing


class Message(NamedTuple):
    encoded: bytes  # the whole `next` message, as it goes out
    payload: orjson.Fragment


class Lane:
    """One subscription operation on one socket."""

    def __init__(self, operation: Operation[Any, Any], write: live_socket.WriteText | None) -> None:
        self.operation = operation
        self.write = write  # straight to the socket, when the server's protocol offers it
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

    async def shared_message(self, shared: dict[Any, Any], key: tuple[Any, ...]) -> Message | None:
        """The `next` message another sharer already sent for this event, for this operation;
        None when there is none (this subscriber sends it the ordinary way, under `capture`)."""
        payload: Payload | None = shared.get(key)
        if payload is None:
            return None
        # Shielded: leaving must not cancel the payload the other sharers wait for.
        fragment = await asyncio.shield(payload)
        if fragment is None:
            return None
        # Encoded once per event for all the sharers whose operation has this id.
        encoded = shared.get((key, self.operation.id))
        if encoded is None:
            encoded = shared[key, self.operation.id] = orjson.dumps(
                {"id": self.operation.id, "type": "next", "payload": fragment}
            )
        return Message(encoded, fragment)

    async def send(self, messages: list[Message]) -> None:
        """Write the messages to the socket in one go, or, when it does not take them now
        (paused for a slow reader), send each the ordinary way, which waits."""
        if not messages or self.operation.completed:
            return
        if self.write is not None and self.write([m.encoded for m in messages]):
            return
        for message in messages:
            next_message = {"id": self.operation.id, "type": "next", "payload": message.payload}
            await self.operation.send_operation_message(next_message)  # type: ignore[typeddict-item]

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
        socket = getattr(self.context, "request", None)  # the websocket, for its scope
        self.write = live_socket.writer(socket.scope) if socket is not None else None

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        lane = self.lanes[operation.id] = Lane(operation, self.write)
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
