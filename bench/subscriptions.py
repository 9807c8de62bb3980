"""Benchmark: fan-out of booking events to many concurrent `bookingEvents` subscribers.

Starts `payable serve` on an embedded PostgreSQL (or DATABASE_URL when set), opens N
graphql-transport-ws subscribers on one tenant (all with `after` = the current last sequence),
confirms every one is live with a warm-up booking, then creates a burst of bookings over HTTP
and measures delivery latency (receipt - commit) for every (subscriber, event) pair, plus the
server's RSS. Run by hand: `.venv/bin/python bench/subscriptions.py [--subscribers N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import IO

import httpx
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from payable.core.principal import Role
from payable.core.tokens import issue

SECRET = "bench-secret-" + uuid.uuid4().hex
ROOT = Path(__file__).resolve().parents[1]
CREATE_TOUR = """mutation($input: CreateTourBookingInput!) { createTourBooking(input: $input) {
  booking { id timeline(first: 5) { edges { node { type sequence } } } }
  errors { code message } } }"""
EVENTS = """subscription($after: String, $bookingId: ID, $kind: BookingKind) {
  bookingEvents(after: $after, bookingId: $bookingId, kind: $kind) {
    id sequence type actor booking { id kind } } }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Fanout:
    """What the subscribers saw: receipt time per booking id, one dict per subscriber."""

    def __init__(self, subscribers: int) -> None:
        self.received: list[dict[str, float]] = [{} for _ in range(subscribers)]
        self.subscribed = 0
        self.problems: list[str] = []
        self.watch: set[str] = set()  # booking ids whose arrival we wait for
        self.pending = 0  # deliveries of watched bookings still to come
        self.done = asyncio.Event()

    def expect(self, booking_ids: set[str]) -> None:
        self.watch |= booking_ids
        self.pending += len(booking_ids) * len(self.received)
        self.pending -= sum(len(booking_ids & r.keys()) for r in self.received)
        self.done.clear() if self.pending else self.done.set()

    def arrived(self, index: int, booking_id: str) -> None:
        self.received[index][booking_id] = time.perf_counter()
        if booking_id in self.watch:
            self.pending -= 1
            if self.pending == 0:
                self.done.set()


async def subscriber(index: int, url: str, token: str, after: str, fan: Fanout) -> None:
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    payload = {"query": EVENTS, "variables": {"after": after}}
    subscribe = {"id": "1", "type": "subscribe", "payload": payload}
    async with connect(
        url,
        subprotocols=[Subprotocol("graphql-transport-ws")],
        ping_interval=None,
        open_timeout=120,
    ) as ws:
        await ws.send(json.dumps(init))
        if (ack := json.loads(await ws.recv()))["type"] != "connection_ack":
            raise RuntimeError(f"subscriber {index}: expected connection_ack, got {ack}")
        await ws.send(json.dumps(subscribe))
        fan.subscribed += 1
        async for raw in ws:
            message = json.loads(raw)
            if message["type"] == "ping":
                await ws.send('{"type":"pong"}')
            elif message["type"] == "next" and not message["payload"].get("errors"):
                event = message["payload"]["data"]["bookingEvents"]
                if event["type"] == "CREATED":
                    fan.arrived(index, event["booking"]["id"])
            elif message["type"] != "pong":
                fan.problems.append(f"subscriber {index}: {str(message)[:300]}")
                if message["type"] in ("error", "complete"):
                    return


async def create(http: httpx.AsyncClient, n: int) -> dict:
    variables = {
        "input": {
            "customerRef": f"c-{n % 300}",
            "tourDate": "2031-06-01",
            "packageId": "dilijan",
            "participantCount": 2,
            "price": {"amount": "120000.00", "currency": "AMD"},
            "depositAmount": "40000.00",
        }
    }
    response = await http.post("/graphql", json={"query": CREATE_TOUR, "variables": variables})
    response.raise_for_status()
    payload = response.json()["data"]["createTourBooking"]
    if payload["errors"]:
        raise RuntimeError(f"createTourBooking refused: {payload['errors']}")
    return payload["booking"]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def within(seconds: float, what: str, awaitable: object) -> None:
    try:
        async with asyncio.timeout(seconds):
            await awaitable  # type: ignore[misc]
    except TimeoutError:
        raise SystemExit(f"gave up after {seconds:.0f} s: {what}") from None


async def run(args: argparse.Namespace, base: str, token: str, server_pid: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    url = base.replace("http://", "ws://") + "/graphql"
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
        first = await create(http, 0)
        after = next(
            e["node"]["sequence"]
            for e in first["timeline"]["edges"]
            if e["node"]["type"] == "CREATED"
        )
        rss_before = rss_mb(server_pid)
        fan = Fanout(args.subscribers)
        started = time.perf_counter()
        tasks = [
            asyncio.create_task(subscriber(i, url, token, after, fan))
            for i in range(args.subscribers)
        ]

        async def all_subscribed() -> None:
            while fan.subscribed < args.subscribers:
                if failed := [t for t in tasks if t.done()]:
                    raise SystemExit(f"a subscriber ended while connecting: {failed[0].result()}")
                await asyncio.sleep(0.05)

        try:
            await within(args.timeout, f"{fan.subscribed} subscribed", all_subscribed())
            print(
                f"{args.subscribers} subscribers acknowledged and subscribed in"
                f" {time.perf_counter() - started:.1f} s (after={after})"
            )
            # A warm-up booking proves every subscription is live before anything is timed.
            started = time.perf_counter()
            fan.expect({(await create(http, 1))["id"]})
            await within(
                args.timeout, f"warm-up; {fan.pending} deliveries missing", fan.done.wait()
            )
            print(f"warm-up event reached all in {time.perf_counter() - started:.2f} s")
            await asyncio.sleep(1)
            rss_idle = rss_mb(server_pid)

            commits: dict[str, float] = {}
            queue = iter(range(2, 2 + args.events))

            async def writer() -> None:
                for n in queue:
                    booking = await create(http, n)
                    commits[booking["id"]] = time.perf_counter()

            burst = time.perf_counter()
            await within(
                args.timeout,
                "the burst of mutations",
                asyncio.gather(*(writer() for _ in range(args.concurrency))),
            )
            written = time.perf_counter() - burst
            fan.expect(set(commits))
            timed_out = False
            try:
                async with asyncio.timeout(args.timeout):
                    await fan.done.wait()
            except TimeoutError:
                timed_out = True
            rss_after = rss_mb(server_pid)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    latencies = sorted(
        r[b] - commit for r in fan.received for b, commit in commits.items() if b in r
    )
    expected = args.subscribers * args.events
    last = max((r[b] for r in fan.received for b in commits if b in r), default=burst)
    print(
        f"burst: {args.events} createTourBooking, concurrency {args.concurrency},"
        f" written in {written:.2f} s"
    )
    if timed_out:
        print(f"  GAVE UP waiting after {args.timeout:.0f} s")
    print(f"  delivered {len(latencies)} of {expected} (missing {expected - len(latencies)})")
    if latencies:
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(
            f"  latency receipt-commit: p50 {statistics.median(latencies) * 1000:.1f} ms"
            f"   p99 {p99 * 1000:.1f} ms   max {latencies[-1] * 1000:.1f} ms"
            f"   (min {latencies[0] * 1000:.1f} ms)"
        )
        print(
            f"  {len(latencies) / (last - burst):.0f} events/s delivered"
            f" (burst start to last receipt: {last - burst:.2f} s)"
        )
    print(
        f"server RSS: {rss_before:.0f} MB before subscribers, {rss_idle:.0f} MB with"
        f" {args.subscribers} idle, {rss_after:.0f} MB after the burst"
    )
    for problem in fan.problems[:5]:
        print(f"  problem: {problem}")
    if fan.problems:
        print(f"  {len(fan.problems)} unexpected messages in all")


def summarize(log: IO[str]) -> None:
    """The server's log is kept out of the way; show what kinds of errors it logged."""
    log.seek(0)
    errors: Counter[str] = Counter()
    for line in log:
        if line.startswith("Traceback"):
            errors["plain traceback"] += 1
        elif line.startswith("{"):
            entry = json.loads(line)
            if entry.get("level") in ("error", "critical", "warning"):
                cause = entry.get("exception", "").strip().splitlines()[-1:] or [""]
                errors[f"{entry['event']} {entry.get('error_type', '')}: {cause[0][:160]}"] += 1
    for what, count in errors.most_common(5):
        print(f"server logged {count} x {what}")


def raise_open_files(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < needed:
        print(f"warning: open-file limit is {target} (hard limit), {needed} wanted")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=180, help="seconds per phase")
    args = parser.parse_args()
    raise_open_files(2 * args.subscribers + 1024)  # inherited by the server we spawn

    port = free_port()
    with (
        tempfile.TemporaryDirectory(prefix="payable-bench-") as data_dir,
        Path(data_dir, "server.log").open("w+") as log,
    ):
        env = os.environ | {
            "PAYABLE_DATA_DIR": data_dir,
            "PAYABLE_JWT_SECRET": SECRET,
            "PAYABLE_LOG_LEVEL": "WARNING",
            "PAYABLE_WORKERS_ENABLED": "false",
        }
        command = [sys.executable, "-m", "payable", "serve", "--port", str(port)]
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            else:
                raise SystemExit("server did not become ready")
            token = issue(
                secret=SECRET,
                tenant=f"bench-{uuid.uuid4().hex[:8]}",
                role=Role.OPERATOR,
                sub="bench",
                ttl=timedelta(hours=1),
            )
            asyncio.run(run(args, base, token, server.pid))
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            summarize(log)


if __name__ == "__main__":
    main()
