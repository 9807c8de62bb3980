"""Payment request mutations: create, cancel, and look up at the gateway."""

from __future__ import annotations

import uuid

import strawberry

from payable.core import ids, permissions
from payable.core.errors import DomainError
from payable.graphql import mutation
from payable.graphql.context import ctx
from payable.graphql.types.booking import booking_id
from payable.graphql.types.payments import PaymentRequest, PaymentRequestPayload
from payable.payments import expiry, lookup
from payable.payments import service as payments


@strawberry.input(
    description="Amount = what the installment still owes; the installment defaults to the"
    " earliest unpaid one."
)
class CreatePaymentRequestInput:
    booking_id: strawberry.ID
    installment_id: strawberry.ID | None = None
    expires_in_minutes: int | None = strawberry.field(
        default=expiry.DEFAULT_MINUTES,
        description="How long the link can be paid, 1 to 10080 minutes (7 days), but never"
        " longer than the gateway's own payment page (ArCa and Ameriabank: 20 minutes). There a"
        " longer value is refused (EXPIRY_BEYOND_GATEWAY_SESSION, naming the limit), except the"
        " default 60, which is capped to the page's limit: expiresAt says when the link ends.",
    )
    return_url: str | None = strawberry.field(
        default=None, description="Where to send the customer afterwards."
    )


@strawberry.input
class CancelPaymentRequestInput:
    payment_request_id: strawberry.ID
    reason: str


async def _payload(info: strawberry.Info, outcome: mutation.Outcome) -> PaymentRequestPayload:
    if outcome.result_id is None:
        return PaymentRequestPayload(payment_request=None, errors=outcome.errors)
    row = await ctx(info).loaders.payment_request.load(outcome.result_id)
    return PaymentRequestPayload(payment_request=PaymentRequest(row=row), errors=[])


def _request_id(global_id: str) -> uuid.UUID:
    return ids.local_id(global_id, "PaymentRequest", field="paymentRequestId")


@strawberry.type
class PaymentMutations:
    @strawberry.mutation(
        description="A payment link for one installment. While one is active, that same link is"
        " returned and nothing new is created."
    )
    async def create_payment_request(
        self,
        info: strawberry.Info,
        input: CreatePaymentRequestInput,
        idempotency_key: str | None = None,
    ) -> PaymentRequestPayload:
        context = ctx(info)
        provider = context.providers.for_tenant(context.caller.tenant_slug)

        async def action(session, principal):  # type: ignore[no-untyped-def]
            return await payments.request_payment(
                session=session,
                principal=principal,
                provider=provider,
                public_url=context.settings.public_url,
                booking_id=booking_id(input.booking_id),
                installment_id=ids.local_id(
                    input.installment_id, "Installment", field="installmentId"
                )
                if input.installment_id
                else None,
                expires_in_minutes=input.expires_in_minutes
                if input.expires_in_minutes is not None
                else expiry.DEFAULT_MINUTES,
                return_url=input.return_url,
            )

        outcome = await mutation.run(
            info,
            operation="createPaymentRequest",
            permission=permissions.Action.REQUEST_PAYMENT,
            request=input,
            idempotency_key=idempotency_key,
            action=action,
        )
        return await _payload(info, outcome)

    @strawberry.mutation(
        description="Withdraw a pending link; cancelled at the gateway where it allows."
    )
    async def cancel_payment_request(
        self,
        info: strawberry.Info,
        input: CancelPaymentRequestInput,
        idempotency_key: str | None = None,
    ) -> PaymentRequestPayload:
        context = ctx(info)
        provider = context.providers.for_tenant(context.caller.tenant_slug)
        outcome = await mutation.run(
            info,
            operation="cancelPaymentRequest",
            permission=permissions.Action.REQUEST_PAYMENT,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: payments.cancel_request(
                session=session,
                principal=principal,
                provider=provider,
                request_id=_request_id(input.payment_request_id),
                reason=input.reason,
            ),
        )
        return await _payload(info, outcome)

    @strawberry.mutation(
        description="Ask the gateway now (a server-side lookup) and apply its answer."
    )
    async def refresh_payment_status(
        self, info: strawberry.Info, payment_request_id: strawberry.ID
    ) -> PaymentRequestPayload:
        context = ctx(info)
        try:
            request_id = _request_id(payment_request_id)
            await lookup.refresh(
                db=context.db,
                providers=context.providers,
                principal=context.caller,
                request_id=request_id,
            )
        except DomainError as error:
            errors = await mutation.refusal(info, "refreshPaymentStatus", error)
            return PaymentRequestPayload(payment_request=None, errors=errors)
        return await _payload(info, mutation.Outcome(request_id, []))
