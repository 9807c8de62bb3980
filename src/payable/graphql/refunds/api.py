"""Refund mutations and the refund quote."""

from __future__ import annotations

import uuid
from decimal import Decimal

import strawberry
from graphql import GraphQLError

from payable.core import ids
from payable.core.errors import CommonRefusal, DomainError
from payable.core.permissions import Action
from payable.graphql.context import ctx
from payable.graphql.mutations.declaration import Call, mutation
from payable.graphql.refunds.payload import refund_payload, sent_refund_payload
from payable.graphql.types.booking import booking_id as local_booking_id
from payable.graphql.types.common import Money
from payable.graphql.types.parties import CancellationPolicy
from payable.graphql.types.refunds import RefundQuote
from payable.refunds import manual, quotes
from payable.refunds import service as refunds
from payable.refunds.refusals import RefundRefusal


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


_DECIDING = (CommonRefusal.NOT_FOUND, RefundRefusal.REFUND_NOT_PENDING)


@strawberry.type
class RefundMutations:
    @mutation(
        role=Action.REQUEST_REFUND,
        answer=refund_payload,
        refusals=(
            CommonRefusal.NOT_FOUND,
            CommonRefusal.REASON_REQUIRED,
            CommonRefusal.INVALID_AMOUNT,
            RefundRefusal.NOTHING_TO_REFUND,
            RefundRefusal.REFUND_EXCEEDS_REFUNDABLE,
        ),
        description="Ask for a refund of verified money. More than is left to refund is refused,"
        " never capped. An amount larger than one payment is split across the booking's"
        " payments, newest first (`refunds`). Someone else with money rights decides.",
    )
    async def request_refund(call: Call, input: RequestRefundInput) -> uuid.UUID:
        return await refunds.request_refund(
            session=call.session,
            principal=call.principal,
            booking_id=local_booking_id(input.booking_id),
            amount=input.amount,
            reason=input.reason,
            payment_id=ids.local_id(input.payment_id, "Payment", field="paymentId")
            if input.payment_id
            else None,
        )

    @mutation(
        role=Action.DECIDE_REFUND,
        answer=sent_refund_payload,
        refusals=(*_DECIDING, RefundRefusal.APPROVER_IS_REQUESTER),
        description="Approve a requested refund (with every refund of its request) and send it"
        " to the gateway. It ends SUCCEEDED, FAILED, or PROCESSING when the gateway did not"
        " answer; the server then settles it by asking the gateway, never by sending again, so"
        " approving twice sends once. The person who requested it cannot approve it"
        " (APPROVER_IS_REQUESTER).",
    )
    async def approve_refund(call: Call, refund_id: strawberry.ID) -> uuid.UUID:
        return await refunds.approve(
            session=call.session, principal=call.principal, refund_id=_refund_id(refund_id)
        )

    @mutation(
        role=Action.DECIDE_REFUND,
        answer=refund_payload,
        refusals=(*_DECIDING, CommonRefusal.REASON_REQUIRED),
        description="Decline a requested refund, with a reason.",
    )
    async def reject_refund(call: Call, input: RejectRefundInput) -> uuid.UUID:
        return await refunds.reject(
            session=call.session,
            principal=call.principal,
            refund_id=_refund_id(input.refund_id),
            reason=input.reason,
        )

    @mutation(
        role=Action.DECIDE_REFUND,
        answer=refund_payload,
        refusals=(
            CommonRefusal.NOT_FOUND,
            CommonRefusal.TEXT_TOO_LONG,
            RefundRefusal.REFUND_NOT_MANUAL,
            RefundRefusal.REFERENCE_REQUIRED,
        ),
        description="Record a refund made by hand, for a gateway with no refund API (Idram,"
        " Telcell): the refund failed with MANUAL_REFUND_REQUIRED, someone returned the money in"
        " the wallet's merchant cabinet, and `reference` is the wallet operator's reference for"
        " it. The refund becomes SUCCEEDED and its task closes.",
    )
    async def record_manual_refund(
        call: Call, refund_id: strawberry.ID, reference: str
    ) -> uuid.UUID:
        return await manual.record(
            session=call.session,
            principal=call.principal,
            refund_id=_refund_id(refund_id),
            reference=reference,
        )


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
