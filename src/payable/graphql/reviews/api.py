"""The review queue: asking a manager for an exception, closing tasks, and the queue itself."""

from __future__ import annotations

import uuid

import strawberry

from payable.core import ids
from payable.core.errors import CommonRefusal
from payable.core.permissions import Action
from payable.graphql.context import ctx
from payable.graphql.mutations.declaration import Call, mutation
from payable.graphql.mutations.runner import Outcome
from payable.graphql.pagination import page_size
from payable.graphql.types.booking import booking_id
from payable.graphql.types.reviews import ReviewTask, ReviewTaskPayload
from payable.payments.refusals import PaymentRefusal
from payable.reviews import queries as review_queries
from payable.reviews import service as reviews
from payable.reviews.models import ReviewTask as TaskRow
from payable.reviews.refusals import ReviewRefusal


@strawberry.input
class RequestOverrideInput:
    booking_id: strawberry.ID
    request: str = strawberry.field(description="What exception is needed, and why.")


@strawberry.input
class ResolveTaskInput:
    task_id: strawberry.ID
    resolution: str


def _task_id(global_id: str) -> uuid.UUID:
    return ids.local_id(global_id, "ReviewTask", field="taskId")


async def _task_payload(call: Call, outcome: Outcome) -> ReviewTaskPayload:
    if outcome.result_id is None:
        return ReviewTaskPayload(task=None, errors=outcome.errors)
    async with call.context.db.session() as session:
        row = await session.get(TaskRow, outcome.result_id)
    return ReviewTaskPayload(task=ReviewTask(row=row), errors=[])


@strawberry.type
class ReviewMutations:
    @mutation(
        role=Action.NOTES,
        answer=_task_payload,
        refusals=(
            CommonRefusal.NOT_FOUND,
            CommonRefusal.REASON_REQUIRED,
        ),
        description="Ask a manager for an exception: opens a review task.",
    )
    async def request_override(call: Call, input: RequestOverrideInput) -> uuid.UUID:
        return await reviews.request_override(
            session=call.session,
            principal=call.principal,
            booking_id=booking_id(input.booking_id),
            request=input.request,
        )

    @mutation(
        role=Action.RESOLVE_TASK,
        answer=_task_payload,
        refusals=(
            CommonRefusal.NOT_FOUND,
            ReviewRefusal.RESOLUTION_REQUIRED,
            ReviewRefusal.TASK_RESOLVED,
            PaymentRefusal.HELD_PAYMENT_UNDECIDED,
        ),
        description="Close a review task, saying what was done.",
    )
    async def resolve_task(call: Call, input: ResolveTaskInput) -> uuid.UUID:
        return await reviews.resolve(
            session=call.session,
            principal=call.principal,
            task_id=_task_id(input.task_id),
            resolution=input.resolution,
        )


@strawberry.type
class ReviewQueries:
    @strawberry.field(
        description="The review queue, oldest first. status: OPEN or RESOLVED; kinds: e.g."
        ' ["LATE_PAYMENT", "RECONCILIATION"], or ["REMINDER"] for who to remind.'
    )
    async def tasks(
        self,
        info: strawberry.Info,
        status: str | None = "OPEN",
        kinds: list[str] | None = None,
        first: int | None = None,
    ) -> list[ReviewTask]:
        context = ctx(info)
        rows = await review_queries.listing(
            session=context.read_session,
            tenant_id=context.caller.tenant_id,
            status=status,
            kinds=kinds,
            limit=page_size(first, default=50),
        )
        return [ReviewTask(row=row) for row in rows]
