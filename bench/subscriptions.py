"""Benchmark: fan-out of booking events to many concurrent `bookingEvents` subscribers.

Starts `payable serve` (embedded PostgreSQL, or DATABASE_URL), opens N graphql-transport-ws
subscribers on one tenant with `after` = the last sequence, proves each live with a warm-up
booking, then creates a burst of bookings over HTTP and prints delivery latency (receipt - commit)
per (subscriber, event) pair and the server's RSS and CPU. Run by hand:
`.venv/bin/python bench/subscriptions.py [--subscribers 1000] [--events 100] [--light]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from payable.core.principal import Role
from payable.core.tokens import issue

SECRET = "bench-secret-" + uuid.uuid4().hex
ROOT = Path(__file__).resolve().parents[1]
CREATE_TOUR = """mutation($input: CreateTourBookingInput!) { createTourBooking(input: $input) {
  booking { id timeline(first: 1) { edges { node { type sequence } } } } errors { code } } }"""
TOUR = {"tourDate": "2031-06-01", "packageId": "dilijan", "participantCount": 2}
PRICE = {"price": {"amount": "120000.00", "currency": "AMD"}, "depositAmount": "40000.00"}
EVENTS = """subscription($after: String, $bookingId: ID, $kind: BookingKind) {
  bookingEvents(after: $after, bookingId: $bookingId, kind: $kind) {
    id sequence type actor booking { id kind } } }"""  # as in tests/timeline/live.py
# --light: without the `booking` field (no per-event booking lookup); keyed by sequence instead.
LIGHT = """subscription($after: String) {
  bookingEvents(after: $after) { id sequence type actor } }"""


class Fanout:
    """What the subscribers saw: receipt time per event key, one dict per subscriber."""

    def __init__(self, subscribers: int) -> None:
        self.received: list[dict[str, float]] = [{} for _ in range(subscribers)]
        self.live, self.subscribed, self.problems = set(range(subscribers)), 0, Counter[str]()

    def missing(self, keys: set[str]) -> int:  # deliveries still owed to live subscribers
        return sum(len(keys - self.received[i].keys()) for i in self.live)


async def subscriber(index: int, url: str, hello: tuple[str, str], fan: Fanout) -> None:
    """Send connection_init, then subscribe (`hello`); record each CREATED event's arrival."""
    protocol, problem = Subprotocol("graphql-transport-ws"), "the server closed the socket"
    try:
        async with connect(url, subprotocols=[protocol], open_timeout=120) as ws:
            await ws.send(hello[0])
            if (ack := json.loads(await ws.recv()))["type"] != "connection_ack":
                raise RuntimeError(f"expected connection_ack, got {ack}")
            await ws.send(hello[1])
            fan.subscribed += 1
            while True:  # bytes and orjson: the client's CPU is the server's machine's too
                message = orjson.loads(await ws.recv(decode=False))
                kind, payload = message["type"], message.get("payload")
                if kind == "ping":
                    await ws.send('{"type": "pong"}')
                elif kind == "next" and not payload.get("errors"):
                    event = payload["data"]["bookingEvents"]
                    key = (event.get("booking") or {"id": event["sequence"]})["id"]
                    if event["type"] == "CREATED" and key in fan.received[index]:
                        fan.problems["a duplicate delivery"] += 1
                    elif event["type"] == "CREATED":
                        fan.received[index][key] = time.perf_counter()
                elif kind in ("error", "complete"):  # the subscription is over
                    problem = f"{kind}: {json.dumps(payload)[:240]}"
                    break
                elif kind != "pong":
                    fan.problems[f"{kind}: {json.dumps(payload)[:240]}"] += 1
    except Exception as error:  # counted and shown; the others carry on
        problem = f"{type(error).__name__}: {error}"[:240]
    fan.problems[problem] += 1
    fan.live.discard(index)


async def create(http: httpx.AsyncClient, n: int) -> dict[str, Any]:
    variables = {"input": {"customerRef": f"c-{n % 300}", **TOUR, **PRICE}}
    response = await http.post("/graphql", json={"query": CREATE_TOUR, "variables": variables})
    body = response.json()
    if response.is_error or body.get("errors") or body["data"]["createTourBooking"]["errors"]:
        raise RuntimeError(f"createTourBooking failed: {response.status_code} {body}"[:400])
    booking = body["data"]["createTourBooking"]["booking"]
    created = booking["timeline"]["edges"][0]["node"]  # oldest first: CREATED
    return booking | {"sequence": created["sequence"]}


async def until(condition: Callable[[], bool], deadline: float) -> bool:
    while not condition():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def proc(pid: int) -> tuple[float, float]:  # RSS in MB, CPU seconds (user + system)
    rss = int(Path(f"/proc/{pid}/status").read_text().split("VmRSS:")[1].split()[0]) / 1024
    stat = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return rss, (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def spread(samples: list[float]) -> str:
    if not (s := sorted(samples)):
        return "no samples"
    p50, p99, top = s[len(s) // 2] * 1e3, s[len(s) * 99 // 100] * 1e3, s[-1] * 1e3
    return f"p50 {p50:.0f} ms   p99 {p99:.0f} ms   max {top:.0f} ms"


def show(counts: Counter[str], what: str) -> None:
    for problem, count in counts.most_common(5):
        print(f"  {count} x {what}: {problem}")


async def run(args: argparse.Namespace, base: str, token: str, pid: int) -> None:
    deadline = time.perf_counter() + args.timeout
    url, query = base.replace("http", "ws", 1) + "/graphql", LIGHT if args.light else EVENTS
    key, n, fan = "sequence" if args.light else "id", args.subscribers, Fanout(args.subscribers)
    # key -> request sent, and key -> just after the response (an upper bound of the commit)
    sent, commits, failed = dict[str, float](), dict[str, float](), Counter[str]()
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
        after = (await create(http, 0))["sequence"]
        rss, started = {"before subscribers": proc(pid)[0]}, time.perf_counter()
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        request = {"query": query, "variables": {"after": after}}
        hello = json.dumps(init), json.dumps({"id": "1", "type": "subscribe", "payload": request})
        tasks = [asyncio.create_task(subscriber(i, url, hello, fan)) for i in range(n)]
        try:
            if not await until(lambda: fan.subscribed == len(fan.live) == n, deadline):
                raise TimeoutError(f"{fan.subscribed} of {n} subscribers acknowledged")
            print(f"{n} subscribers acknowledged in {time.perf_counter() - started:.1f} s")
            started, warm = time.perf_counter(), {(await create(http, 1))[key]}
            if not await until(lambda: fan.missing(warm) == 0, deadline) or len(fan.live) < n:
                raise TimeoutError(f"warm-up reached {n - fan.missing(warm)} of {n} subscribers")
            print(f"warm-up event reached all {n} in {time.perf_counter() - started:.2f} s")
            await asyncio.sleep(1)
            rss[f"with {n} idle"] = proc(pid)[0]
            numbers = iter(range(2, 2 + args.events))

            async def writer() -> None:
                for number in numbers:
                    t0 = time.perf_counter()
                    try:
                        booking = await create(http, number)
                        commits[booking[key]], sent[booking[key]] = time.perf_counter(), t0
                    except (RuntimeError, httpx.HTTPError) as error:  # counted; the burst goes on
                        failed[f"{type(error).__name__}: {error}"[:300]] += 1

            cpu, burst = (proc(pid)[1], time.process_time()), time.perf_counter()
            writers = asyncio.gather(*(writer() for _ in range(args.concurrency)))
            with contextlib.suppress(TimeoutError):  # then report on what did commit
                await asyncio.wait_for(writers, deadline - burst)
            written = time.perf_counter() - burst
            burst_keys = set(commits)
            complete = await until(lambda: fan.missing(burst_keys) == 0, deadline)
            cpu = proc(pid)[1] - cpu[0], time.process_time() - cpu[1]
            rss["after the burst"] = proc(pid)[0]
        except (TimeoutError, RuntimeError) as error:
            print(f"GAVE UP ({args.timeout:.0f} s for the whole run): {error}")
            show(fan.problems, "to subscribers")
            raise SystemExit(1) from None
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    pairs = [(r[k], k) for r in fan.received for k in commits if k in r]
    expected, last = n * len(commits), max((t for t, _ in pairs), default=burst)
    print(f"burst: {len(commits)} of {args.events} createTourBooking answered in {written:.2f} s")
    show(failed, "failed mutation")
    print(f"  mutation round trip: {spread([commits[k] - sent[k] for k in commits])}")
    print(f"  delivered {len(pairs)} of {expected} ({n} subscribers x {len(commits)} bookings)")
    print(f"  missing {expected - len(pairs)}; {n - len(fan.live)} subscriptions ended early")
    print("  GAVE UP waiting for the rest" if not complete else "  all live subscribers got all")
    print(f"  latency receipt - commit: {spread([t - commits[k] for t, k in pairs])}")
    rate = len(pairs) / max(last - burst, 1e-9)
    print(f"  {rate:.0f} events/s delivered (burst start to the last receipt)")
    print(f"CPU during the burst: server {cpu[0]:.1f} s, this client {cpu[1]:.1f} s")
    print("server RSS: " + ", ".join(f"{mb:.0f} MB {when}" for when, mb in rss.items()))
    show(fan.problems, "to subscribers")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=10, help="mutations in flight")
    parser.add_argument("--timeout", type=float, default=300, help="seconds for the whole run")
    parser.add_argument("--light", action="store_true", help="subscribe without `booking`")
    args = parser.parse_args()
    files, (_, hard) = 2 * args.subscribers + 1024, resource.getrlimit(resource.RLIMIT_NOFILE)
    files = files if hard == resource.RLIM_INFINITY else min(hard, files)
    resource.setrlimit(resource.RLIMIT_NOFILE, (files, hard))  # the server inherits it
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with (
        tempfile.TemporaryDirectory(prefix="payable-bench-") as data_dir,
        Path(data_dir, "server.log").open("w+") as log,
    ):
        env = os.environ | {
            "PAYABLE_DATA_DIR": data_dir,
            "PAYABLE_JWT_SECRET": SECRET,
            "PAYABLE_RATE_LIMIT_ENABLED": "false",  # a bench is one client asking a lot
        }
        env |= {"PAYABLE_LOG_LEVEL": "WARNING", "PAYABLE_WORKERS_ENABLED": "false"}
        command = [sys.executable, "-m", "payable", "serve", "--port", str(port)]
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{base}/readyz").status_code == 200:
                        break
                time.sleep(0.1)
            else:
                raise SystemExit("server did not become ready")
            tenant, ttl = f"bench-{uuid.uuid4().hex[:8]}", timedelta(hours=1)
            token = issue(secret=SECRET, tenant=tenant, role=Role.OPERATOR, sub="bench", ttl=ttl)
            asyncio.run(run(args, base, token, server.pid))
        finally:
            server.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=30)
            server.kill()  # only if it is still running
            log.seek(0)  # the server's log was kept out of the way: what kinds of errors?
            errors = Counter[str]()
            for entry in (json.loads(line) for line in log if line.startswith("{")):
                if entry.get("level") in ("warning", "error", "critical"):
                    cause = (entry.get("exception", "").strip().splitlines() or [""])[-1]
                    errors[f"{entry['event']} {entry.get('error_type', '')} {cause[:160]}"] += 1
            show(errors, "the server logged")


if __name__ == "__main__":
    main()
