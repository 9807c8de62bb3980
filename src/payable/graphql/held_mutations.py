"""Held money: a person accepts it (counted) or returns it (refunded whole)."""

from __future__ import annotations

import strawberry

from payable.core import ids, permissions
from payable.graphql import mutation
from payable.graphql.context import ctx
from payable.graphql.refund_mutations import refund_payload, send
from payable.graphql.types.payments import Payment, PaymentPayload
from payable.graphql.types.refunds import RefundPayload
from payable.payments import held
from payable.refunds import service as refunds


@strawberry.input(description="A held payment and why it is accepted or returned.")
class HeldPaymentInput:
    payment_id: strawberry.ID
    reason: str


def _payment_id(input: HeldPaymentInput) -> object:
    return ids.local_id(input.payment_id, "Payment", field="paymentId")


@strawberry.type
class HeldPaymentMutations:
    @strawberry.mutation(
        description="HELD -> VERIFIED: the money counts toward the booking's schedule from now"
        " on (its own installment first, then the earliest unpaid); more than is owed shows as"
        " refundable. Closes the money's review task. Codes: PAYMENT_NOT_HELD, REASON_REQUIRED,"
        " NOT_FOUND, FORBIDDEN."
    )
    async def accept_held_payment(
        self, info: strawberry.Info, input: HeldPaymentInput, idempotency_key: str | None = None
    ) -> PaymentPayload:
        outcome = await mutation.run(
            info,
            operation="acceptHeldPayment",
            permission=permissions.Action.ACCEPT_HELD,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: held.accept(
                session=session,
                principal=principal,
                payment_id=_payment_id(input),  # type: ignore[arg-type]
                reason=input.reason,
            ),
        )
        if outcome.result_id is None:
            return PaymentPayload(payment=None, errors=outcome.errors)
        row = await ctx(info).loaders.payment.load(outcome.result_id)
        return PaymentPayload(payment=Payment(row=row), errors=[])

    @strawberry.mutation(
        description="HELD -> RETURNED: a refund of the whole held amount at the gateway; the"
        " payment is RETURNED once the gateway confirms it, and its review task closes. Codes:"
        " PAYMENT_NOT_HELD, REASON_REQUIRED, NOT_FOUND, FORBIDDEN."
    )
    async def return_held_payment(
        self, info: strawberry.Info, input: HeldPaymentInput, idempotency_key: str | None = None
    ) -> RefundPayload:
        outcome = await mutation.run(
            info,
            operation="returnHeldPayment",
            permission=permissions.Action.RETURN_HELD,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: refunds.return_held(
                session=session,
                principal=principal,
                payment_id=_payment_id(input),  # type: ignore[arg-type]
                reason=input.reason,
            ),
        )
        await send(info, outcome)
        return await refund_payload(info, outcome)
