"""The attacks of issue 12, replayed against a real `payable serve`: what each costs now.

Starts an embedded PostgreSQL and `payable serve` on it (development mode, default limits and
rate limits, workers off so every gateway lookup counted comes from the attack), then sends each
attack in turn and prints one row per attack: the answer, the wall time, the server's resident
memory after it and its peak so far, and what reached the database or the gateway.

Run by hand: ``.venv/bin/python bench/attacks.py`` (a minute or two). The flood goes last: it
spends the address's rate limit.
"""

from __future__ import annotations

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
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from payable.core.ids import from_global_id
from payable.core.principal import Role
from payable.core.tokens import issue
from payable.db.embedded import start_embedded
from payable.db.engine import normalize_url

ROOT = Path(__file__).resolve().parents[1]
SECRET = "attacks-" + uuid.uuid4().hex + uuid.uuid4().hex
CREATE = """mutation($input: CreateTourBookingInput!) { createTourBooking(input: $input) {
  booking { id } errors { code field } } }"""
LINK = """mutation($input: CreatePaymentRequestInput!) { createPaymentRequest(input: $input) {
  paymentRequest { id } errors { code } } }"""
TOUR = {
    "customerRef": "c-1",
    "tourDate": "2031-06-01",
    "packageId": "dilijan",
    "participantCount": 2,
    "price": {"amount": "120000.00", "currency": "AMD"},
}
Attack = Callable[[], Awaitable[tuple[str, str]]]  # -> (answer, effect)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def token(tenant: str = "attacks", role: Role = Role.OPERATOR) -> dict[str, str]:
    value = issue(secret=SECRET, tenant=tenant, role=role, sub="x", ttl=timedelta(hours=1))
    return {"Authorization": f"Bearer {value}"}


def answer(response: httpx.Response) -> str:
    """Status and the first error code (GraphQL) or the body's start."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} {response.text[:30]!r}"
    errors = body.get("errors") or []
    code = errors[0].get("extensions", {}).get("code") if errors else None
    if code is None and body.get("data"):
        payload = next(iter(body["data"].values())) or {}
        codes = [e["code"] for e in payload.get("errors", [])] if isinstance(payload, dict) else []
        code = ",".join(codes) or "ok"
    return f"{response.status_code} {code}"


def memory(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of a process, in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return tuple(int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))  # type: ignore[return-value]


def doubling_fragments(levels: int) -> str:
    """Each fragment spreads the next twice, one level deeper: 2^levels paths, ~1 KB."""
    fragments = [
        f"fragment F{i} on BookingEvent {{ booking {{ timeline {{ edges {{ node {{"
        f" ...F{i + 1} ...F{i + 1} }} }} }} }} }}"
        for i in range(levels)
    ]
    fragments.append(f"fragment F{levels} on BookingEvent {{ id }}")
    return (
        "{ bookings { edges { node { timeline { edges { node { ...F0 } } } } } } }\n"
        + "\n".join(fragments)
    )


async def raw_post(base: str, path: str, body: bytes) -> str:
    """POST a large body over a plain socket, reading the answer while still sending: a server
    that refuses early closes the connection mid-body, which an HTTP client reports as an
    error and not as the answer it got. The answer's status, or how the connection ended."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )

    async def send() -> None:
        with contextlib.suppress(ConnectionError):
            writer.write(head.encode())
            for start in range(0, len(body), 1 << 20):
                writer.write(body[start : start + (1 << 20)])
                await writer.drain()

    sending = asyncio.create_task(send())
    try:
        status = await asyncio.wait_for(reader.readline(), timeout=120)
    except ConnectionError:
        return "reset"  # closed with our bytes unread: the kernel drops the answer too
    finally:
        sending.cancel()
        writer.close()
    return status.decode().split(" ", 2)[1] if status else "closed without an answer"


class Attacks:
    def __init__(
        self, base: str, http: httpx.AsyncClient, db: asyncpg.Connection, log: Path
    ) -> None:
        self.base = base
        self.http = http
        self.db = db
        self.log = log
        self.payment_request = ""

    async def graphql(
        self, query: str, headers: dict[str, str] | None = None, **extra: Any
    ) -> httpx.Response:
        return await self.http.post(
            "/graphql", json={"query": query, **extra}, headers=headers or {}
        )

    async def setup(self) -> None:
        """A booking with an open sandbox link, for the return page."""
        created = await self.graphql(CREATE, token(), variables={"input": TOUR})
        booking = created.json()["data"]["createTourBooking"]["booking"]["id"]
        linked = await self.graphql(LINK, token(), variables={"input": {"bookingId": booking}})
        self.payment_request = linked.json()["data"]["createPaymentRequest"]["paymentRequest"]["id"]

    async def fragments(self) -> tuple[str, str]:
        query = doubling_fragments(20)
        return answer(await self.graphql(query)), f"{len(query)} bytes, anonymous"

    async def thousand_levels(self) -> tuple[str, str]:
        query = "{ " + "bookings { " * 1000 + "id" + " }" * 1001
        return answer(await self.graphql(query)), "anonymous"

    async def aliases_anonymous(self) -> tuple[str, str]:
        query = "{ " + " ".join(f"a{i}: __typename" for i in range(100_000)) + " }"
        return answer(await self.graphql(query)), f"{len(query) / 1e6:.1f} MB, anonymous"

    async def ten_mb_of_tokens(self) -> tuple[str, str]:
        query = "{ " + "__typename " * 1_000_000 + "}"
        body, offset = json.dumps({"query": query}).encode(), self.log.stat().st_size
        got = await raw_post(self.base, "/graphql", body)
        await asyncio.sleep(0.2)
        return got, f"{len(query) / 1e6:.0f} MB; server logged {self.logged(offset)}"

    async def thousand_bookings_aliases(self) -> tuple[str, str]:
        fields = " ".join(f"b{i}: bookings {{ edges {{ node {{ id }} }} }}" for i in range(1000))
        return answer(await self.graphql("{ " + fields + " }", token())), "any role"

    async def costly_page(self) -> tuple[str, str]:
        page = "bookings(first: 100) { edges { node { timeline(first: 100) { edges { node { id }"
        query = "{ " + " ".join(f"b{i}: {page} }} }} }} }} }}" for i in range(20)) + " }"
        return answer(await self.graphql(query, token())), "20 aliases, any role"

    async def fifty_mb_body(self) -> tuple[str, str]:
        body = b'{"query": "' + b"x" * (50 * 1024 * 1024) + b'"}'
        offset = self.log.stat().st_size
        got = await raw_post(self.base, "/graphql", body)
        await asyncio.sleep(0.2)
        return got, f"50 MB; server logged {self.logged(offset)}"

    async def _callbacks(self) -> tuple[int, int]:
        row = await self.db.fetchrow(
            "SELECT count(*) AS n, coalesce(sum(length(body)), 0) AS bytes FROM provider_callbacks"
        )
        return row["n"], row["bytes"]

    def logged(self, offset: int) -> str:
        """The statuses the server logged for the requests after ``offset`` in its log."""
        with self.log.open("rb") as log:
            log.seek(offset)
            lines = log.read().decode(errors="replace").splitlines()
        statuses = Counter(
            json.loads(line)["status"] for line in lines if '"payable.access"' in line
        )
        return " ".join(f"{n}x{s}" for s, n in sorted(statuses.items()))

    async def big_unsigned_webhooks(self) -> tuple[str, str]:
        before, offset = await self._callbacks(), self.log.stat().st_size
        statuses = Counter(
            [await raw_post(self.base, "/webhooks/sandbox", b"x" * 10_000_000) for _ in range(10)]
        )
        await asyncio.sleep(0.2)
        after = await self._callbacks()
        return (
            " ".join(f"{n}x{s}" for s, n in statuses.items()),
            f"server logged {self.logged(offset)}; {after[0] - before[0]} rows,"
            f" {after[1] - before[1]} body bytes stored",
        )

    async def small_unsigned_webhooks(self) -> tuple[str, str]:
        before = await self._callbacks()
        statuses = Counter(
            [
                (await self.http.post("/webhooks/sandbox", content=b'{"x": 1}' * 100)).status_code
                for _ in range(10)
            ]
        )
        after = await self._callbacks()
        return (
            " ".join(f"{n}x{s}" for s, n in statuses.items()),
            f"{after[0] - before[0]} rows counted, {after[1] - before[1]} body bytes stored",
        )

    async def return_page(self) -> tuple[str, str]:
        lookups = "SELECT coalesce(sum(lookups), 0) FROM sandbox_orders"
        before = await self.db.fetchval(lookups)
        statuses: Counter[int] = Counter()
        local = from_global_id(self.payment_request)[1]  # the return URL names the local id
        for _ in range(500):
            response = await self.http.get(f"/payments/return/{local}")
            statuses[response.status_code] += 1
        after = await self.db.fetchval(lookups)
        return (
            " ".join(f"{n}x{s}" for s, n in sorted(statuses.items())),
            f"{after - before} gateway lookups for 500 hits",
        )

    async def new_tenants(self) -> tuple[str, str]:
        count = (
            "SELECT (SELECT count(*) FROM tenants), (SELECT count(*) FROM cancellation_policies)"
        )
        before = await self.db.fetchrow(count)
        statuses: Counter[int] = Counter()
        for _ in range(100):
            response = await self.graphql(
                "{ bookings { totalCount } }", token(f"t-{uuid.uuid4().hex[:10]}")
            )
            statuses[response.status_code] += 1
        after = await self.db.fetchrow(count)
        return (
            " ".join(f"{n}x{s}" for s, n in sorted(statuses.items())),
            f"{after[0] - before[0]} tenants, {after[1] - before[1]} policies written",
        )

    async def hostile_values(self) -> tuple[str, str]:
        answers = []
        for name, value in (("NUL", "a\x00b"), ("lone surrogate", "\ud800")):
            # A lone surrogate cannot be UTF-8: sent as JSON's \\ud800 escape, as an attacker would.
            body = json.dumps(
                {"query": CREATE, "variables": {"input": TOUR | {"customerRef": value}}}
            )
            response = await self.http.post(
                "/graphql", content=body, headers={"content-type": "application/json", **token()}
            )
            answers.append(f"{name}: {answer(response)}")
        amount = TOUR | {"price": {"amount": "1e309", "currency": "AMD"}}
        response = await self.graphql(CREATE, token(), variables={"input": amount})
        answers.append(f"1e309: {answer(response)}")
        return "; ".join(answers), "3 mutations"

    async def anonymous_logs(self) -> tuple[str, str]:
        size = self.log.stat().st_size
        before = self.log.read_text(errors="replace").count("Traceback")
        for _ in range(100):
            await self.graphql("{ bookings { totalCount } }")
        await asyncio.sleep(0.5)
        text = self.log.read_text(errors="replace")
        written = self.log.stat().st_size - size
        return (
            "100 requests",
            f"{written / 100:.0f} log bytes per request, {text.count('Traceback') - before}"
            " tracebacks",
        )

    async def flood(self) -> tuple[str, str]:
        statuses: Counter[int] = Counter()
        gate = asyncio.Semaphore(20)

        async def one() -> None:
            async with gate:
                response = await self.graphql("{ __typename }")
            statuses[response.status_code] += 1

        await asyncio.gather(*(one() for _ in range(6600)))
        return " ".join(f"{n}x{s}" for s, n in sorted(statuses.items())), "one address"


async def run(base: str, url: str, pid: int, log: Path) -> None:
    db = await asyncpg.connect(url)
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        attacks = Attacks(base, http, db, log)
        await attacks.setup()
        table: list[tuple[str, Attack]] = [
            ("fragments spreading each other twice per level, 20 levels", attacks.fragments),
            ("1,000 levels of nesting", attacks.thousand_levels),
            ("100k aliases without a token", attacks.aliases_anonymous),
            ("10 MB of tokens", attacks.ten_mb_of_tokens),
            ("1,000 aliases of bookings with a token", attacks.thousand_bookings_aliases),
            ("20 aliases of 100 bookings x 100 events", attacks.costly_page),
            ("50 MB body", attacks.fifty_mb_body),
            ("unsigned webhooks, 10 x 10 MB", attacks.big_unsigned_webhooks),
            ("unsigned webhooks, 10 x 800 B", attacks.small_unsigned_webhooks),
            ("return page, 500 anonymous hits", attacks.return_page),
            ("100 new tenant names from valid tokens", attacks.new_tenants),
            ("NUL, lone surrogate, 1e309 in a mutation", attacks.hostile_values),
            ("logs of 100 anonymous requests", attacks.anonymous_logs),
            ("flood: 6,600 requests from one address", attacks.flood),
        ]
        print("| attack | answer | time | RSS after | peak RSS | effect |")
        print("| --- | --- | --- | --- | --- | --- |")
        for name, attack in table:
            started = time.perf_counter()
            got, effect = await attack()
            spent = time.perf_counter() - started
            probe = time.perf_counter()
            await http.get("/healthz")
            rss, peak = memory(pid)
            print(
                f"| {name} | {got} | {spent:.2f} s | {rss:.0f} MB | {peak:.0f} MB | {effect}"
                f" (next request {1000 * (time.perf_counter() - probe):.0f} ms) |"
            )
    await db.close()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="payable-attacks-") as folder:
        database = start_embedded(Path(folder), database="attacks", ephemeral=True)
        log = Path(folder, "server.log")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = os.environ | {
            "DATABASE_URL": database.url,
            "PAYABLE_ENV": "development",
            "PAYABLE_JWT_SECRET": SECRET,
            "PAYABLE_PUBLIC_URL": base,
            "PAYABLE_WORKERS_ENABLED": "false",
        }
        with log.open("wb") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "payable", "serve", "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=out,
            )
        try:
            for _ in range(300):
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{base}/readyz").status_code == 200:
                        break
                time.sleep(0.1)
            else:
                raise SystemExit("server did not become ready: " + log.read_text()[-2000:])
            rss, _ = memory(server.pid)
            print(f"server ready, {rss:.0f} MB resident")
            raw = normalize_url(database.url).replace("postgresql+asyncpg://", "postgresql://", 1)
            asyncio.run(run(base, raw, server.pid, log))
        finally:
            server.terminate()
            server.wait(timeout=30)
            database.stop()


if __name__ == "__main__":
    main()
