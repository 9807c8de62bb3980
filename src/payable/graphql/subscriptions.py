"""`bookingEvents`: replay after a sequence, then live, with nothing lost in between."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import nullcontext

import strawberry
from graphql import GraphQLError

from payable.graphql import live_lane, subscription_bounds
from payable.graphql.context import ctx
from payable.graphql.pagination import sequence_cursor
from payable.graphql.types.booking import booking_id as local_booking_id
from payable.graphql.types.common import BookingKind
from payable.graphql.types.timeline import BookingEvent
from payable.timeline import stream


@strawberry.type
class BookingSubscriptions:
    @strawberry.subscription(
        description="Live changes. With `after` (a BookingEvent.sequence) every later event the "
        "caller may see is replayed first, then the stream goes live: reconnect with the last "
        "sequence you received and nothing is lost or repeated. A consumer that falls too far "
        "behind is ended with SLOW_CONSUMER and can resume with `after`. Bounded: one socket"
        " holds at most a few subscriptions (TOO_MANY_SUBSCRIPTIONS), and replayed events are"
        " metered per token (RATE_LIMITED, with `retryAfter` and the `after` to resume from)."
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
            hidden=context.visibility.hidden_types,
        )
        last = sequence_cursor(after)
        settings = context.settings
        hub = context.hub
        lane = live_lane.current()
        share = lane.key(context.caller) if lane is not None else ()
        with subscription_bounds.socket_slot(context):
            # Join the feed first: whatever commits from here on will be offered to us.
            subscriber, position = await hub.subscribe(
                tenant_id,
                accepts=lambda d: where.accepts(d.event, d.booking.booking.kind),
                capacity=settings.subscription_max_backlog,
            )
            try:
                if last is None:
                    last = position  # no `after`: live from now
                else:
                    # Replay from the table up to what is committed now (at least the feed's
                    # position), then the queue takes over; its overlap is skipped by sequence.
                    while True:
                        async with context.db.session() as session:
                            events = await stream.after(
                                session=session,
                                where=where,
                                sequence=last,
                                limit=settings.subscription_batch,
                            )
                        granted, wait = await subscription_bounds.replay_grant(context, len(events))
                        for event in events[:granted]:
                            yield BookingEvent(row=event)
                            last = event.sequence
                        await context.close()
                        if wait is not None:
                            raise subscription_bounds.replay_refused(wait, last)
                        if len(events) < settings.subscription_batch:
                            break
                while True:
                    first = await subscriber.next()
                    if subscriber.overflowed:
                        raise GraphQLError(
                            f"subscriber too slow: more than {settings.subscription_max_backlog}"
                            f" events waiting; resubscribe with after={last}",
                            extensions={"code": "SLOW_CONSUMER", "after": str(last)},
                        )
                    if first is None:
                        return  # the server is shutting down
                    # What another subscriber of the same selection sent goes out as it went, those
                    # queued together in one write; anything else is executed here.
                    ready: list[live_lane.Message] = []
                    for delivery in [first, *subscriber.queued_now()]:
                        if delivery.event.sequence <= last:
                            continue  # already sent by the replay
                        shared = (
                            await lane.shared_message(delivery.answers, share) if lane else None
                        )
                        if shared is not None:
                            ready.append(shared)
                        else:
                            if lane is not None:
                                await lane.send(ready)
                                ready = []
                            with lane.capture(delivery.answers, share) if lane else nullcontext():
                                yield BookingEvent(
                                    row=delivery.event,
                                    booking_view=delivery.booking,
                                    shared=delivery.answers,
                                )
                        last = delivery.event.sequence
                    if lane is not None:
                        await lane.send(ready)
                    if subscriber.idle:
                        await context.close()  # nothing queued: hold no connection while waiting
            finally:
                await hub.unsubscribe(tenant_id, subscriber)
                await context.close()
