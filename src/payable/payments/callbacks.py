"""Receiving gateway callbacks: kept first, verified, then processed once per event."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import timedelta

import structlog
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from payable.core import clock
from payable.db.engine import Database
from payable.payments import facts
from payable.payments.enums import VerifiedBy
from payable.payments.inbox import CallbackStatus, ProviderCallback
from payable.payments.models import PaymentRequest
from payable.providers.base import (
    CallbackEvent,
    InvalidCallback,
    OrderStatus,
    Provider,
    ProviderError,
)
from payable.providers.registry import Providers

log = structlog.get_logger("payable.callbacks")
_inbox = ProviderCallback.__table__


async def receive(
    *,
    db: Database,
    provider: Provider,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    body: bytes,
) -> int:
    """Handle one delivery; the HTTP status to answer (401 unsigned, 503 retry later, else 200).

    An unsigned delivery is counted (a REJECTED row) with a summary of what came, never its
    body: whoever can reach the URL could otherwise store anything here.
    """
    refusal: str | None = None
    try:
        event: CallbackEvent | None = provider.verify_callback(
            headers=headers, query=query, body=body
        )
    except InvalidCallback as error:
        event = None
        refusal = _summary(str(error), body)
        log.warning("callback refused", provider=provider.name, summary=refusal)
    callback_id = await _keep(db, provider.name, event, body if event else b"", refusal)
    if event is None:
        return 401
    try:
        await _process(db, provider, callback_id, event)
    except ProviderError as error:
        await _mark(db, callback_id, CallbackStatus.FAILED, f"gateway lookup failed: {error.code}")
        return 503
    except Exception as error:
        await _mark(db, callback_id, CallbackStatus.FAILED, type(error).__name__)
        raise
    return 200


def _summary(reason: str, body: bytes) -> str:
    """What an unsigned delivery was, without keeping it: why refused, its size and digest."""
    return f"{reason}; {len(body)} bytes, sha256 {hashlib.sha256(body).hexdigest()}"


async def _keep(
    db: Database, provider: str, event: CallbackEvent | None, body: bytes, refusal: str | None
) -> uuid.UUID:
    """Write the arrival in its own transaction, so no later rollback loses it."""
    async with db.session() as session, session.begin():
        if event is None:
            values = {
                "signature_valid": False,
                "status": CallbackStatus.REJECTED.value,
                "error": refusal,
            }
            statement = insert(_inbox).values(
                id=uuid.uuid4(), provider=provider, body=body, **values
            )
        else:
            statement = (
                insert(_inbox)
                .values(
                    id=uuid.uuid4(),
                    provider=provider,
                    body=body,
                    event_id=event.event_id,
                    provider_order_id=event.provider_order_id,
                    signature_valid=True,
                    status=CallbackStatus.RECEIVED.value,
                )
                .on_conflict_do_update(
                    index_elements=[_inbox.c.provider, _inbox.c.event_id],
                    index_where=_inbox.c.event_id.is_not(None),
                    set_={"deliveries": _inbox.c.deliveries + 1},
                )
            )
        return (await session.execute(statement.returning(_inbox.c.id))).scalar_one()


async def resume_stalled(
    db: Database, providers: Providers, *, older_than: timedelta, limit: int = 50
) -> int:
    """Process verified callbacks still RECEIVED after ``older_than`` (their server stopped,
    or the database went away, between keeping and processing them); how many were taken up.

    The row holds what processing needs (event and order ids, checked when it arrived). Two
    workers may take the same row: each asks the gateway, one applies it, the other skips it.
    """
    async with db.session() as session:
        rows = (
            await session.execute(
                select(
                    _inbox.c.id, _inbox.c.provider, _inbox.c.event_id, _inbox.c.provider_order_id
                )
                .where(
                    _inbox.c.status == CallbackStatus.RECEIVED.value,
                    _inbox.c.signature_valid.is_(True),
                    _inbox.c.event_id.is_not(None),
                    _inbox.c.provider_order_id.is_not(None),
                    _inbox.c.received_at <= clock.now() - older_than,
                )
                .order_by(_inbox.c.received_at)
                .limit(limit)
            )
        ).all()
    for row in rows:
        event = CallbackEvent(
            event_id=row.event_id, provider_order_id=row.provider_order_id, state=None
        )
        try:
            await _process(db, providers.by_name(row.provider), row.id, event)
        except ProviderError as error:
            await _mark(db, row.id, CallbackStatus.FAILED, f"gateway lookup failed: {error.code}")
    return len(rows)


async def _process(
    db: Database, provider: Provider, callback_id: uuid.UUID, event: CallbackEvent
) -> None:
    """Apply a verified event once.

    The gateway is asked first, with no lock held. A copy of the event that another delivery is
    already processing is skipped, not waited for: that delivery answers for it, and if it
    fails, the gateway's retry finds the event FAILED and runs it again.
    """
    async with db.session() as session:
        request = (
            await session.execute(
                select(PaymentRequest.id, PaymentRequest.tenant_id).where(
                    PaymentRequest.provider == provider.name,
                    PaymentRequest.provider_order_id == event.provider_order_id,
                )
            )
        ).first()
    if request is None:
        await _mark(db, callback_id, CallbackStatus.PROCESSED, "no payment request has this order")
        return
    confirmed, source = await _confirm(provider, event)
    async with db.session() as session, session.begin():
        status = await session.scalar(
            select(_inbox.c.status)
            .where(_inbox.c.id == callback_id)
            .with_for_update(skip_locked=True)
        )
        if status is None or status == CallbackStatus.PROCESSED.value:
            return
        if confirmed is not None:
            await facts.record(
                session=session,
                request_id=request.id,
                tenant_id=request.tenant_id,
                status=confirmed,
                source=source,
            )
        await _set(session, callback_id, CallbackStatus.PROCESSED, None)


async def _confirm(
    provider: Provider, event: CallbackEvent
) -> tuple[OrderStatus | None, VerifiedBy]:
    """What the gateway itself says now; a callback's own claim is only a wake-up call.

    Except where the gateway has no lookup at all (the wallets): then the signed callback's own
    facts are the gateway's word, and they go through the same door as any other.
    """
    if provider.supports_status_lookup:
        return await provider.order_status(event.provider_order_id), VerifiedBy.WEBHOOK
    return event.facts, VerifiedBy.SIGNED_CALLBACK


async def _set(session, callback_id: uuid.UUID, status: CallbackStatus, error: str | None) -> None:  # type: ignore[no-untyped-def]
    await session.execute(
        update(_inbox)
        .where(_inbox.c.id == callback_id)
        .values(status=status.value, error=error, processed_at=clock.now())
    )


async def _mark(db: Database, callback_id: uuid.UUID, status: CallbackStatus, error: str) -> None:
    async with db.session() as session, session.begin():
        await _set(session, callback_id, status, error)
