"""Benchmark: outbound webhook delivery of a burst of booking events to a local receiver.

Starts `payable serve` (embedded PostgreSQL, or DATABASE_URL) with its workers on, a receiver
on 127.0.0.1 that checks every signature, registers an endpoint, then creates a burst of tour
bookings over HTTP (one CREATED event each) and prints throughput (events delivered per
second, first receipt to last) and lag (receipt - the event's occurredAt) percentiles. The
worker loop's interval bounds the lag of an idle server: `--interval` sets it. Run by hand:
`.venv/bin/python bench/webhooks.py [--events 1000] [--interval 1] [--concurrency 10]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from payable.core.principal import Role
from payable.core.tokens import issue
from payable.webhooks import signing

SECRET = "bench-secret-" + uuid.uuid4().hex
ROOT = Path(__file__).resolve().parents[1]
CREATE_TOUR = """mutation($input: CreateTourBookingInput!) { createTourBooking(input: $input) {
  booking { id } errors { code } } }"""
TOUR = {"tourDate": "2031-06-01", "packageId": "dilijan", "participantCount": 2}
PRICE = {"price": {"amount": "120000.00", "currency": "AMD"}, "depositAmount": "40000.00"}
CREATE_ENDPOINT = """mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { endpoint { id } secret errors { code message } } }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """What the receiver got: first receipt and lag per event id, and anything wrong."""

    def __init__(self) -> None:
        self.secret = ""
        self.received: dict[str, float] = {}  # event id: receipt (epoch seconds)
        self.lag: dict[str, float] = {}
        self.problems = Counter[str]()

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        now = time.time()
        if not signing.verify(
            secret=self.secret, header=request.headers["payable-signature"], body=body
        ):
            self.problems["a bad signature"] += 1
        event = json.loads(body)
        if event["id"] in self.received:
            self.problems["a duplicate delivery"] += 1
        else:
            self.received[event["id"]] = now
            self.lag[event["id"]] = now - datetime.fromisoformat(event["occurredAt"]).timestamp()
        return Response(status_code=204)


def spread(samples: list[float]) -> str:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return (
        f"p50 {pick(0.5):.3f} s  p95 {pick(0.95):.3f} s  p99 {pick(0.99):.3f} s"
        f"  max {ordered[-1]:.3f} s"
    )


async def run(args: argparse.Namespace, base: str) -> None:
    sink, port = Sink(), free_port()
    app = Starlette(routes=[Route("/hooks", sink.hook, methods=["POST"])])
    receiver = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(receiver.serve())
    tenant, ttl = f"bench-{uuid.uuid4().hex[:8]}", timedelta(hours=1)
    tokens = {
        role: issue(secret=SECRET, tenant=tenant, role=role, sub="bench", ttl=ttl)
        for role in (Role.ADMIN, Role.OPERATOR)
    }
    try:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            variables = {"input": {"url": f"http://127.0.0.1:{port}/hooks"}}
            response = await http.post(
                "/graphql",
                json={"query": CREATE_ENDPOINT, "variables": variables},
                headers={"Authorization": f"Bearer {tokens[Role.ADMIN]}"},
            )
            created = response.json()["data"]["createWebhookEndpoint"]
            if created["errors"]:
                raise SystemExit(f"createWebhookEndpoint: {created['errors']}")
            sink.secret = created["secret"]
            gate, operator = asyncio.Semaphore(args.concurrency), tokens[Role.OPERATOR]

            async def create(n: int) -> None:
                variables = {"input": {"customerRef": f"c-{n}", **TOUR, **PRICE}}
                async with gate:
                    answer = await http.post(
                        "/graphql",
                        json={"query": CREATE_TOUR, "variables": variables},
                        headers={"Authorization": f"Bearer {operator}"},
                    )
                if answer.is_error or answer.json().get("errors"):
                    raise RuntimeError(f"createTourBooking: {answer.text[:300]}")

            started = time.time()
            await asyncio.gather(*(create(n) for n in range(args.events)))
            burst = time.time() - started
            deadline = time.monotonic() + args.timeout
            while len(sink.received) < args.events and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
    finally:
        receiver.should_exit = True
        await serving
    got = sorted(sink.received.values())
    print(f"burst: {args.events} bookings created in {burst:.2f} s ({args.events / burst:.0f}/s)")
    print(f"delivered: {len(got)} of {args.events} events")
    if len(got) > 1:
        window = got[-1] - got[0]
        print(
            f"throughput: {len(got) / window:.0f} events/s (first receipt to last: {window:.2f} s)"
        )
        print(f"from the first commit to the last receipt: {got[-1] - started:.2f} s")
        print(f"lag (receipt - occurredAt): {spread(list(sink.lag.values()))}")
    for problem, count in sink.problems.items():
        print(f"PROBLEM: {count} x {problem}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=10, help="mutations in flight")
    parser.add_argument("--interval", type=float, default=1.0, help="worker loop seconds")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for delivery")
    args = parser.parse_args()
    port = free_port()
    with (
        tempfile.TemporaryDirectory(prefix="payable-bench-") as data_dir,
        Path(data_dir, "server.log").open("w+") as log,
    ):
        env: dict[str, Any] = os.environ | {
            "PAYABLE_DATA_DIR": data_dir,
            "PAYABLE_JWT_SECRET": SECRET,
            "PAYABLE_RATE_LIMIT_ENABLED": "false",  # a bench is one client asking a lot
            "PAYABLE_LOG_LEVEL": "WARNING",
            "PAYABLE_WORKERS_ENABLED": "true",
            "PAYABLE_WORKER_INTERVAL_SECONDS": str(args.interval),
        }
        if env.get("DATABASE_URL"):
            env.setdefault("PAYABLE_ENV", "development")  # the receiver is on 127.0.0.1
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
            asyncio.run(run(args, base))
        finally:
            server.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=30)
            server.kill()  # only if it is still running


if __name__ == "__main__":
    main()
