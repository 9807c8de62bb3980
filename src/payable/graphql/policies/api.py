"""Publishing cancellation policy versions."""

from __future__ import annotations

import uuid

import strawberry

from payable.core.errors import CommonRefusal
from payable.core.permissions import Action
from payable.graphql.mutations.declaration import Call, mutation
from payable.graphql.mutations.runner import Outcome
from payable.graphql.types.common import BookingKind, UserError
from payable.graphql.types.parties import CancellationPolicy
from payable.policies import service as policies
from payable.policies.refusals import PolicyRefusal


@strawberry.input(description="Terms of a new policy version. Existing bookings keep theirs.")
class PublishPolicyInput:
    kind: BookingKind
    code: str
    free_cancellation_hours: int
    late_cancellation_refund_percent: int
    no_show_refund_percent: int
    make_default: bool = strawberry.field(
        default=False, description="New bookings of this kind use it when they name no policy."
    )


@strawberry.type
class PolicyPayload:
    policy: CancellationPolicy | None
    errors: list[UserError]


async def _policy_payload(call: Call, outcome: Outcome) -> PolicyPayload:
    if outcome.result_id is None:
        return PolicyPayload(policy=None, errors=outcome.errors)
    view = await call.context.loaders.policy.load(outcome.result_id)
    return PolicyPayload(policy=CancellationPolicy(view=view), errors=[])


@strawberry.type
class PolicyMutations:
    @mutation(
        role=Action.PUBLISH_POLICY,
        answer=_policy_payload,
        refusals=(
            CommonRefusal.TEXT_TOO_LONG,
            PolicyRefusal.INVALID_POLICY,
            PolicyRefusal.POLICY_KIND_MISMATCH,
        ),
        description="Publish the next version of a policy (or its first).",
    )
    async def publish_policy(call: Call, input: PublishPolicyInput) -> uuid.UUID:
        terms = policies.Terms(
            input.free_cancellation_hours,
            input.late_cancellation_refund_percent,
            input.no_show_refund_percent,
        )
        return await policies.publish(
            session=call.session,
            principal=call.principal,
            kind=input.kind.value,
            code=input.code,
            terms=terms,
            make_default=input.make_default,
        )
