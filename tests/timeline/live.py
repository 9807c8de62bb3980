"""A real uvicorn server for the test app (websockets need one), and a gql client for it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from payable.web.live_socket import LiveWebSocketProtocol

EVENTS = """subscription($after: String, $bookingId: ID, $kind: BookingKind) {
  bookingEvents(after: $after, bookingId: $bookingId, kind: $kind) {
    id sequence type actor booking { id kind } } }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` (already started) on a free port; yields its ws:// URL."""
    port = free_port()
    config = uvicorn.Config(
        app, port=port, lifespan="off", log_level="warning", ws=LiveWebSocketProtocol
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        await task


def client(url: str, token: str, *, legacy: bool = False) -> Client:
    protocol = (
        WebsocketsTransport.APOLLO_SUBPROTOCOL
        if legacy
        else WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL
    )
    transport = WebsocketsTransport(
        url=url, init_payload={"Authorization": f"Bearer {token}"}, subprotocols=[protocol]
    )
    return Client(transport=transport, fetch_schema_from_transport=False)


async def collect(session: Any, count: int, *, timeout: float = 10, **variables: Any) -> list[dict]:
    """The first ``count`` events of a subscription."""
    received: list[dict] = []
    async with asyncio.timeout(timeout):
        request = gql(EVENTS)
        request.variable_values = variables
        async for result in session.subscribe(request):
            received.append(result["bookingEvents"])
            if len(received) == count:
                break
    return received
