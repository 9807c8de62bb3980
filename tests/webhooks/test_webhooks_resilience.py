"""Webhooks against real `payable serve` processes: a receiver that fails, goes down across a
server crash (SIGKILL) and comes back gets every event, in order per booking, validly signed;
two servers delivering at once never send one attempt twice."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable

import asyncpg
import httpx
import pytest

from payable.core.ids import to_global_id
from payable.webhooks import signing
from tests.api import Api
from tests.conftest import JWT_SECRET
from tests.money.factories import local
from tests.webhooks.factories import cancel, clinic, endpoint
from tests.webhooks.receiver import Received, Receiver

FAST = {"PAYABLE_WORKER_INTERVAL_SECONDS": "0.2", "PAYABLE_WEBHOOK_RETRY_BASE_SECONDS": "0.1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(database_url: str) -> subprocess.Popen[bytes]:
    """`payable serve` with its worker loop every 0.2 s and retries from 0.1 s."""
    port = _free_port()
    env = os.environ | {
        "DATABASE_URL": database_url,
        "PAYABLE_ENV": "development",  # a receiver on 127.0.0.1 is allowed
        "PAYABLE_JWT_SECRET": JWT_SECRET,
        "PAYABLE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        **FAST,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "payable", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    process.wait()
    pytest.fail("payable serve did not become ready")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _until(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def _expected(db: asyncpg.Connection, booking_ids: list[str]) -> dict[str, list[str]]:
    """Each booking's deliverable events (global ids), in timeline order."""
    rows = await db.fetch(
        "SELECT id, booking_id FROM booking_events WHERE booking_id = ANY($1) AND type <> 'NOTE'"
        " ORDER BY sequence",
        [local(b) for b in booking_ids],
    )
    found: dict[str, list[str]] = defaultdict(list)
    by_local = {local(b): b for b in booking_ids}
    for row in rows:
        found[by_local[row["booking_id"]]].append(to_global_id("BookingEvent", row["id"]))
    return dict(found)


def _per_booking(requests: list[Received]) -> dict[str, list[str]]:
    """Event ids per booking, in the order the receiver got them."""
    seen: dict[str, list[str]] = defaultdict(list)
    for request in requests:
        body = json.loads(request.body)
        seen[body["bookingId"]].append(body["id"])
    return dict(seen)


async def _pending(db: asyncpg.Connection, endpoint_id: str) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND status <> 'SUCCEEDED'",
        local(endpoint_id),
    )


async def test_every_event_arrives_in_order_through_failures_a_dead_receiver_and_a_crash(
    api: Api, db: asyncpg.Connection, database_url: str
) -> None:
    """The receiver fails its first three requests, then is down while events keep coming and
    the server is killed (SIGKILL); more events come while no server runs; a new server starts,
    the receiver comes back. Every event arrives, each booking's in timeline order (also counting
    failed attempts: no later event was ever tried before an earlier one was accepted), and
    every request is signed with the endpoint's secret.

    Fails before: no webhooks existed (createWebhookEndpoint was not in the schema).
    """
    receiver = Receiver(answers=[500, 503, 500]).start()
    hook, secret = await endpoint(api, receiver.url)
    bookings = [await clinic(api) for _ in range(3)]
    server = _serve(database_url)
    try:
        await cancel(api, bookings[0])
        await cancel(api, bookings[1])
        await _until(lambda: sum(r.status == 200 for r in receiver.received) >= 3)
        receiver.stop()  # down
        await cancel(api, bookings[2])
        bookings += [await clinic(api) for _ in range(2)]
        await asyncio.sleep(1)  # attempts against nobody
        server.send_signal(signal.SIGKILL)
        assert server.wait(timeout=10) == -signal.SIGKILL
        await cancel(api, bookings[3])  # while no server runs
        bookings.append(await clinic(api))
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert await _pending(db, hook["id"]) > 0

    server = _serve(database_url)
    try:
        await asyncio.sleep(1)  # the new server tries; the receiver is still down
        back = Receiver(port=receiver.port).start()
        try:
            deadline = time.monotonic() + 90
            while await _pending(db, hook["id"]):
                assert time.monotonic() < deadline, "deliveries still pending"
                await asyncio.sleep(0.2)
        finally:
            back.stop()
    finally:
        _stop(server)

    requests = receiver.received + back.received
    accepted = [r for r in requests if r.status == 200]
    expected = await _expected(db, bookings)
    # ours (6 CREATED, 4 CANCELLED) and the server's own (reminders raised, then resolved)
    types = [json.loads(r.body)["type"] for r in accepted]
    assert (types.count("CREATED"), types.count("CANCELLED")) == (6, 4)
    assert [r.status for r in receiver.received[:3]] == [500, 503, 500]
    assert _per_booking(accepted) == expected  # every event, once, in order per booking
    for booking_id, tried in _per_booking(requests).items():
        order = expected[booking_id]
        assert [order.index(e) for e in tried] == sorted(order.index(e) for e in tried)
    for request in requests:
        assert signing.verify(
            secret=secret, header=request.headers["Payable-Signature"], body=request.body
        )
        assert request.headers["Payable-Event-Id"] == json.loads(request.body)["id"]
    attempts = await db.fetchval(
        "SELECT sum(attempts) FROM webhook_deliveries WHERE endpoint_id = $1", local(hook["id"])
    )
    assert attempts > len(requests)  # refused connections count as attempts too


async def test_two_servers_never_send_one_attempt_twice(
    api: Api, db: asyncpg.Connection, database_url: str
) -> None:
    """A backlog of 60 events and two `payable serve` processes delivering at once (each request
    takes 50 ms, so their rounds overlap): every delivery reaches the receiver exactly once, with
    one attempt, and every event arrives in order per booking.

    Fails before: no webhooks existed.
    """
    receiver = Receiver(delay=0.05).start()
    hook, _ = await endpoint(api, receiver.url)
    bookings = [await clinic(api) for _ in range(30)]
    for booking_id in bookings:
        await cancel(api, booking_id)
    servers = [_serve(database_url), _serve(database_url)]
    try:
        deadline = time.monotonic() + 90
        while await _pending(db, hook["id"]):
            assert time.monotonic() < deadline, "deliveries still pending"
            await asyncio.sleep(0.2)
        await asyncio.sleep(1)  # anything sent twice would arrive by now
    finally:
        for server in servers:
            _stop(server)
        receiver.stop()

    per_delivery: dict[str, int] = defaultdict(int)
    for request in receiver.received:
        per_delivery[request.headers["Payable-Delivery-Id"]] += 1
    assert len(per_delivery) == 60
    assert set(per_delivery.values()) == {1}
    assert _per_booking(receiver.received) == await _expected(db, bookings)
    rows = await db.fetch(
        "SELECT status, attempts, last_error FROM webhook_deliveries WHERE endpoint_id = $1",
        local(hook["id"]),
    )
    assert sorted({(r["status"], r["attempts"], r["last_error"]) for r in rows}) == [
        ("SUCCEEDED", 1, None)
    ]
