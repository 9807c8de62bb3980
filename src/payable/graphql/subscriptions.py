"""`bookingEvents`: replay after a sequence, then live, with nothing lost in between."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from payable.graphql.context import ctx
from payable.graphql.types.booking import booking_id as local_booking_id
from payable.graphql.types.common import BookingKind
from payable.graphql.types.timeline import BookingEvent
from payable.timeline import notes, stream


def _start(after: str | None) -> int | None:
    if after is None:
        return None
    if not after.isdigit():
        raise GraphQLError(
            "`after` must be an event sequence", extensions={"code": "INVALID_CURSOR"}
        )
    return int(after)


@strawberry.type
class BookingSubscriptions:
    @strawberry.subscription(
        description="Live changes. With `after` (a BookingEvent.sequence) every later event the "
        "caller may see is replayed first, then the stream goes live: reconnect with the last "
        "sequence you received and nothing is lost or repeated. A consumer that falls too far "
        "behind is ended with SLOW_CONSUMER and can resume with `after`."
    )
    async def booking_events(
        self,
        info: strawberry.Info,
        after: str | None = None,
        booking_id: strawberry.ID | None = None,
        kind: BookingKind | None = None,
    ) -> AsyncGenerator[BookingEvent, None]:
        context = ctx(info)
        tenant_id = context.caller.tenant_id
        where = stream.StreamFilter(
            tenant_id=tenant_id,
            booking_id=local_booking_id(booking_id) if booking_id else None,
            kind=kind.value if kind else None,
            hidden=notes.hidden_types(context.caller),
        )
        last = _start(after)
        settings = context.settings
        # Subscribe before the first read, so a change committed in between still wakes us.
        waker = context.hub.subscribe(tenant_id)
        try:
            if last is None:
                async with context.db.session() as session:
                    last = await stream.head(session=session, tenant_id=tenant_id)
            caught_up = False
            while waker.closed_reason is None:
                async with context.db.session() as session:
                    events = await stream.after(
                        session=session,
                        where=where,
                        sequence=last,
                        limit=settings.subscription_batch,
                    )
                    backlog = 0
                    if caught_up and len(events) == settings.subscription_batch:
                        backlog = await stream.backlog(
                            session=session,
                            where=where,
                            sequence=last,
                            cap=settings.subscription_max_backlog + 1,
                        )
                if backlog > settings.subscription_max_backlog:
                    raise GraphQLError(
                        f"subscriber too slow: {backlog} events behind;"
                        f" resubscribe with after={last}",
                        extensions={"code": "SLOW_CONSUMER", "after": str(last)},
                    )
                for event in events:
                    yield BookingEvent(row=event)
                    last = event.sequence
                await context.close()  # this batch is sent: no connection held while waiting
                if len(events) < settings.subscription_batch:
                    caught_up = True
                    await waker.wait(settings.subscription_poll_seconds)
        finally:
            context.hub.unsubscribe(tenant_id, waker)
            await context.close()
