"""Run a mutation once per idempotency key; a repeat gets the first answer back.

The key row is inserted in the same transaction as the operation's writes, so a rollback
leaves no key, and a concurrent repeat waits on the unique key until the first commits.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payable.core.errors import DomainError, Forbidden
from payable.idempotency import responses
from payable.idempotency.models import IdempotencyKey
from payable.idempotency.refusals import IdempotencyRefusal
from payable.idempotency.responses import StoredResponse

_table = IdempotencyKey.__table__

# Refusals that say "try again" rather than "no" (Stripe's 5xx): the key is not spent on them.
RETRYABLE = frozenset({"PROVIDER_UNAVAILABLE"})


@dataclass(frozen=True, slots=True)
class Result:
    """A keyed run's answer: a result id or a refusal, or the first run's stored answer."""

    result_id: uuid.UUID | None = None
    refusal: DomainError | None = None
    stored: StoredResponse | None = None  # a repeat whose first answer was kept: send it as is
    claimed: bool = False  # this run spent the key: its answer is to be kept


def request_hash(operation: str, request: Any) -> str:
    canonical = json.dumps([operation, request], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def fingerprint(query: str | None, operation_name: str | None, variables: Any) -> str | None:
    """What makes two HTTP requests the same exchange; None when variables are not plain JSON
    (uploads), so such requests are replayed by result id, never byte for byte."""
    try:
        canonical = json.dumps(
            [query, operation_name, variables], sort_keys=True, separators=(",", ":")
        )
    except (TypeError, ValueError):
        return None
    return hashlib.sha256(canonical.encode()).hexdigest()


async def run_once(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    key: str | None,
    operation: str,
    request: Any,
    exchange: str | None,
    retention: timedelta,
    action: Callable[[], Awaitable[uuid.UUID]],
) -> Result:
    """Run ``action`` in the caller's transaction unless ``key`` already has an answer.

    ``exchange`` is the HTTP request's fingerprint: a repeat of the same exchange gets the
    stored bytes. A refusal spends the key too (inside a savepoint, so it writes nothing else),
    except FORBIDDEN and retryable ones, which roll back with the key.
    """
    if key is None:
        return Result(result_id=await action())
    if not 1 <= len(key) <= 255:
        raise IdempotencyRefusal.INVALID_IDEMPOTENCY_KEY.error("idempotencyKey")
    digest = request_hash(operation, request)
    first = await _claim(
        session,
        values={
            "tenant_id": tenant_id,
            "key": key,
            "operation": operation,
            "request_hash": digest,
            "fingerprint": exchange,
            "expires_at": func.now() + retention,
        },
    )
    if first is not None:
        if first.operation != operation or first.request_hash != digest:
            raise IdempotencyRefusal.IDEMPOTENCY_KEY_REUSED.error("idempotencyKey")
        return await _replay(session, first, exchange)
    try:
        async with session.begin_nested():
            result_id = await action()
    except DomainError as error:
        if isinstance(error, Forbidden) or error.code in RETRYABLE:
            raise
        refusal = {"code": error.code, "field": error.field, "message": error.message}
        await _record(session, tenant_id, key, refusal=refusal)
        return Result(refusal=error, claimed=True)
    await _record(session, tenant_id, key, result_id=result_id)
    return Result(result_id=result_id, claimed=True)


def _this(tenant_id: uuid.UUID, key: str) -> list[Any]:
    return [_table.c.tenant_id == tenant_id, _table.c.key == key]


async def _claim(session: AsyncSession, *, values: dict[str, Any]) -> Row[Any] | None:
    """Insert the key row (None), or return the live row already there.

    An expired row is deleted and the key claimed anew: past its retention a key is new.
    """
    this = _this(values["tenant_id"], values["key"])
    while True:
        claimed = await session.execute(
            insert(_table).values(**values).on_conflict_do_nothing().returning(_table.c.key)
        )
        if claimed.first() is not None:
            return None
        row = (
            await session.execute(
                select(
                    _table.c.tenant_id,
                    _table.c.key,
                    _table.c.operation,
                    _table.c.request_hash,
                    _table.c.result_id,
                    _table.c.refusal,
                    _table.c.fingerprint,
                    (_table.c.expires_at <= func.now()).label("expired"),
                ).where(*this)
            )
        ).first()
        if row is not None and not row.expired:
            return row
        # Gone (swept) or expired: clear it, then claim again.
        await session.execute(delete(_table).where(*this, _table.c.expires_at <= func.now()))


async def _record(session: AsyncSession, tenant_id: uuid.UUID, key: str, **values: Any) -> None:
    await session.execute(update(_table).where(*_this(tenant_id, key)).values(**values))


async def _replay(session: AsyncSession, first: Row[Any], exchange: str | None) -> Result:
    """The first answer: its bytes for the same exchange, else its result id or refusal."""
    if exchange is not None and first.fingerprint == exchange:
        stored = await responses.first_answer(
            session=session, tenant_id=first.tenant_id, key=first.key, exchange=exchange
        )
        if stored is not None:
            return Result(stored=stored)
    if first.refusal is not None:
        refusal = first.refusal
        return Result(refusal=DomainError(refusal["code"], refusal["message"], refusal["field"]))
    return Result(result_id=first.result_id)
