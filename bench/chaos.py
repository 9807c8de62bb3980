"""Chaos, by hand: load on a real `payable serve` and a real PostgreSQL while both are broken.

A PostgreSQL cluster of its own (so it can be restarted) and `payable serve` on it, sandbox
gateway, workers on. Clients run stories as a booking app would: create a tour booking, open a
payment link, pay on the sandbox page, ask a partial refund, approve it (another person). Each
call carries an idempotency key and is retried with the same key on a dropped connection or a
503, as the API asks. Meanwhile the server is killed with SIGKILL and restarted, and PostgreSQL
is stopped in immediate mode (a crash) and started again, in turn.

Then, once the workers have had time to finish (pending links looked up, callbacks resumed,
refunds sent), the database is compared with what clients were told and what the sandbox
gateway did:
- every acknowledged booking, payment and refund request is in the books;
- no story made two bookings (a retried create is the same booking);
- per gateway order: money captured = verified or held payments, money refunded = refunds
  SUCCEEDED, and no order was paid into our books twice.

Run: ``make chaos`` or ``.venv/bin/python bench/chaos.py [--seconds 120] [--clients 6]
[--every 12]``. Needs PostgreSQL's binaries (pg_ctl, initdb) on PATH or from pgserver; as root
it runs them as the ``postgres`` (or ``pgserver``) user. Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from payable.core.ids import from_global_id
from payable.core.principal import Role
from payable.core.tokens import issue

ROOT = Path(__file__).resolve().parents[1]
SECRET = "chaos-" + uuid.uuid4().hex + uuid.uuid4().hex
CREATE = """mutation($input: CreateTourBookingInput!, $key: String) {
  createTourBooking(input: $input, idempotencyKey: $key) { booking { id } errors { code } } }"""
LINK = """mutation($input: CreatePaymentRequestInput!, $key: String) {
  createPaymentRequest(input: $input, idempotencyKey: $key) {
  paymentRequest { id paymentUrl } errors { code } } }"""
REFUND = """mutation($input: RequestRefundInput!, $key: String) {
  requestRefund(input: $input, idempotencyKey: $key) { refund { id } errors { code } } }"""
APPROVE = """mutation($id: ID!, $key: String) {
  approveRefund(refundId: $id, idempotencyKey: $key) { refund { id status } errors { code } } }"""
PRICE = Decimal("120000.00")
REFUNDED = Decimal("1000.00")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def binaries() -> Path:
    """Where pg_ctl and initdb are: PATH first, else the pgserver package's own."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    import pgserver

    return Path(pgserver.__file__).parent / "pginstall" / "bin"


class Postgres:
    """A throwaway cluster on 127.0.0.1, with a crash (immediate stop) and a start."""

    def __init__(self, folder: Path) -> None:
        self.bin = binaries()
        self.data = folder / "pg"
        self.port = free_port()
        self.user: str | None = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self.user = next(u for u in ("postgres", "pgserver") if _user_exists(u))
            shutil.chown(folder, user=self.user)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        subprocess.run(
            [*prefix, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-o", options, "start")

    def crash(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class Server:
    """`payable serve` as a process that can be killed with SIGKILL and started again."""

    def __init__(self, database_url: str, folder: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = (folder / "server.log").open("ab")
        self.env = os.environ | {
            "DATABASE_URL": database_url,
            "PAYABLE_ENV": "development",  # the sandbox gateway
            "PAYABLE_JWT_SECRET": SECRET,
            "PAYABLE_PUBLIC_URL": self.base,
            "PAYABLE_RATE_LIMIT_ENABLED": "false",  # the clients here are one address
            "PAYABLE_WORKER_INTERVAL_SECONDS": "1",
            "PAYABLE_POLL_PENDING_AFTER_MINUTES": "0.1",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "payable", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise SystemExit("payable serve did not start; see server.log")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Ledger:
    """What clients were told, and what went wrong on the way."""

    stories: int = 0
    bookings: dict[str, str] = field(default_factory=dict)  # story: booking id (acknowledged)
    gave_up: Counter[str] = field(default_factory=Counter)  # step: stories that stopped there
    paid: set[str] = field(default_factory=set)  # payment request ids the page took money for
    refunds: set[str] = field(default_factory=set)  # refund ids acknowledged as requested
    approved: set[str] = field(default_factory=set)
    answers: Counter[str] = field(default_factory=Counter)  # what each attempt got
    chaos: Counter[str] = field(default_factory=Counter)


class Client:
    def __init__(self, base: str, ledger: Ledger, tenant: str) -> None:
        self.http = httpx.AsyncClient(base_url=base, timeout=15)
        self.ledger = ledger
        ttl = timedelta(hours=2)
        self.operator = issue(secret=SECRET, tenant=tenant, role=Role.OPERATOR, sub="op", ttl=ttl)
        self.accountant = issue(
            secret=SECRET, tenant=tenant, role=Role.ACCOUNTANT, sub="acct", ttl=ttl
        )

    async def call(self, document: str, variables: dict[str, Any], token: str) -> Any:
        """The mutation's payload, retried with the same key until answered; None if never."""
        for attempt in range(40):
            if attempt:
                await asyncio.sleep(min(0.25 * attempt, 2))
            try:
                response = await self.http.post(
                    "/graphql",
                    json={"query": document, "variables": variables},
                    headers={"Authorization": f"Bearer {token}"},
                )
            except httpx.TransportError:
                self.ledger.answers["no connection"] += 1
                continue
            self.ledger.answers[str(response.status_code)] += 1
            if response.status_code != 200:
                continue  # 503 (database down): retry with the same key, as the API says
            body = response.json()
            if body.get("errors"):
                self.ledger.answers["error " + str(body["errors"][0].get("message"))[:60]] += 1
                continue
            return next(iter(body["data"].values()))
        return None

    async def pay(self, url: str) -> bool:
        """The customer approves on the sandbox page; True once the bank said it took it."""
        for attempt in range(40):
            if attempt:
                await asyncio.sleep(min(0.25 * attempt, 2))
            try:
                response = await self.http.post(url, data={"outcome": "approve"})
            except httpx.TransportError:
                continue
            if response.status_code == 303:
                return True
            if response.status_code == 409:  # paid already: an earlier attempt's answer was lost
                return True
        return False

    async def story(self) -> None:
        ledger = self.ledger
        ledger.stories += 1
        story = uuid.uuid4().hex[:12]
        booking_input = {
            "customerRef": f"c-{story}",
            "tourDate": "2031-06-01",
            "packageId": "dilijan",
            "participantCount": 2,
            "price": {"amount": str(PRICE), "currency": "AMD"},
        }
        created = await self.call(
            CREATE, {"input": booking_input, "key": f"b-{story}"}, self.operator
        )
        if created is None or created["errors"]:
            ledger.gave_up["create"] += 1
            return
        booking = ledger.bookings[story] = created["booking"]["id"]
        link = await self.call(
            LINK, {"input": {"bookingId": booking}, "key": f"l-{story}"}, self.operator
        )
        if link is None or link["errors"]:
            ledger.gave_up["link"] += 1
            return
        if not await self.pay(link["paymentRequest"]["paymentUrl"]):
            ledger.gave_up["pay"] += 1
            return
        ledger.paid.add(link["paymentRequest"]["id"])
        refund_input = {"bookingId": booking, "amount": str(REFUNDED), "reason": "chaos"}
        for wait in (0.5, 1, 2, 4, 8):  # the payment is verified by the callback, a moment later
            requested = await self.call(
                REFUND, {"input": refund_input, "key": f"r-{story}-{wait}"}, self.operator
            )
            if requested is not None and not requested["errors"]:
                break
            await asyncio.sleep(wait)
        else:
            ledger.gave_up["refund"] += 1
            return
        refund = requested["refund"]["id"]
        ledger.refunds.add(refund)
        approved = await self.call(APPROVE, {"id": refund, "key": f"a-{story}"}, self.accountant)
        if approved is None or approved["errors"]:
            ledger.gave_up["approve"] += 1
            return
        ledger.approved.add(refund)


async def load(clients: list[Client], until: float) -> None:
    async def loop(client: Client) -> None:
        while time.monotonic() < until:
            await client.story()

    await asyncio.gather(*(loop(c) for c in clients))


async def chaos(
    server: Server, postgres: Postgres, ledger: Ledger, until: float, every: float
) -> None:
    turn = 0
    while time.monotonic() + every < until:
        await asyncio.sleep(every)
        if turn % 2 == 0:
            await asyncio.to_thread(server.kill)
            ledger.chaos["server killed (SIGKILL)"] += 1
            await asyncio.to_thread(server.start)
        else:
            await asyncio.to_thread(postgres.crash)
            ledger.chaos["PostgreSQL crashed and restarted"] += 1
            await asyncio.sleep(1)
            await asyncio.to_thread(postgres.start)
        turn += 1


async def settle(url: str, seconds: float) -> dict[str, int]:
    """Wait until no work is left for the workers (or time is up); what is still left."""
    left: dict[str, int] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        connection = await asyncpg.connect(url)
        try:
            row = await connection.fetchrow(
                """SELECT
                  (SELECT count(*) FROM sandbox_orders o
                     JOIN payment_requests r ON r.provider_order_id = o.id::text
                     WHERE o.captured > 0
                       AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.payment_request_id = r.id))
                    AS "captured money not in our books",
                  (SELECT count(*) FROM refunds WHERE status IN ('APPROVED', 'PROCESSING'))
                    AS "refunds not settled",
                  (SELECT count(*) FROM provider_callbacks WHERE status = 'RECEIVED')
                    AS "callbacks still RECEIVED"
                """
            )
        finally:
            await connection.close()
        left = {name: count for name, count in row.items() if count}
        if not left:
            break
        await asyncio.sleep(2)
    return left


async def check(url: str, ledger: Ledger) -> list[str]:
    """Every failed check, in a sentence; empty when all held."""
    failed: list[str] = []
    connection = await asyncpg.connect(url)
    try:
        acked = [from_global_id(i)[1] for i in ledger.bookings.values()]
        present = await connection.fetchval(
            "SELECT count(*) FROM bookings WHERE id = ANY($1::uuid[])", acked
        )
        if present != len(acked):
            failed.append(f"{len(acked) - present} acknowledged bookings are missing")
        twice = await connection.fetchval(
            "SELECT count(*) FROM (SELECT customer_id FROM bookings GROUP BY customer_id"
            " HAVING count(*) > 1) AS t"
        )
        if twice:
            failed.append(f"{twice} stories made more than one booking")
        unacked = await connection.fetchval("SELECT count(*) FROM bookings") - present
        print(f"bookings committed whose client never got an answer: {unacked}")
        paid = [from_global_id(i)[1] for i in ledger.paid]
        unbooked = await connection.fetchval(
            "SELECT count(*) FROM unnest($1::uuid[]) AS r(id)"
            " WHERE NOT EXISTS (SELECT 1 FROM payments p WHERE p.payment_request_id = r.id)",
            paid,
        )
        if unbooked:
            failed.append(f"{unbooked} payments the gateway took are not in our books")
        refunds = [from_global_id(i)[1] for i in ledger.refunds]
        found = await connection.fetchval(
            "SELECT count(*) FROM refunds WHERE id = ANY($1::uuid[])", refunds
        )
        if found != len(refunds):
            failed.append(f"{len(refunds) - found} acknowledged refund requests are missing")
        statuses = await connection.fetch(
            "SELECT status, failure, count(*) AS n FROM refunds GROUP BY status, failure"
        )
        print(
            "refunds:",
            ", ".join(f"{r['n']} {r['status']} {r['failure'] or ''}".strip() for r in statuses),
        )
        orders = await connection.fetch(
            """SELECT o.id, o.captured, o.refunded,
                 (SELECT coalesce(sum(p.amount), 0) FROM payments p
                    JOIN payment_requests r ON r.id = p.payment_request_id
                    WHERE r.provider_order_id = o.id::text) AS booked,
                 (SELECT count(*) FROM payments p JOIN payment_requests r
                    ON r.id = p.payment_request_id WHERE r.provider_order_id = o.id::text) AS n,
                 (SELECT coalesce(sum(f.amount), 0) FROM refunds f
                    JOIN payments p ON p.id = f.payment_id
                    JOIN payment_requests r ON r.id = p.payment_request_id
                    WHERE r.provider_order_id = o.id::text AND f.status = 'SUCCEEDED')
                   AS refunded_here
               FROM sandbox_orders o"""
        )
        captured = sum(o["captured"] for o in orders)
        booked = sum(o["booked"] for o in orders)
        refunded = sum(o["refunded"] for o in orders)
        refunded_here = sum(o["refunded_here"] for o in orders)
        print(f"gateway captured {captured} AMD; our books hold {booked} AMD of payments")
        print(f"gateway refunded {refunded} AMD; our books hold {refunded_here} AMD refunded")
        if any(o["n"] > 1 for o in orders):
            failed.append(f"{sum(o['n'] > 1 for o in orders)} orders were booked more than once")
        if any(o["captured"] != o["booked"] for o in orders):
            failed.append(
                f"{sum(o['captured'] != o['booked'] for o in orders)} orders: captured at the"
                " gateway differs from our books"
            )
        if any(o["refunded"] != o["refunded_here"] for o in orders):
            failed.append(
                f"{sum(o['refunded'] != o['refunded_here'] for o in orders)} orders: refunded at"
                " the gateway differs from refunds SUCCEEDED in our books"
            )
    finally:
        await connection.close()
    return failed


async def run(args: argparse.Namespace, folder: Path) -> int:
    postgres = Postgres(folder)
    postgres.init()
    server = Server(postgres.url, folder)
    ledger = Ledger()
    try:
        await asyncio.to_thread(server.start)
        tenant = f"chaos-{uuid.uuid4().hex[:8]}"
        clients = [Client(server.base, ledger, tenant) for _ in range(args.clients)]
        until = time.monotonic() + args.seconds
        started = time.monotonic()
        await asyncio.gather(
            load(clients, until), chaos(server, postgres, ledger, until, args.every)
        )
        print(f"load: {ledger.stories} stories in {time.monotonic() - started:.0f} s")
        left = await settle(postgres.url, args.settle)
        failed = await check(postgres.url, ledger)
        failed += [f"{count} {what} after {args.settle:.0f} s" for what, count in left.items()]
    finally:
        server.stop()
        postgres.stop()
    print("chaos:", dict(ledger.chaos))
    print("answers per attempt:", dict(ledger.answers.most_common()))
    print(
        f"acknowledged: {len(ledger.bookings)} bookings, {len(ledger.paid)} payments,"
        f" {len(ledger.refunds)} refund requests, {len(ledger.approved)} approvals"
    )
    print("stories given up at:", dict(ledger.gave_up) or "none")
    print(f"work left for the workers after {args.settle:.0f} s: {left or 'none'}")
    log = (folder / "server.log").read_text(errors="replace").splitlines()
    levels = Counter(_level(line) for line in log)
    print(f"server log: {len(log)} lines by level {dict(levels)}")
    errors = Counter(_what(line) for line in log if _level(line) in ("error", "warning"))
    for what, count in errors.most_common():
        print(f"  {count} x {what}")
    for sentence in failed:
        print("FAILED:", sentence)
    print("PASSED" if not failed else "FAILED")
    return 1 if failed else 0


def _level(line: str) -> str:
    """A log line's level; "not JSON" for anything else (a traceback, a library's print)."""
    try:
        return str(json.loads(line).get("level"))
    except (ValueError, AttributeError):
        return "not JSON"


def _what(line: str) -> str:
    record = json.loads(line)
    return " ".join(
        str(record.get(k)) for k in ("level", "logger", "event", "error_type") if record.get(k)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120, help="how long the load runs")
    parser.add_argument("--clients", type=int, default=6, help="stories in flight")
    parser.add_argument("--every", type=float, default=12, help="seconds between breakages")
    # An interrupted refund is settled 2 minutes after its attempt (refunds.execution).
    parser.add_argument("--settle", type=float, default=180, help="seconds left to the workers")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="payable-chaos-"))
    try:
        status = asyncio.run(run(args, folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
