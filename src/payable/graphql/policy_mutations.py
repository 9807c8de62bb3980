"""Publishing cancellation policy versions."""

from __future__ import annotations

import strawberry

from payable.core import permissions
from payable.graphql import mutation
from payable.graphql.context import ctx
from payable.graphql.types.common import BookingKind, UserError
from payable.graphql.types.parties import CancellationPolicy
from payable.policies import service as policies


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


@strawberry.type
class PolicyMutations:
    @strawberry.mutation(description="Publish the next version of a policy (or its first).")
    async def publish_policy(
        self, info: strawberry.Info, input: PublishPolicyInput, idempotency_key: str | None = None
    ) -> PolicyPayload:
        terms = policies.Terms(
            input.free_cancellation_hours,
            input.late_cancellation_refund_percent,
            input.no_show_refund_percent,
        )
        outcome = await mutation.run(
            info,
            operation="publishPolicy",
            permission=permissions.Action.PUBLISH_POLICY,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: policies.publish(
                session=session,
                principal=principal,
                kind=input.kind.value,
                code=input.code,
                terms=terms,
                make_default=input.make_default,
            ),
        )
        if outcome.result_id is None:
            return PolicyPayload(policy=None, errors=outcome.errors)
        view = await ctx(info).loaders.policy.load(outcome.result_id)
        return PolicyPayload(policy=CancellationPolicy(view=view), errors=[])
