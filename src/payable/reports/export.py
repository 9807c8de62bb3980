"""The accounting export: every verified payment and succeeded refund of a period, as CSV."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import date

from payable.core import permissions
from payable.core.clock import BUSINESS_ZONE
from payable.core.principal import Principal
from payable.db.engine import Database
from payable.reports import ledger
from payable.reports.periods import days_range

HEADER = [
    "type",
    "date",
    "booking_reference",
    "kind",
    "provider",
    "provider_reference",
    "amount",
    "currency",
    "test_money",  # "true" for the sandbox test gateway: no real money moved
]


async def rows(
    *, db: Database, tenant_id: uuid.UUID, first: date, last: date
) -> AsyncIterator[str]:
    """CSV text, a chunk per line, streamed from the database (refunds carry a minus sign)."""
    start, end = days_range(first, last)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(HEADER)
    yield flush()
    async with db.session() as session:
        async for move in ledger.movements(
            session=session, tenant_id=tenant_id, start=start, end=end
        ):
            sign = "-" if move.type == "REFUND" else ""
            writer.writerow(
                [
                    move.type,
                    move.at.astimezone(BUSINESS_ZONE).date().isoformat(),
                    move.booking_reference,
                    move.kind,
                    move.provider,
                    move.provider_reference,
                    f"{sign}{move.amount:.2f}",
                    move.currency,
                    "true" if move.test_money else "false",
                ]
            )
            yield flush()


def require_export(principal: Principal) -> None:
    permissions.require(principal, permissions.Action.EXPORT_ACCOUNTS)
