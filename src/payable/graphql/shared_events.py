"""Live events are executed once per distinct selection, not once per subscriber.

A burst of bookings with a thousand subscribers used to run the same subscription document
against the same event a thousand times. Each delivered event carries a small dict shared by
every subscriber it is offered to; the first subscriber to execute a given (document,
variables, role) stores its result there and the others take it. The role is part of the key
because what an event shows depends on it (hidden notes, free text: `timeline/visibility`);
the tenant is fixed by the feed the event came from. Replayed events (`after`) are not
shared: each subscriber reads its own from the table.
"""

from __future__ import annotations

import asyncio
from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from payable.graphql.types.timeline import BookingEvent


def _key(executor: StrawberryGraphQLCoreExecutionContext) -> tuple[Any, ...] | None:
    principal = getattr(executor.context_value, "principal", None)
    if principal is None:
        return None
    variables = executor.variable_values.coerced
    return (
        id(executor.operation),
        repr(sorted(variables.items())),
        principal.role,
        principal.tenant_id,
    )


class SharedEventExecutor(StrawberryGraphQLCoreExecutionContext):
    def execute_operation(self, serially: bool | None = None) -> Any:
        event = self.root_value
        answers = event.shared if isinstance(event, BookingEvent) else None
        key = _key(self) if answers is not None else None
        if answers is None or key is None:
            return super().execute_operation(serially)
        found = answers.get(key)
        # The operation is kept with the answer: its id cannot be another document's meanwhile.
        if found is not None and found[0] is self.operation:
            return asyncio.shield(found[1])
        result = super().execute_operation(serially)
        if not self.is_awaitable(result):
            done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            done.set_result(result)
            answers[key] = (self.operation, done)
            return result
        # Shared as a task: a subscriber that leaves must not cancel the others' answer.
        task = asyncio.ensure_future(result)
        answers[key] = (self.operation, task)
        return asyncio.shield(task)
