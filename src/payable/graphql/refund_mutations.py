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
from payable.refunds import execution, manual, queries, quotes
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


async def refund_payload(info: strawberry.Info, outcome: mutation.Outcome) -> RefundPayload:
    """The refund the mutation acted on, and every refund its request created."""
    if outcome.result_id is None:
        return RefundPayload(refund=None, errors=outcome.errors)
    context = ctx(info)
    group = await queries.group_of(
        session=context.read_session,
        tenant_id=context.caller.tenant_id,
        refund_id=outcome.result_id,
    )
    return RefundPayload(
        refund=next(Refund(row=r) for r in group if r.id == outcome.result_id),
        refunds=[Refund(row=r) for r in group],
        errors=[],
    )


async def send(info: strawberry.Info, outcome: mutation.Outcome) -> None:
    """After the decision committed: hand approved refunds to the gateway (exactly once)."""
    if outcome.result_id is not None:
        context = ctx(info)
        await execution.execute_group(context.db, context.providers.by_name, outcome.result_id)


@strawberry.type
class RefundMutations:
    @strawberry.mutation(
        description="Ask for a refund of verified money. More than is left to refund is refused,"
        " never capped. An amount larger than one payment is split across the booking's"
        " payments, newest first (`refunds`). Someone else with money rights decides."
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
        return await refund_payload(info, outcome)

    @strawberry.mutation(
        description="Approve a requested refund (with every refund of its request) and send it"
        " to the gateway. It ends SUCCEEDED, FAILED, or PROCESSING when the gateway did not"
        " answer; the server then settles it by asking the gateway, never by sending again, so"
        " approving twice sends once. The person who requested it cannot approve it"
        " (APPROVER_IS_REQUESTER)."
    )
    async def approve_refund(
        self, info: strawberry.Info, refund_id: strawberry.ID, idempotency_key: str | None = None
    ) -> RefundPayload:
        outcome = await mutation.run(
            info,
            operation="approveRefund",
            permission=permissions.Action.DECIDE_REFUND,
            request={"refundId": refund_id},
            idempotency_key=idempotency_key,
            action=lambda session, principal: refunds.approve(
                session=session, principal=principal, refund_id=_refund_id(refund_id)
            ),
        )
        await send(info, outcome)
        return await refund_payload(info, outcome)

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
            action=lambda session, principal: refunds.reject(
                session=session,
                principal=principal,
                refund_id=_refund_id(input.refund_id),
                reason=input.reason,
            ),
        )
        return await refund_payload(info, outcome)

    @strawberry.mutation(
        description="Record a refund made by hand, for a gateway with no refund API (Idram,"
        " Telcell): the refund failed with MANUAL_REFUND_REQUIRED, someone returned the money in"
        " the wallet's merchant cabinet, and `reference` is the wallet operator's reference for"
        " it. The refund becomes SUCCEEDED and its task closes. Codes: REFUND_NOT_MANUAL,"
        " REFERENCE_REQUIRED, TEXT_TOO_LONG, FORBIDDEN."
    )
    async def record_manual_refund(
        self,
        info: strawberry.Info,
        refund_id: strawberry.ID,
        reference: str,
        idempotency_key: str | None = None,
    ) -> RefundPayload:
        outcome = await mutation.run(
            info,
            operation="recordManualRefund",
            permission=permissions.Action.DECIDE_REFUND,
            request={"refundId": refund_id, "reference": reference},
            idempotency_key=idempotency_key,
            action=lambda session, principal: manual.record(
                session=session,
                principal=principal,
                refund_id=_refund_id(refund_id),
                reference=reference,
            ),
        )
        return await refund_payload(info, outcome)


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
