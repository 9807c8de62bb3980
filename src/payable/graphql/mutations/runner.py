"""The one way mutations run: caller check, one transaction, idempotency, refusals as data.

Mutations are declared with ``declaration.mutation``, which calls ``run`` (or ``run_outside``).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import strawberry
import structlog
from graphql import FieldNode
from sqlalchemy.ext.asyncio import AsyncSession

from payable.audit import service as audit
from payable.core import permissions
from payable.core.errors import DomainError, Forbidden
from payable.core.principal import Principal
from payable.graphql.context import ctx
from payable.graphql.exchange import Exchange, Replayed
from payable.graphql.mutations import amounts
from payable.graphql.types.common import UserError
from payable.idempotency import service as idempotency
from payable.metrics import families

Action = Callable[[AsyncSession, Principal], Awaitable[uuid.UUID | None]]
log = structlog.get_logger("payable.graphql")


class UndeclaredRefusal(Exception):
    """A mutation refused with a code its declaration does not list."""


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
    codes: frozenset[str],
) -> Outcome:
    """Run ``action`` in its own transaction; a DomainError rolls its writes back.

    The role is checked first, so a replayed key never answers a caller who may not act. A
    repeat of the same HTTP request under a key gets the first answer's bytes (see exchange);
    another request with the same key and input gets the first result as it stands now.
    """
    context = ctx(info)
    principal = context.caller
    exchange = context.exchange if _alone(info) else None
    try:
        permissions.require(principal, permission)
        amounts.check(request)  # before anything reads, stores or fingerprints them
        as_data = dataclasses.asdict(request) if dataclasses.is_dataclass(request) else request
        async with context.db.session() as session, session.begin():
            result = await idempotency.run_once(
                session=session,
                tenant_id=principal.tenant_id,
                key=idempotency_key,
                operation=operation,
                request=as_data,
                exchange=exchange.fingerprint if exchange is not None else None,
                retention=timedelta(hours=context.settings.idempotency_retention_hours),
                action=lambda: action(session, principal),
            )
    except DomainError as error:
        return Outcome(None, await refusal(info, operation, error, codes))
    return await _answer(info, operation, result, exchange, idempotency_key, codes)


async def run_outside(
    info: strawberry.Info,
    *,
    operation: str,
    permission: permissions.Action,
    action: Callable[[], Awaitable[uuid.UUID | None]],
    codes: frozenset[str],
) -> Outcome:
    """Run ``action``, which opens its own sessions (it waits on a gateway or streams a file
    between them): the same role check and refusals, no transaction of ours and no key."""
    try:
        permissions.require(ctx(info).caller, permission)
        return Outcome(await action(), [])
    except DomainError as error:
        return Outcome(None, await refusal(info, operation, error, codes))


async def _answer(
    info: strawberry.Info,
    operation: str,
    result: idempotency.Result,
    exchange: Exchange | None,
    key: str | None,
    codes: frozenset[str],
) -> Outcome:
    if result.stored is not None and exchange is not None:
        exchange.replay = result.stored
        raise Replayed
    if result.claimed and exchange is not None and key is not None:
        exchange.claim = (ctx(info).caller.tenant_id, key)
    if result.refusal is not None:
        return Outcome(None, await refusal(info, operation, result.refusal, codes))
    return Outcome(result.result_id, [])


def _alone(info: strawberry.Info) -> bool:
    """Whether this mutation is the request's only field, so the whole answer is its answer."""
    selections = info.operation.selection_set.selections
    return len(selections) == 1 and isinstance(selections[0], FieldNode)


async def refusal(
    info: strawberry.Info, operation: str, error: DomainError, codes: frozenset[str] | None = None
) -> list[UserError]:
    """A refusal as payload errors; a FORBIDDEN one also leaves its audit entry (its only trace).

    ``codes`` are the ones the mutation declares (and documents): another one is a bug in the
    declaration, logged, and outside production raised, so the tests find it."""
    if codes is not None and error.code not in codes:
        log.error("refusal_undeclared", operation=operation, code=error.code)
        if ctx(info).settings.environment != "production":
            raise UndeclaredRefusal(f"{operation} returned {error.code}, which it does not declare")
    families.ERRORS.labels(error.code, "payload").inc()
    if isinstance(error, Forbidden):
        context = ctx(info)
        await audit.refused(
            db=context.db, principal=context.caller, operation=operation, outcome=error.code
        )
    return [UserError.from_domain(error)]
