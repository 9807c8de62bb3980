"""Run a mutation once per idempotency key; a repeat returns the first result's id."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payable.core.errors import DomainError
from payable.idempotency.models import IdempotencyKey

_table = IdempotencyKey.__table__


def request_hash(operation: str, request: Any) -> str:
    canonical = json.dumps([operation, request], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def run_once(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    key: str | None,
    operation: str,
    request: Any,
    action: Callable[[], Awaitable[uuid.UUID]],
) -> uuid.UUID:
    """Run ``action`` in the caller's transaction unless ``key`` already produced a result.

    The key row is inserted in the same transaction as the action's writes: a concurrent repeat
    waits on the unique key until the first commits (then replays it) or rolls back (then runs).
    """
    if key is None:
        return await action()
    if not 1 <= len(key) <= 255:
        raise DomainError(
            "INVALID_IDEMPOTENCY_KEY",
            "idempotencyKey must be 1 to 255 characters",
            "idempotencyKey",
        )
    digest = request_hash(operation, request)
    claimed = await session.execute(
        insert(_table)
        .values(tenant_id=tenant_id, key=key, operation=operation, request_hash=digest)
        .on_conflict_do_nothing()
        .returning(_table.c.key)
    )
    if claimed.first() is None:
        stored = (
            await session.execute(
                select(_table.c.operation, _table.c.request_hash, _table.c.result_id).where(
                    _table.c.tenant_id == tenant_id, _table.c.key == key
                )
            )
        ).one()
        if stored.operation != operation or stored.request_hash != digest:
            raise DomainError(
                "IDEMPOTENCY_KEY_REUSED",
                "this idempotencyKey was already used with a different request",
                "idempotencyKey",
            )
        return stored.result_id
    result_id = await action()
    await session.execute(
        update(_table)
        .where(_table.c.tenant_id == tenant_id, _table.c.key == key)
        .values(result_id=result_id)
    )
    return result_id
