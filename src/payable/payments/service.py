"""Payment requests: one link per installment at a time, for what the installment still owes."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import service as bookings
from payable.bookings.enums import BookingStatus
from payable.bookings.models import Booking, Installment
from payable.bookings.refusals import BookingRefusal
from payable.core import clock
from payable.core.errors import CommonRefusal, NotFound
from payable.core.money import Currency, Money
from payable.core.principal import Principal
from payable.payments import expiry, facts, transitions
from payable.payments import status as payment_status
from payable.payments.enums import PaymentRequestStatus as Status
from payable.payments.enums import PaymentState, VerifiedBy
from payable.payments.models import Payment, PaymentRequest
from payable.payments.refusals import PaymentRefusal
from payable.providers.base import (
    OrderRequest,
    PaymentForm,
    Provider,
    ProviderError,
    ProviderUnavailable,
)
from payable.timeline import service as timeline

_CLOSED_BOOKINGS = (BookingStatus.CANCELLED.value, BookingStatus.NO_SHOW.value)


async def request_payment(
    *,
    session: AsyncSession,
    principal: Principal,
    provider: Provider,
    public_url: str,
    booking_id: uuid.UUID,
    installment_id: uuid.UUID | None,
    expires_in_minutes: int,
    return_url: str | None,
) -> uuid.UUID:
    """The installment's active link, or a new one created at the gateway."""
    lifetime = expiry.lifetime(
        minutes=expires_in_minutes, gateway=provider.name, max_session=provider.max_session
    )
    if return_url is not None and not return_url.startswith(("https://", "http://")):
        raise PaymentRefusal.INVALID_RETURN_URL.error("returnUrl")
    booking = await bookings.lock(
        session=session, tenant_id=principal.tenant_id, booking_id=booking_id
    )
    if booking.status in _CLOSED_BOOKINGS:
        raise BookingRefusal.BOOKING_CLOSED.error(
            "bookingId", f"the booking is {booking.status.lower()}"
        )
    installment = await _installment(session, booking, installment_id)
    await _require_no_held_money(session, installment.id)
    active = await _active_request(session, installment.id)
    if active is not None:
        if active.expires_at > clock.now():
            return active.id
        await _settle(session, provider, active)
        if active.status != Status.EXPIRED.value:
            return active.id  # money came in on it after all: nothing new is asked for
        await session.refresh(installment)
    await _settle_withdrawn(session, provider, installment.id)
    await _require_no_held_money(session, installment.id)
    owed = installment.amount_due - installment.amount_paid
    if owed <= 0:
        raise PaymentRefusal.INSTALLMENT_PAID.error("installmentId")

    request_id = uuid.uuid4()
    expires_at = clock.now() + lifetime
    amount = Money(owed, Currency(booking.currency))
    try:
        order = await provider.create_order(
            OrderRequest(
                order_number=str(request_id),
                amount=amount,
                description=f"{booking.reference}-{installment.sequence}",
                return_url=f"{public_url.rstrip('/')}/payments/return/{request_id}",
                expires_at=expires_at,
            )
        )
    except ProviderUnavailable as error:
        raise PaymentRefusal.PROVIDER_UNAVAILABLE.error(
            message=f"the payment gateway did not answer: {error.message}"
        ) from None
    except ProviderError as error:
        raise PaymentRefusal.PROVIDER_REFUSED.error(
            message=f"the payment gateway refused ({error.code})"
        ) from None
    session.add(
        PaymentRequest(
            id=request_id,
            tenant_id=booking.tenant_id,
            booking_id=booking.id,
            installment_id=installment.id,
            currency=booking.currency,
            amount=owed,
            status=Status.PENDING.value,
            provider=provider.name,
            provider_order_id=order.provider_order_id,
            payment_url=order.payment_url,
            payment_form=_stored(order.form),
            return_url=return_url,
            expires_at=expires_at,
        )
    )
    await session.flush()
    await timeline.append(
        session=session,
        tenant_id=booking.tenant_id,
        booking_id=booking.id,
        type="PAYMENT_REQUESTED",
        actor=principal.sub,
        data={
            "paymentRequestId": str(request_id),
            "installment": installment.sequence,
            "amount": {"amount": f"{owed:.2f}", "currency": booking.currency},
            "provider": provider.name,
            "expiresAt": expires_at.isoformat(),
        },
    )
    await payment_status.recompute(session, booking.id)
    return request_id


def _stored(form: PaymentForm | None) -> dict[str, Any] | None:
    if form is None:
        return None
    return {"action": form.action, "fields": [list(pair) for pair in form.fields]}


async def cancel_request(
    *,
    session: AsyncSession,
    principal: Principal,
    provider: Provider,
    request_id: uuid.UUID,
    reason: str,
) -> uuid.UUID:
    """Withdraw a pending link (and its gateway order, where the gateway allows)."""
    if not reason.strip():
        raise CommonRefusal.REASON_REQUIRED.error("reason")
    request = await transitions.lock_request(
        session=session, tenant_id=principal.tenant_id, request_id=request_id
    )
    if request.status != Status.PENDING.value:
        raise PaymentRefusal.NOT_PENDING.error(
            "paymentRequestId", f"the payment request is {request.status.lower()}"
        )
    reversed_at_gateway = True
    try:
        await provider.reverse(request.provider_order_id or "")
    except ProviderError:
        reversed_at_gateway = False  # the order lapses at the gateway; late money goes to review
    await transitions.set_status(
        session,
        request,
        Status.CANCELLED,
        actor=principal.sub,
        reason=reason,
        event="PAYMENT_REQUEST_CANCELLED",
        data={"reversedAtGateway": reversed_at_gateway},
    )
    return request.id


async def _require_no_held_money(session: AsyncSession, installment_id: uuid.UUID) -> None:
    """Held money for the installment is decided first: else the customer could pay twice."""
    held = await session.scalar(
        select(Payment.id)
        .join(PaymentRequest, PaymentRequest.id == Payment.payment_request_id)
        .where(
            PaymentRequest.installment_id == installment_id,
            Payment.state == PaymentState.HELD.value,
        )
        .limit(1)
    )
    if held is not None:
        raise PaymentRefusal.HELD_PAYMENT_UNDECIDED.error("installmentId")


async def _settle_withdrawn(
    session: AsyncSession, provider: Provider, installment_id: uuid.UUID
) -> None:
    """Withdrawn links not yet cancelled at the gateway are cancelled (or found paid) first."""
    pending = (
        await session.execute(
            select(PaymentRequest)
            .where(
                PaymentRequest.installment_id == installment_id,
                PaymentRequest.reverse_pending.is_(True),
            )
            .with_for_update()
        )
    ).scalars()
    for request in list(pending):
        try:
            await provider.reverse(request.provider_order_id or "")
        except ProviderError:
            await _settle(session, provider, request)  # paid after all? then it is held
        await session.execute(
            update(PaymentRequest)
            .where(PaymentRequest.id == request.id)
            .values(reverse_pending=False)
        )


async def _settle(session: AsyncSession, provider: Provider, request: PaymentRequest) -> None:
    """Before replacing a link, ask the gateway whether it was paid after all."""
    try:
        status = await provider.order_status(request.provider_order_id or "")
    except ProviderError as error:
        raise PaymentRefusal.PAYMENT_OUTCOME_UNKNOWN.error(
            message=f"cannot confirm the earlier link was not paid ({error.code}); try again later"
        ) from None
    await facts.record(
        session=session,
        request_id=request.id,
        tenant_id=request.tenant_id,
        status=status,
        source=VerifiedBy.STATUS_LOOKUP,
    )


async def _installment(
    session: AsyncSession, booking: Booking, installment_id: uuid.UUID | None
) -> Installment:
    query = select(Installment).where(Installment.booking_id == booking.id)
    if installment_id is not None:
        found = await session.scalar(query.where(Installment.id == installment_id))
        if found is None:
            raise NotFound("installment", "installmentId")
        return found
    unpaid = await session.scalar(
        query.where(Installment.amount_paid < Installment.amount_due)
        .order_by(Installment.sequence)
        .limit(1)
    )
    if unpaid is None:
        raise PaymentRefusal.BOOKING_PAID.error("bookingId")
    return unpaid


async def _active_request(
    session: AsyncSession, installment_id: uuid.UUID
) -> PaymentRequest | None:
    return await session.scalar(
        select(PaymentRequest).where(
            PaymentRequest.installment_id == installment_id,
            PaymentRequest.status == Status.PENDING.value,
        )
    )
