"""Refund mutations and the refund quote."""

from __future__ import annotations

import uuid
from decimal import Decimal

import strawberry
from graphql import GraphQLError

from payable.core import ids, permissions
from payable.core.errors import DomainError
from payable.graphql import mutation
from payable.graphql.context import ctx
from payable.graphql.types.booking import booking_id as local_booking_id
from payable.graphql.types.common import Money
from payable.graphql.types.parties import CancellationPolicy
from payable.graphql.types.refunds import Refund, RefundPayload, RefundQuote
from payable.policies import quotes
from payable.refunds import service as refunds


@strawberry.input
class RequestRefundInput:
    booking_id: strawberry.ID
    amount: Decimal
    reason: str
    payment_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the verified payment with the most left to refund."
    )


@strawberry.input
class RejectRefundInput:
    refund_id: strawberry.ID
    reason: str


def _refund_id(global_id: str) -> uuid.UUID:
    return ids.local_id(global_id, "Refund", field="refundId")


async def _payload(info: strawberry.Info, outcome: mutation.Outcome) -> RefundPayload:
    if outcome.result_id is None:
        return RefundPayload(refund=None, errors=outcome.errors)
    return RefundPayload(
        refund=Refund(row=await ctx(info).loaders.refund.load(outcome.result_id)), errors=[]
    )


@strawberry.type
class RefundMutations:
    @strawberry.mutation(
        description="Ask for a refund of verified money. More than is left to refund is refused,"
        " never capped. Accountants or admins decide."
    )
    async def request_refund(
        self, info: strawberry.Info, input: RequestRefundInput, idempotency_key: str | None = None
    ) -> RefundPayload:
        outcome = await mutation.run(
            info,
            operation="requestRefund",
            permission=permissions.Action.REQUEST_REFUND,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: refunds.request_refund(
                session=session,
                principal=principal,
                booking_id=local_booking_id(input.booking_id),
                amount=input.amount,
                reason=input.reason,
                payment_id=ids.local_id(input.payment_id, "Payment", field="paymentId")
                if input.payment_id
                else None,
            ),
        )
        return await _payload(info, outcome)

    @strawberry.mutation(
        description="Approve and send to the gateway. The refund ends SUCCEEDED, FAILED, or"
        " PROCESSING when the gateway did not answer (a review task follows)."
    )
    async def approve_refund(
        self, info: strawberry.Info, refund_id: strawberry.ID, idempotency_key: str | None = None
    ) -> RefundPayload:
        providers = ctx(info).providers
        outcome = await mutation.run(
            info,
            operation="approveRefund",
            permission=permissions.Action.DECIDE_REFUND,
            request={"refundId": refund_id},
            idempotency_key=idempotency_key,
            action=lambda session, principal: refunds.approve_refund(
                session=session,
                principal=principal,
                provider_for=providers.by_name,
                refund_id=_refund_id(refund_id),
            ),
        )
        return await _payload(info, outcome)

    @strawberry.mutation(description="Decline a requested refund, with a reason.")
    async def reject_refund(
        self, info: strawberry.Info, input: RejectRefundInput, idempotency_key: str | None = None
    ) -> RefundPayload:
        outcome = await mutation.run(
            info,
            operation="rejectRefund",
            permission=permissions.Action.DECIDE_REFUND,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: refunds.reject_refund(
                session=session,
                principal=principal,
                refund_id=_refund_id(input.refund_id),
                reason=input.reason,
            ),
        )
        return await _payload(info, outcome)


@strawberry.type
class RefundQueries:
    @strawberry.field(
        description="The refund path the booking's own policy version gives now: FULL, PARTIAL"
        " or NONE, the amount, and until when free cancellation is open."
    )
    async def refund_quote(self, info: strawberry.Info, booking_id: strawberry.ID) -> RefundQuote:
        context = ctx(info)
        tenant_id = context.caller.tenant_id
        try:
            local = local_booking_id(booking_id)
            found = await quotes.quote(
                session=context.read_session, tenant_id=tenant_id, booking_id=local
            )
        except DomainError as error:  # a query has no payload: unknown ids are a GraphQL error
            raise GraphQLError(error.message, extensions={"code": error.code}) from None
        policy = await context.loaders.policy.load(found.policy_version_id)
        return RefundQuote(
            refundable=Money.of(found.refundable, found.currency),
            policy=CancellationPolicy(view=policy),
            deadline=found.deadline,
            path=found.path.value,
        )
