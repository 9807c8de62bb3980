"""Benchmark: import and reconcile a 100,000-line gateway report against real books.

Starts an embedded PostgreSQL (or uses DATABASE_URL when set), seeds one tenant's books with
one payment per report line (bulk COPY, not the API: the books are the fixture, not the
subject), writes the report to a temporary file with a few discrepancies of every kind, then
times each phase and prints the process's peak memory after it. Run by hand:

    .venv/bin/python bench/reconcile.py [--lines 100000] [--format sandbox|arca]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import resource
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

from payable.bookings.service import BookingBasics
from payable.core import clock
from payable.core.money import Currency, Money
from payable.core.principal import Principal, Role
from payable.db.engine import Database, asyncpg_dsn
from payable.db.migrate import upgrade
from payable.reconciliation import importer, queries, service
from payable.reconciliation.formats import ARCA_HEADER, SANDBOX_HEADER
from payable.reconciliation.models import ExceptionKind
from payable.tenants import service as tenants
from payable.verticals.clinic import service as clinic

PRICE = Decimal("15000.00")
REFUND = Decimal("1000.00")


class Shape:
    """Which line is which. Every 100th line refunds the payment on the line before it (every
    other one refunded here too); every 200th is a stranger's payment, another short-paid
    here; and one payment in 1,000 of ours is missing from the report."""

    def __init__(self, lines: int, provider: str) -> None:
        self.lines, self.provider = lines, provider
        self.unreported = lines // 1000

    def order(self, i: int) -> str:
        return f"ord-{i:08d}"

    def reference(self, i: int) -> str:
        return self.order(i) if self.provider == "arca" else f"SBX-{i:016x}"

    def refund_reference(self, i: int) -> str:
        if self.provider == "arca":
            return f"{self.order(i)}:refund:{REFUND}"
        return f"SBX-R-{i:012x}"

    def is_refund(self, i: int) -> bool:  # of the payment on line i - 1
        return i % 100 == 99

    def is_foreign(self, i: int) -> bool:
        return i % 200 == 7

    def is_short(self, i: int) -> bool:  # booked here one unit less than the gateway took
        return i % 200 == 11

    def refunded_here(self, i: int) -> bool:
        return self.is_refund(i) and i % 200 == 199

    def ours(self) -> Iterator[int]:
        """Our payments: the report's, but strangers', and the ones it lacks."""
        total = self.lines + self.unreported
        return (
            i
            for i in range(total)
            if i >= self.lines or not (self.is_foreign(i) or self.is_refund(i))
        )


async def _books(url: str, db: Database, shape: Shape, day: date) -> uuid.UUID:
    async with db.session() as session:
        tenant_id = await tenants.ensure(session=session, slug=f"bench-{uuid.uuid4().hex[:8]}")
    principal = Principal("bench", "bench", Role.ADMIN, tenant_id)
    start = datetime.combine(day + timedelta(days=30), datetime.min.time(), tzinfo=UTC)
    async with db.session() as session, session.begin():
        booking_id = await clinic.create(
            session=session,
            principal=principal,
            basics=BookingBasics("c-1", None, None, Money(PRICE, Currency.AMD), None),
            appointment=clinic.Appointment("x", "dr", "b", start, start + timedelta(hours=1)),
        )
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        installment = await connection.fetchval(
            "SELECT id FROM installments WHERE booking_id = $1", booking_id
        )
        await _copy(connection, shape, tenant_id, booking_id, installment)
        await connection.execute("ANALYZE payment_requests, payments, refunds")  # as autovacuum
    finally:
        await connection.close()
    return tenant_id


async def _copy(
    connection: Any, shape: Shape, tenant: uuid.UUID, booking: uuid.UUID, installment: uuid.UUID
) -> None:
    """Links, payments and some refunds of ours, streamed: nothing is held in memory here."""
    requests, payments = (_ids(), _ids())
    expires = clock.now() + timedelta(days=1)
    await connection.copy_records_to_table(
        "payment_requests",
        columns=["id", "tenant_id", "booking_id", "installment_id", "currency", "amount",
                 "status", "provider", "provider_order_id", "payment_url", "expires_at"],
        records=((requests(i), tenant, booking, installment, "AMD", PRICE, "PAID", shape.provider,
                  shape.order(i), "https://pay.example", expires) for i in shape.ours()),
    )  # fmt: skip
    verified = clock.now()
    await connection.copy_records_to_table(
        "payments",
        columns=["id", "tenant_id", "booking_id", "payment_request_id", "currency", "amount",
                 "state", "provider", "provider_reference", "verified_by", "verified_at"],
        records=((payments(i), tenant, booking, requests(i), "AMD",
                  PRICE - 1 if shape.is_short(i) else PRICE, "VERIFIED", shape.provider,
                  shape.reference(i), "WEBHOOK", verified) for i in shape.ours()),
    )  # fmt: skip
    await connection.copy_records_to_table(
        "refunds",
        columns=["id", "tenant_id", "booking_id", "payment_id", "currency", "amount", "status",
                 "reason", "requested_by", "provider_refund_reference", "decided_at"],
        records=((uuid.uuid4(), tenant, booking, payments(i - 1), "AMD", REFUND, "SUCCEEDED",
                  "bench", "bench", shape.refund_reference(i - 1), verified)
                 for i in range(shape.lines) if shape.refunded_here(i)),
    )  # fmt: skip


def _ids() -> Callable[[int], uuid.UUID]:
    """The i-th id of a fresh series: derived, so none has to be remembered."""
    prefix = uuid.uuid4().int >> 64 << 64
    return lambda i: uuid.UUID(int=prefix | i)


def _write(path: Path, shape: Shape) -> None:
    """The gateway's report: one line per payment (refund lines after their payment's)."""
    now = clock.now().astimezone(clock.BUSINESS_ZONE)
    with path.open("w", newline="") as out:
        if shape.provider == "arca":
            writer = csv.writer(out, delimiter=";", lineterminator="\n")
            writer.writerow(ARCA_HEADER)
            stamp = now.strftime("%d.%m.%Y %H:%M:%S")
            for i in range(shape.lines):
                if shape.is_refund(i):
                    row = ["REFUND", shape.order(i - 1), int(REFUND * 100), ""]
                else:
                    order = f"stranger-{i}" if shape.is_foreign(i) else shape.order(i)
                    row = ["DEPOSIT", order, int(PRICE * 100), ""]
                writer.writerow([stamp, row[0], row[1], f"req-{i}", row[2], "051", row[3]])
            return
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(SANDBOX_HEADER)
        stamp = now.isoformat(timespec="seconds")
        for i in range(shape.lines):
            if shape.is_refund(i):
                row = ["REFUND", shape.order(i - 1), shape.refund_reference(i - 1), REFUND]
            elif shape.is_foreign(i):
                row = ["PAYMENT", f"stranger-{i}", f"SBX-F-{i:012x}", PRICE]
            else:
                row = ["PAYMENT", shape.order(i), shape.reference(i), PRICE]
            writer.writerow([stamp, *row[:3], f"{row[3]:.2f}", "AMD"])


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


class Phases:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def done(self, name: str, note: str = "") -> None:
        now = time.perf_counter()
        elapsed, self.started = now - self.started, now
        print(f"{name:<28} {elapsed:7.2f} s   peak RSS {_peak_mb():6.0f} MB   {note}")


async def _run(url: str, lines: int, provider: str) -> None:
    db = Database(url, pool_size=4)
    shape, day = Shape(lines, provider), clock.today()
    phases = Phases()
    try:
        tenant_id = await _books(url, db, shape, day)
        phases.done("seed books (COPY)", f"{sum(1 for _ in shape.ours())} payments")
        with tempfile.TemporaryDirectory(prefix="payable-bench-") as folder:
            path = Path(folder) / f"{provider}.csv"
            _write(path, shape)
            phases.done("write report", f"{lines} lines, {path.stat().st_size / 1e6:.1f} MB")
            batches: list[importer.Progress] = []
            args = {"db": db, "tenant_id": tenant_id, "provider": provider, "day": day}
            first = await importer.import_report(
                **args, actor="bench", source=path, progress=batches.append
            )
            phases.done("import", f"{first.new_lines} new lines, {len(batches)} batches")
            summary = await service.reconcile(**args)
            phases.done("reconcile (records)", _counts(summary))
            again = await importer.import_report(**args, actor="bench", source=path)
            phases.done("re-import same file", f"already imported: {again.already_imported}")
            await service.reconcile(**args)
            phases.done("reconcile again", "nothing new")
            async with db.session() as session:
                await queries.reconciliation(
                    session=session, tenant_id=tenant_id, provider=provider, day=day
                )
            phases.done("read (reconciliation query)")
    finally:
        await db.dispose()


def _counts(summary: service.matching.Summary) -> str:
    kinds = ", ".join(
        f"{kind.value} {summary.tally(kind).count}"
        for kind in ExceptionKind
        if summary.tally(kind).count
    )
    tasks = sum(1 for f in summary.exceptions if f.task_id)
    return (
        f"matched {summary.matched.count} + {summary.matched_refunds.count} refunds; {kinds};"
        f" {tasks} tasks"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--format", choices=["sandbox", "arca"], default="sandbox")
    args = parser.parse_args()
    print(f"{args.lines} {args.format} lines; peak RSS at start {_peak_mb():.0f} MB")
    if os.environ.get("DATABASE_URL"):
        upgrade(os.environ["DATABASE_URL"])
        asyncio.run(_run(os.environ["DATABASE_URL"], args.lines, args.format))
        return
    from payable.db.embedded import start_embedded

    with tempfile.TemporaryDirectory(prefix="payable-bench-db-") as folder:
        server = start_embedded(Path(folder), database="payable_bench", ephemeral=True)
        try:
            upgrade(server.url)
            asyncio.run(_run(server.url, args.lines, args.format))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
