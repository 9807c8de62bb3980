"""The one way mutations run: caller check, one transaction, idempotency, refusals as data."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from payable.audit import service as audit
from payable.core import permissions
from payable.core.errors import DomainError, Forbidden
from payable.core.principal import Principal
from payable.graphql.context import ctx
from payable.graphql.types.common import UserError
from payable.idempotency import service as idempotency

Action = Callable[[AsyncSession, Principal], Awaitable[uuid.UUID]]


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    result_id: uuid.UUID | None
    errors: list[UserError]


async def run(
    info: strawberry.Info,
    *,
    operation: str,
    permission: permissions.Action,
    request: Any,
    idempotency_key: str | None,
    action: Action,
) -> Outcome:
    """Run ``action`` in its own transaction; a DomainError rolls everything back.

    The role is checked first, so a replayed key never answers a caller who may not act.
    """
    context = ctx(info)
    principal = context.caller
    as_data = dataclasses.asdict(request) if dataclasses.is_dataclass(request) else request
    try:
        permissions.require(principal, permission)
        async with context.db.session() as session, session.begin():
            result_id = await idempotency.run_once(
                session=session,
                tenant_id=principal.tenant_id,
                key=idempotency_key,
                operation=operation,
                request=as_data,
                action=lambda: action(session, principal),
            )
    except DomainError as error:
        return Outcome(None, await refusal(info, operation, error))
    return Outcome(result_id, [])


async def refusal(info: strawberry.Info, operation: str, error: DomainError) -> list[UserError]:
    """A refusal as payload errors; a FORBIDDEN one also leaves its audit entry (its only trace)."""
    if isinstance(error, Forbidden):
        context = ctx(info)
        await audit.refused(
            db=context.db, principal=context.caller, operation=operation, outcome=error.code
        )
    return [UserError.from_domain(error)]
