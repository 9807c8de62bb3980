"""The exact first answer under a key: kept after the commit, waited for by repeats."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payable.db.engine import Database
from payable.idempotency.models import IdempotencyKey

_table = IdempotencyKey.__table__

# The first request stores its answer right after its commit; a repeat that arrives in between
# waits this long for it. Longer means the first crashed in between: replay by result id.
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.02


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: bytes


async def keep(
    *,
    db: Database,
    tenant_id: uuid.UUID,
    key: str,
    exchange: str,
    answer: StoredResponse | None,
) -> None:
    """Store the answer of the exchange that spent the key; None: nothing will be stored
    (the answer carried errors), so repeats stop waiting and replay by result id."""
    values = (
        {"response_status": answer.status, "response_body": answer.body}
        if answer is not None
        else {"fingerprint": None}
    )
    async with db.session() as session, session.begin():
        await session.execute(
            update(_table)
            .where(
                _table.c.tenant_id == tenant_id,
                _table.c.key == key,
                _table.c.fingerprint == exchange,
                _table.c.response_body.is_(None),
            )
            .values(**values)
        )


async def first_answer(
    *, session: AsyncSession, tenant_id: uuid.UUID, key: str, exchange: str
) -> StoredResponse | None:
    """The stored answer to ``exchange``, waiting while the first request is storing it."""
    this = (_table.c.tenant_id == tenant_id, _table.c.key == key)
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while True:
        row = (
            await session.execute(
                select(
                    _table.c.fingerprint, _table.c.response_status, _table.c.response_body
                ).where(*this)
            )
        ).first()
        if row is None or row.fingerprint != exchange:
            return None
        if row.response_body is not None:
            return StoredResponse(row.response_status, row.response_body)
        if asyncio.get_running_loop().time() >= deadline:
            # The first request died between its commit and storing: later repeats should
            # not wait again.
            await session.execute(
                update(_table)
                .where(*this, _table.c.fingerprint == exchange, _table.c.response_body.is_(None))
                .values(fingerprint=None)
            )
            return None
        await asyncio.sleep(POLL_SECONDS)
