"""Server-side status lookups: the other way (besides signed callbacks) money gets verified."""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy import select, update

from payable.core.errors import NotFound
from payable.core.principal import Principal
from payable.db.engine import Database
from payable.payments import facts
from payable.payments.enums import VerifiedBy
from payable.payments.models import PaymentRequest
from payable.payments.refusals import PaymentRefusal
from payable.providers.base import Provider, ProviderError
from payable.providers.registry import Providers

log = structlog.get_logger("payable.payments")


async def check(*, db: Database, provider: Provider, request_id: uuid.UUID) -> str | None:
    """Ask the gateway about one request and apply its answer; its error code if it failed.

    The gateway is asked outside any transaction, so no lock waits on the network; applying the
    answer is idempotent, so two lookups racing each other record the money once.
    """
    async with db.session() as session:
        row = (
            await session.execute(
                select(PaymentRequest.tenant_id, PaymentRequest.provider_order_id).where(
                    PaymentRequest.id == request_id
                )
            )
        ).one()
    try:
        status = await provider.order_status(row.provider_order_id)
    except ProviderError as error:
        log.warning("status lookup failed", payment_request_id=str(request_id), code=error.code)
        async with db.session() as session, session.begin():
            await session.execute(
                update(PaymentRequest)
                .where(PaymentRequest.id == request_id)
                .values(last_error=error.code)
            )
        return error.code
    async with db.session() as session, session.begin():
        await facts.record(
            session=session,
            request_id=request_id,
            tenant_id=row.tenant_id,
            status=status,
            source=VerifiedBy.STATUS_LOOKUP,
        )
    return None


async def refresh(
    *, db: Database, providers: Providers, principal: Principal, request_id: uuid.UUID
) -> None:
    """``refreshPaymentStatus``: a caller-initiated lookup; refusals and gateway errors raise."""
    async with db.session() as session:
        provider = await session.scalar(
            select(PaymentRequest.provider).where(
                PaymentRequest.tenant_id == principal.tenant_id, PaymentRequest.id == request_id
            )
        )
    if provider is None:
        raise NotFound("payment request", "paymentRequestId")
    error = await check(db=db, provider=providers.by_name(provider), request_id=request_id)
    if error is not None:
        refusal = (
            PaymentRefusal.PROVIDER_UNAVAILABLE
            if error == PaymentRefusal.PROVIDER_UNAVAILABLE.code
            else PaymentRefusal.PROVIDER_REFUSED
        )
        raise refusal.error(
            message=f"the payment gateway could not answer ({error}); the request stays pending"
        )
