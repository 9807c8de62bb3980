"""Importing a gateway's report: once per file, fast, in bounded memory.

The file's sha256 names the report: the same file again changes nothing and answers the
report already imported. Lines are keyed by (tenant, provider, operation, reference), so an
overlapping report adds only what is new. Lines go in by batches: COPY into a temporary
table, then one INSERT ... SELECT ... ON CONFLICT DO NOTHING. All or nothing: a malformed
line rolls the whole import back.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payable.db.engine import Database
from payable.reconciliation import formats
from payable.reconciliation.models import ProviderReport

Source = bytes | Path | BinaryIO  # a binary stream must be seekable: it is read twice
BATCH = 10_000
# Reconciling follows at once; until autovacuum runs, the planner would take a large day's
# lines for a handful and pick nested loops that take minutes instead of a second.
ANALYZE_AFTER = 1_000
_CHUNK = 1 << 20

_STAGING = "report_lines_staging"
_STAGING_COLUMNS = ("operation", "provider_order_id", "reference", "currency", "amount", "at")
_CREATE_STAGING = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} (
    operation text, provider_order_id text, reference text, currency text,
    amount numeric(14, 2), at timestamptz
) ON COMMIT DROP"""
_MOVE = text(f"""
INSERT INTO provider_report_lines (id, tenant_id, report_id, provider, report_date, operation,
    provider_order_id, reference, currency, amount, occurred_at)
SELECT gen_random_uuid(), :tenant_id, :report_id, :provider, :day, operation,
    provider_order_id, reference, currency, amount, at
FROM {_STAGING}
ON CONFLICT (tenant_id, provider, operation, reference) DO NOTHING""")


@dataclass(frozen=True, slots=True)
class Progress:
    lines: int  # parsed so far
    bytes_read: int
    total_bytes: int


@dataclass(frozen=True, slots=True)
class ImportResult:
    report_id: uuid.UUID
    lines: int  # in the file
    new_lines: int  # not known before this import
    already_imported: bool


async def import_report(
    *,
    db: Database,
    tenant_id: uuid.UUID,
    actor: str,
    provider: str,
    day: date,
    source: Source,
    progress: Callable[[Progress], None] | None = None,
) -> ImportResult:
    """Import one report file of ``provider`` for business day ``day``."""
    parse = formats.parser_for(provider)
    with _opened(source) as stream:
        sha256, total = await asyncio.to_thread(_digest, stream)
        async with db.session() as session, session.begin():
            report_id = await _claim(session, tenant_id, provider, day, sha256, actor)
            if report_id is None:
                return await _existing(session, tenant_id, provider, sha256)
            lines = parse(formats.text_lines(stream))
            count = new = 0
            while batch := await asyncio.to_thread(_take, lines):
                new += await _store(session, batch, tenant_id, report_id, provider, day)
                count += len(batch)
                if progress is not None:
                    progress(Progress(count, stream.tell(), total))
            await session.execute(
                update(ProviderReport).where(ProviderReport.id == report_id).values(lines=count)
            )
    if new >= ANALYZE_AFTER:
        await _analyze(db)
    return ImportResult(report_id, count, new, already_imported=False)


@contextlib.contextmanager
def _opened(source: Source) -> Iterator[BinaryIO]:
    if isinstance(source, bytes):
        yield io.BytesIO(source)
    elif isinstance(source, Path):
        with source.open("rb") as stream:
            yield stream
    else:
        yield source


def _digest(stream: BinaryIO) -> tuple[str, int]:
    """The file's sha256 and size; leaves the stream at its start."""
    stream.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return digest.hexdigest(), size


async def _analyze(db: Database) -> None:
    async with db.session() as session, session.begin():
        await session.execute(text("ANALYZE provider_report_lines"))


def _take(lines: Iterator[formats.Line]) -> list[formats.Line]:
    return list(itertools.islice(lines, BATCH))


async def _claim(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    provider: str,
    day: date,
    sha256: str,
    actor: str,
) -> uuid.UUID | None:
    """A new report row, or None when this file is imported already (or is being imported:
    the unique key makes a concurrent import of the same file wait, then find it)."""
    table = ProviderReport.__table__
    return await session.scalar(
        insert(table)
        .values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            provider=provider,
            report_date=day,
            sha256=sha256,
            lines=0,
            imported_by=actor,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "provider", "sha256"])
        .returning(table.c.id)
    )


async def _existing(
    session: AsyncSession, tenant_id: uuid.UUID, provider: str, sha256: str
) -> ImportResult:
    report = (
        await session.execute(
            select(ProviderReport).where(
                ProviderReport.tenant_id == tenant_id,
                ProviderReport.provider == provider,
                ProviderReport.sha256 == sha256,
            )
        )
    ).scalar_one()
    return ImportResult(report.id, report.lines, 0, already_imported=True)


async def _store(
    session: AsyncSession,
    batch: list[formats.Line],
    tenant_id: uuid.UUID,
    report_id: uuid.UUID,
    provider: str,
    day: date,
) -> int:
    """Stage one batch with COPY and move what is new; how many lines were new."""
    raw: Any = (await (await session.connection()).get_raw_connection()).driver_connection
    await raw.execute(_CREATE_STAGING)
    await raw.copy_records_to_table(
        _STAGING,
        columns=_STAGING_COLUMNS,
        records=[
            (
                line.operation.value,
                line.provider_order_id,
                line.reference,
                line.currency.value,
                line.amount,
                line.occurred_at,
            )
            for line in batch
        ],
    )
    moved = await session.execute(
        _MOVE,
        {"tenant_id": tenant_id, "report_id": report_id, "provider": provider, "day": day},
    )
    await raw.execute(f"TRUNCATE {_STAGING}")
    return moved.rowcount
