"""Held money: a person accepts it (counted) or returns it (refunded whole)."""

from __future__ import annotations

import uuid

import strawberry

from payable.core import ids
from payable.core.errors import CommonRefusal
from payable.core.permissions import Action
from payable.graphql.mutations.declaration import Call, mutation
from payable.graphql.mutations.runner import Outcome
from payable.graphql.refunds.payload import sent_refund_payload
from payable.graphql.types.payments import Payment, PaymentPayload
from payable.payments import held
from payable.payments.refusals import PaymentRefusal
from payable.refunds import service as refunds


@strawberry.input(description="A held payment and why it is accepted or returned.")
class HeldPaymentInput:
    payment_id: strawberry.ID
    reason: str


def _payment_id(input: HeldPaymentInput) -> uuid.UUID:
    return ids.local_id(input.payment_id, "Payment", field="paymentId")


async def _payment_payload(call: Call, outcome: Outcome) -> PaymentPayload:
    if outcome.result_id is None:
        return PaymentPayload(payment=None, errors=outcome.errors)
    row = await call.context.loaders.payment.load(outcome.result_id)
    return PaymentPayload(payment=Payment(row=row), errors=[])


_DECIDING = (
    CommonRefusal.NOT_FOUND,
    CommonRefusal.REASON_REQUIRED,
    PaymentRefusal.PAYMENT_NOT_HELD,
)


@strawberry.type
class HeldPaymentMutations:
    @mutation(
        role=Action.ACCEPT_HELD,
        answer=_payment_payload,
        refusals=(*_DECIDING, PaymentRefusal.PAYMENT_BEING_RETURNED),
        description="HELD -> VERIFIED: the money counts toward the booking's schedule from now"
        " on (its own installment first, then the earliest unpaid); more than is owed shows as"
        " refundable. Closes the money's review task.",
    )
    async def accept_held_payment(call: Call, input: HeldPaymentInput) -> uuid.UUID:
        return await held.accept(
            session=call.session,
            principal=call.principal,
            payment_id=_payment_id(input),
            reason=input.reason,
        )

    @mutation(
        role=Action.RETURN_HELD,
        answer=sent_refund_payload,
        refusals=_DECIDING,
        description="HELD -> RETURNED: a refund of the whole held amount at the gateway; the"
        " payment is RETURNED once the gateway confirms it, and its review task closes.",
    )
    async def return_held_payment(call: Call, input: HeldPaymentInput) -> uuid.UUID:
        return await refunds.return_held(
            session=call.session,
            principal=call.principal,
            payment_id=_payment_id(input),
            reason=input.reason,
        )
