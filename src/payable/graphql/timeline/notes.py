"""CRM notes on a booking's timeline."""

from __future__ import annotations

import uuid

import strawberry

from payable.core.errors import CommonRefusal
from payable.core.permissions import Action
from payable.graphql.bookings.payload import booking_payload
from payable.graphql.mutations.declaration import Call, mutation
from payable.graphql.types.booking import booking_id
from payable.timeline import notes
from payable.timeline.refusals import TimelineRefusal


@strawberry.input
class AddNoteInput:
    booking_id: strawberry.ID
    text: str


@strawberry.type
class NoteMutations:
    @mutation(
        role=Action.NOTES,
        answer=booking_payload,
        refusals=(
            CommonRefusal.NOT_FOUND,
            CommonRefusal.TEXT_TOO_LONG,
            TimelineRefusal.INVALID_NOTE,
        ),
        description="A CRM note on the timeline; visible to admin, operator, support.",
    )
    async def add_note(call: Call, input: AddNoteInput) -> uuid.UUID:
        return await notes.add(
            session=call.session,
            principal=call.principal,
            booking_id=booking_id(input.booking_id),
            text=input.text,
        )
