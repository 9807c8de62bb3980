"""Payment request mutations: create, cancel, and look up at the gateway."""

from __future__ import annotations

import uuid

import strawberry

from payable.bookings.refusals import BookingRefusal
from payable.core import ids
from payable.core.errors import CommonRefusal
from payable.core.permissions import Action
from payable.graphql.mutations.declaration import Call, mutation
from payable.graphql.mutations.runner import Outcome
from payable.graphql.types.booking import booking_id
from payable.graphql.types.payments import PaymentRequest, PaymentRequestPayload
from payable.payments import expiry, lookup
from payable.payments import service as payments
from payable.payments.refusals import PaymentRefusal


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


async def _payload(call: Call, outcome: Outcome) -> PaymentRequestPayload:
    if outcome.result_id is None:
        return PaymentRequestPayload(payment_request=None, errors=outcome.errors)
    row = await call.context.loaders.payment_request.load(outcome.result_id)
    return PaymentRequestPayload(payment_request=PaymentRequest(row=row), errors=[])


def _request_id(global_id: str) -> uuid.UUID:
    return ids.local_id(global_id, "PaymentRequest", field="paymentRequestId")


_GATEWAY = (PaymentRefusal.PROVIDER_UNAVAILABLE, PaymentRefusal.PROVIDER_REFUSED)


@strawberry.type
class PaymentMutations:
    @mutation(
        role=Action.REQUEST_PAYMENT,
        answer=_payload,
        refusals=(
            CommonRefusal.NOT_FOUND,
            BookingRefusal.BOOKING_CLOSED,
            PaymentRefusal.INVALID_RETURN_URL,
            PaymentRefusal.INVALID_EXPIRY,
            PaymentRefusal.EXPIRY_BEYOND_GATEWAY_SESSION,
            PaymentRefusal.INSTALLMENT_PAID,
            PaymentRefusal.BOOKING_PAID,
            PaymentRefusal.HELD_PAYMENT_UNDECIDED,
            PaymentRefusal.PAYMENT_OUTCOME_UNKNOWN,
            *_GATEWAY,
        ),
        description="A payment link for one installment. While one is active, that same link is"
        " returned and nothing new is created.",
    )
    async def create_payment_request(call: Call, input: CreatePaymentRequestInput) -> uuid.UUID:
        context = call.context
        return await payments.request_payment(
            session=call.session,
            principal=call.principal,
            provider=context.providers.for_tenant(call.principal.tenant_slug),
            public_url=context.settings.public_url,
            booking_id=booking_id(input.booking_id),
            installment_id=ids.local_id(input.installment_id, "Installment", field="installmentId")
            if input.installment_id
            else None,
            expires_in_minutes=input.expires_in_minutes
            if input.expires_in_minutes is not None
            else expiry.DEFAULT_MINUTES,
            return_url=input.return_url,
        )

    @mutation(
        role=Action.REQUEST_PAYMENT,
        answer=_payload,
        refusals=(
            CommonRefusal.NOT_FOUND,
            CommonRefusal.REASON_REQUIRED,
            PaymentRefusal.NOT_PENDING,
        ),
        description="Withdraw a pending link; cancelled at the gateway where it allows.",
    )
    async def cancel_payment_request(call: Call, input: CancelPaymentRequestInput) -> uuid.UUID:
        return await payments.cancel_request(
            session=call.session,
            principal=call.principal,
            provider=call.context.providers.for_tenant(call.principal.tenant_slug),
            request_id=_request_id(input.payment_request_id),
            reason=input.reason,
        )

    @mutation(
        role=Action.CHECK_PAYMENT,
        answer=_payload,
        refusals=(CommonRefusal.NOT_FOUND, *_GATEWAY),
        description="Ask the gateway now (a server-side lookup) and apply its answer.",
        transaction=False,
    )
    async def refresh_payment_status(call: Call, payment_request_id: strawberry.ID) -> uuid.UUID:
        context = call.context
        request_id = _request_id(payment_request_id)
        await lookup.refresh(
            db=context.db,
            providers=context.providers,
            principal=call.principal,
            request_id=request_id,
        )
        return request_id
