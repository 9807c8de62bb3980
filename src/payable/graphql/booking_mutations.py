"""Shared plumbing of the booking mutations: run, then answer with the booking or the errors."""

from __future__ import annotations

from typing import Any

import strawberry

from payable.core import permissions
from payable.graphql import mutation
from payable.graphql.context import ctx
from payable.graphql.types.booking import BookingPayload, to_graphql


async def booking_payload(
    info: strawberry.Info,
    *,
    operation: str,
    permission: permissions.Action,
    request: Any,
    idempotency_key: str | None,
    action: mutation.Action,
) -> BookingPayload:
    outcome = await mutation.run(
        info,
        operation=operation,
        permission=permission,
        request=request,
        idempotency_key=idempotency_key,
        action=action,
    )
    if outcome.result_id is None:
        return BookingPayload(booking=None, errors=outcome.errors)
    view = await ctx(info).loaders.booking.load(outcome.result_id)
    return BookingPayload(booking=to_graphql(view), errors=[])
