"""Role checks for queries: a refused read is audited exactly like a refused mutation."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from payable.core import permissions
from payable.core.errors import Forbidden
from payable.core.principal import Principal
from payable.graphql.context import ctx
from payable.graphql.mutations import runner


async def require(
    info: strawberry.Info, *, operation: str, permission: permissions.Action
) -> Principal:
    """The caller, if their role may; else an audit entry and a FORBIDDEN GraphQL error.

    A query has no payload, so the refusal is a top-level error; its trace is the same audit
    entry (operation, actor, role, outcome) a refused mutation leaves.
    """
    principal = ctx(info).caller
    try:
        permissions.require(principal, permission)
    except Forbidden as error:
        await runner.refusal(info, operation, error)
        raise GraphQLError(error.message, extensions={"code": error.code}) from None
    return principal
