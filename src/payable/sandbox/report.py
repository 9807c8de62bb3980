"""The sandbox gateway's daily report: its ledger of one business day as a CSV file.

What a bank's merchant portal exports, so reconciliation runs in development and tests the
way it will against a real gateway. The layout is payable.reconciliation.formats' sandbox one.
"""

from __future__ import annotations

import csv
import uuid
from datetime import date, timedelta
from typing import TextIO

from sqlalchemy import String, cast, exists, select

from payable.core import clock
from payable.db.engine import Database
from payable.payments.models import PaymentRequest
from payable.reconciliation.formats import SANDBOX_HEADER
from payable.sandbox.operations import SandboxOperation

_BATCH = 5_000


async def write_report(db: Database, tenant_id: uuid.UUID | None, day: date, out: TextIO) -> int:
    """Write the day's operations (of one tenant's payment links, when given); the line count."""
    op = SandboxOperation
    query = (
        select(op.at, op.operation, op.order_id, op.reference, op.amount, op.currency)
        .where(op.at >= clock.start_of_day(day), op.at < clock.start_of_day(day + timedelta(1)))
        .order_by(op.at, op.reference)
        .execution_options(yield_per=_BATCH)
    )
    if tenant_id is not None:
        # Sandbox orders are created for payment links: the link says whose the order is.
        query = query.where(
            exists().where(
                PaymentRequest.tenant_id == tenant_id,
                PaymentRequest.provider == "sandbox",
                PaymentRequest.provider_order_id == cast(op.order_id, String),
            )
        )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SANDBOX_HEADER)
    written = 0
    async with db.session() as session:
        rows = await session.stream(query)
        async for at, operation, order_id, reference, amount, currency in rows:
            local = at.astimezone(clock.BUSINESS_ZONE).isoformat(timespec="seconds")
            writer.writerow([local, operation, order_id, reference, f"{amount:.2f}", currency])
            written += 1
    return written
