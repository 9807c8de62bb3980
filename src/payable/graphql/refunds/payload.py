"""The answer of refund mutations, and the hand-over of approved refunds to the gateway."""

from __future__ import annotations

from payable.graphql.mutations.declaration import Call
from payable.graphql.mutations.runner import Outcome
from payable.graphql.types.refunds import Refund, RefundPayload
from payable.refunds import execution, queries


async def refund_payload(call: Call, outcome: Outcome) -> RefundPayload:
    """The refund the mutation acted on, and every refund its request created."""
    if outcome.result_id is None:
        return RefundPayload(refund=None, errors=outcome.errors)
    context = call.context
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


async def sent_refund_payload(call: Call, outcome: Outcome) -> RefundPayload:
    """After the decision committed: hand approved refunds to the gateway (exactly once)."""
    if outcome.result_id is not None:
        context = call.context
        await execution.execute_group(context.db, context.providers.by_name, outcome.result_id)
    return await refund_payload(call, outcome)
