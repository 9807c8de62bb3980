"""Benchmark: the 100-booking nested list query over HTTP against a real server.

Starts `payable serve` on an embedded PostgreSQL (or DATABASE_URL when set), seeds 1,000
bookings through the API, then fires the list query and prints requests per second and
p50/p99 latency. Run by hand: `.venv/bin/python bench/bookings_list.py [--requests N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from payable.core.principal import Role
from payable.core.tokens import issue

SECRET = "bench-secret-" + uuid.uuid4().hex
ROOT = Path(__file__).resolve().parents[1]

CREATE = """mutation($input: CreateClinicAppointmentInput!) {
  createClinicAppointment(input: $input) { errors { code } } }"""
CREATE_TOUR = """mutation($input: CreateTourBookingInput!) {
  createTourBooking(input: $input) { errors { code } } }"""
LIST = """{ bookings(first: 100) { totalCount edges { node {
  id kind reference status paymentStatus price { amount currency } balanceDue { amount }
  customer { externalRef } policy { code version }
  schedule { sequence amountDue { amount } status activePaymentRequest { id } }
  paymentRequests { id } payments { id } refunds { id }
  timeline(first: 5) { edges { node { type actor occurredAt } } }
  ... on TourBooking { tourDate participantCount } } } } }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _inputs(n: int) -> tuple[str, dict]:
    if n % 2:
        start = datetime(2031, 1, 1, tzinfo=UTC) + timedelta(hours=n)
        return CREATE, {
            "customerRef": f"c-{n % 300}",
            "serviceId": "consultation",
            "specialistId": f"dr-{n % 20}",
            "branchId": "center",
            "slotStart": start.isoformat(),
            "slotEnd": (start + timedelta(minutes=30)).isoformat(),
            "price": {"amount": "15000.00", "currency": "AMD"},
        }
    return CREATE_TOUR, {
        "customerRef": f"c-{n % 300}",
        "tourDate": "2031-06-01",
        "packageId": "dilijan",
        "participantCount": 2,
        "price": {"amount": "120000.00", "currency": "AMD"},
        "depositAmount": "40000.00",
    }


async def _run(
    base: str, headers: dict[str, str], bookings: int, requests: int, concurrency: int
) -> None:
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
        started = time.perf_counter()
        for chunk in range(0, bookings, 20):
            calls = []
            for n in range(chunk, min(chunk + 20, bookings)):
                document, data = _inputs(n)
                calls.append(
                    http.post("/graphql", json={"query": document, "variables": {"input": data}})
                )
            for response in await asyncio.gather(*calls):
                response.raise_for_status()
        print(f"seeded {bookings} bookings in {time.perf_counter() - started:.1f} s")

        for _ in range(5):  # warm-up
            (await http.post("/graphql", json={"query": LIST})).raise_for_status()
        latencies: list[float] = []
        queue = iter(range(requests))

        async def worker() -> None:
            for _ in queue:
                t0 = time.perf_counter()
                response = await http.post("/graphql", json={"query": LIST})
                latencies.append(time.perf_counter() - t0)
                body = response.json()
                assert "errors" not in body and len(body["data"]["bookings"]["edges"]) == 100, body

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"list of 100 nested bookings: {requests} requests, concurrency {concurrency}")
    print(f"  {requests / elapsed:.1f} requests/s")
    print(f"  p50 {statistics.median(latencies) * 1000:.1f} ms   p99 {p99 * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    args = parser.parse_args()

    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="payable-bench-") as data_dir:
        env = os.environ | {
            "PAYABLE_DATA_DIR": data_dir,
            "PAYABLE_JWT_SECRET": SECRET,
            "PAYABLE_RATE_LIMIT_ENABLED": "false",  # a bench is one client asking a lot
            "PAYABLE_LOG_LEVEL": "WARNING",
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "payable",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            cwd=ROOT,
            env=env,
        )
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
            headers = {"Authorization": f"Bearer {token}"}
            asyncio.run(_run(base, headers, args.bookings, args.requests, args.concurrency))
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
