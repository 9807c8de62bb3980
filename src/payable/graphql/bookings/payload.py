"""The answer of every mutation that acts on one booking: the booking as it now is, or errors."""

from __future__ import annotations

from payable.graphql.mutations.declaration import Call
from payable.graphql.mutations.runner import Outcome
from payable.graphql.types.booking import BookingPayload, to_graphql


async def booking_payload(call: Call, outcome: Outcome) -> BookingPayload:
    if outcome.result_id is None:
        return BookingPayload(booking=None, errors=outcome.errors)
    view = await call.context.loaders.booking.load(outcome.result_id)
    return BookingPayload(booking=to_graphql(view), errors=[])
