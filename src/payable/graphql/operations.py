"""The operator's tools: discounts, CRM notes, and the review queue."""

from __future__ import annotations

import uuid
from decimal import Decimal

import strawberry

from payable.bookings import pricing
from payable.core import ids, permissions
from payable.graphql import mutation
from payable.graphql.booking_mutations import booking_payload
from payable.graphql.context import ctx
from payable.graphql.pagination import page_size
from payable.graphql.types.booking import BookingPayload, booking_id
from payable.graphql.types.reviews import ReviewTask, ReviewTaskPayload
from payable.reviews import queries as review_queries
from payable.reviews import service as reviews
from payable.reviews.models import ReviewTask as TaskRow
from payable.timeline import notes


@strawberry.input
class ApplyDiscountInput:
    booking_id: strawberry.ID
    amount: Decimal
    reason: str


@strawberry.input
class AddNoteInput:
    booking_id: strawberry.ID
    text: str


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


async def _task_payload(info: strawberry.Info, outcome: mutation.Outcome) -> ReviewTaskPayload:
    if outcome.result_id is None:
        return ReviewTaskPayload(task=None, errors=outcome.errors)
    async with ctx(info).db.session() as session:
        row = await session.get(TaskRow, outcome.result_id)
    return ReviewTaskPayload(task=ReviewTask(row=row), errors=[])


@strawberry.type
class OperationMutations:
    @strawberry.mutation(description="Lower the price by hand, with a reason (managers only).")
    async def apply_discount(
        self, info: strawberry.Info, input: ApplyDiscountInput, idempotency_key: str | None = None
    ) -> BookingPayload:
        return await booking_payload(
            info,
            operation="applyDiscount",
            permission=permissions.Action.APPLY_DISCOUNT,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: pricing.discount(
                session=session,
                principal=principal,
                booking_id=booking_id(input.booking_id),
                amount=input.amount,
                reason=input.reason,
            ),
        )

    @strawberry.mutation(
        description="A CRM note on the timeline; visible to admin, operator, support."
    )
    async def add_note(
        self, info: strawberry.Info, input: AddNoteInput, idempotency_key: str | None = None
    ) -> BookingPayload:
        return await booking_payload(
            info,
            operation="addNote",
            permission=permissions.Action.NOTES,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: notes.add(
                session=session,
                principal=principal,
                booking_id=booking_id(input.booking_id),
                text=input.text,
            ),
        )

    @strawberry.mutation(description="Ask a manager for an exception: opens a review task.")
    async def request_override(
        self, info: strawberry.Info, input: RequestOverrideInput, idempotency_key: str | None = None
    ) -> ReviewTaskPayload:
        outcome = await mutation.run(
            info,
            operation="requestOverride",
            permission=permissions.Action.NOTES,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: reviews.request_override(
                session=session,
                principal=principal,
                booking_id=booking_id(input.booking_id),
                request=input.request,
            ),
        )
        return await _task_payload(info, outcome)

    @strawberry.mutation(description="Close a review task, saying what was done.")
    async def resolve_task(
        self, info: strawberry.Info, input: ResolveTaskInput, idempotency_key: str | None = None
    ) -> ReviewTaskPayload:
        outcome = await mutation.run(
            info,
            operation="resolveTask",
            permission=permissions.Action.RESOLVE_TASK,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: reviews.resolve(
                session=session,
                principal=principal,
                task_id=_task_id(input.task_id),
                resolution=input.resolution,
            ),
        )
        return await _task_payload(info, outcome)


@strawberry.type
class OperationQueries:
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
