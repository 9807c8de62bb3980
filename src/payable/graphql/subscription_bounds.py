"""What one websocket and one token may take of `bookingEvents`.

A socket holds at most `subscription_max_per_socket` subscriptions at once (each holds a hub
queue and a task); one more is refused with TOO_MANY_SUBSCRIPTIONS and the others go on. A
replay reads the table for one caller, so replayed events are metered per token (sub and
tenant) by the process's limiter; live events are fanned out once to everyone and cost nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from graphql import GraphQLError

from payable.graphql.context import Context


@contextlib.contextmanager
def socket_slot(context: Context) -> Iterator[None]:
    """Hold one of the socket's subscription slots while the subscription runs."""
    limit = context.settings.subscription_max_per_socket
    if context.subscriptions >= limit:
        raise GraphQLError(
            f"at most {limit} subscriptions at once on one connection; end one first",
            extensions={"code": "TOO_MANY_SUBSCRIPTIONS", "limit": limit},
        )
    context.subscriptions += 1
    try:
        yield
    finally:
        context.subscriptions -= 1


async def replay_grant(context: Context, wanted: int) -> tuple[int, int | None]:
    """How many of the next ``wanted`` replayed events the caller's token may have now, and
    when fewer, the seconds until it may have more."""
    caller = context.caller
    limiter = context.limiter
    return await limiter.grant(limiter.replay, wanted, "replay", str(caller.tenant_id), caller.sub)


def replay_refused(retry_after: int, last: int) -> GraphQLError:
    """The error that ends a replay over budget: resume with `after` once `retryAfter` passed."""
    return GraphQLError(
        f"too many events replayed for this token; resubscribe with after={last}"
        f" in {retry_after} seconds",
        extensions={"code": "RATE_LIMITED", "retryAfter": retry_after, "after": str(last)},
    )
