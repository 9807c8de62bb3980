"""A wallet's question before it takes the money (Idram's precheck): may this bill be paid?

Yes only when the bill is ours, still open (PENDING and not expired) and asked for exactly this
amount. Never a blind yes: whatever Idram is told here, it then takes the customer's money.
"""

from __future__ import annotations

import enum

import structlog
from sqlalchemy import select

from payable.core import clock
from payable.db.engine import Database
from payable.payments.enums import PaymentRequestStatus as Status
from payable.payments.models import PaymentRequest
from payable.providers.base import Precheck

log = structlog.get_logger("payable.callbacks")


class Answer(enum.StrEnum):
    PAYABLE = "PAYABLE"
    UNKNOWN_BILL = "UNKNOWN_BILL"
    NOT_OPEN = "NOT_OPEN"  # paid, cancelled, expired, under review
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"


async def answer(*, db: Database, provider: str, question: Precheck) -> Answer:
    async with db.session() as session:
        request = (
            await session.execute(
                select(
                    PaymentRequest.status,
                    PaymentRequest.expires_at,
                    PaymentRequest.amount,
                    PaymentRequest.currency,
                ).where(
                    PaymentRequest.provider == provider,
                    PaymentRequest.provider_order_id == question.provider_order_id,
                )
            )
        ).first()
    if request is None:
        verdict = Answer.UNKNOWN_BILL
    elif request.status != Status.PENDING.value or request.expires_at <= clock.now():
        verdict = Answer.NOT_OPEN
    elif (
        request.currency != question.amount.currency.value
        or request.amount != question.amount.amount
    ):
        verdict = Answer.AMOUNT_MISMATCH
    else:
        verdict = Answer.PAYABLE
    log.info("precheck", provider=provider, bill=question.provider_order_id, answer=verdict.value)
    return verdict
