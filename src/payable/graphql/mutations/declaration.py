"""One declaration per mutation: its role, refusal codes, idempotency and payload in one place.

    @strawberry.type
    class RefundMutations:
        @mutation(role=Action.DECIDE_REFUND, answer=refund_payload, refusals=(...), description=...)
        async def reject_refund(call: Call, input: RejectRefundInput) -> uuid.UUID:
            return await refunds.reject(session=call.session, principal=call.principal, ...)

The handler's name is the field's name (``rejectRefund``, also the operation its idempotency
keys and audit entries name); its parameters after ``call`` are the field's arguments; the
answer's return type is the payload. The role is checked by the runner, once, before anything
else; the description lists every code the mutation can return, rendered from ``refusals``.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.field import StrawberryField

from payable.core import permissions
from payable.core.errors import CommonRefusal, Refusal
from payable.core.principal import Principal
from payable.graphql.context import Context, ctx
from payable.graphql.mutations import runner
from payable.graphql.mutations.runner import Outcome
from payable.idempotency.refusals import IdempotencyRefusal


@dataclasses.dataclass(slots=True)
class Call:
    """What a handler works with: its transaction, the caller, the request, and what it keeps
    for the answer beyond the id it returns (a secret shown once, every booking it touched)."""

    info: strawberry.Info
    principal: Principal
    session: AsyncSession = dataclasses.field(init=False)
    kept: list[Any] = dataclasses.field(default_factory=list)

    @property
    def context(self) -> Context:
        return ctx(self.info)


Handler = Callable[..., Awaitable[uuid.UUID | None]]
Answer = Callable[[Call, Outcome], Awaitable[Any]]


@dataclasses.dataclass(frozen=True, slots=True)
class Declaration:
    """What the schema's documentation and the runner read back from a declared mutation."""

    role: permissions.Action
    refusals: tuple[Refusal, ...]
    idempotent: bool

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(r.code for r in self.refusals)


def mutation(
    *,
    role: permissions.Action,
    answer: Answer,
    description: str,
    refusals: Iterable[Refusal | type[Refusal]] = (),
    idempotent: bool = True,
    transaction: bool = True,
) -> Callable[[Handler], StrawberryField]:
    """Declare a mutation field from its handler.

    ``idempotent``: it takes an ``idempotencyKey`` (a repeat answers the first result).
    ``transaction=False``: the handler opens its own sessions (``call.context.db``), because it
    waits on a gateway or streams a file between them; such a mutation keeps no key.
    FORBIDDEN is always among its codes, and the key's codes when it takes one.
    """

    def declare(handler: Handler) -> StrawberryField:
        declaration = Declaration(
            role=role,
            refusals=_codes(refusals, idempotent=idempotent and transaction),
            idempotent=idempotent and transaction,
        )
        arguments = _arguments(handler, idempotent=declaration.idempotent)

        async def resolve(self: Any, info: strawberry.Info, **given: Any) -> Any:
            key = given.pop("idempotency_key", None)
            call = Call(info=info, principal=ctx(info).caller)

            async def action(session: AsyncSession, principal: Principal) -> uuid.UUID | None:
                call.session = session
                return await handler(call, **given)

            if transaction:
                outcome = await runner.run(
                    info,
                    operation=info.field_name,
                    permission=declaration.role,
                    request=_request(given),
                    idempotency_key=key,
                    action=action,
                    codes=declaration.codes,
                )
            else:
                outcome = await runner.run_outside(
                    info,
                    operation=info.field_name,
                    permission=declaration.role,
                    action=lambda: handler(call, **given),
                    codes=declaration.codes,
                )
            return await answer(call, outcome)

        resolve.__name__ = handler.__name__
        resolve.__qualname__ = handler.__qualname__
        resolve.__module__ = handler.__module__
        resolve.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
                inspect.Parameter(
                    "info", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=strawberry.Info
                ),
                *arguments,
            ],
            return_annotation=typing.get_type_hints(answer)["return"],
        )
        field = strawberry.mutation(
            resolver=resolve, description=_describe(description, declaration.refusals)
        )
        name = _camel(handler.__name__)
        assert name not in DECLARATIONS, f"{name} is declared twice"
        DECLARATIONS[name] = declaration
        return field

    return declare


# Every declared mutation by its field name; the catalogue documents which codes each returns.
DECLARATIONS: dict[str, Declaration] = {}


def _codes(refusals: Iterable[Refusal | type[Refusal]], *, idempotent: bool) -> tuple[Refusal, ...]:
    chosen: list[Refusal] = [CommonRefusal.FORBIDDEN]
    for item in refusals:
        chosen.extend(item if isinstance(item, type) else [item])
    if idempotent:
        chosen.extend(IdempotencyRefusal)
    return tuple(dict.fromkeys(chosen))


def _arguments(handler: Handler, *, idempotent: bool) -> list[inspect.Parameter]:
    """The field's arguments: the handler's parameters after ``call``, then the key."""
    hints = typing.get_type_hints(handler)
    names = list(inspect.signature(handler).parameters)[1:]
    arguments = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=hints[name])
        for name in names
    ]
    if idempotent:
        arguments.append(
            inspect.Parameter(
                "idempotency_key",
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=str | None,
            )
        )
    return arguments


def _request(given: dict[str, Any]) -> Any:
    """What a key's fingerprint covers: the input, or the arguments by their GraphQL names."""
    if list(given) == ["input"]:
        return given["input"]
    return {_camel(name): value for name, value in given.items()}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _describe(description: str, refusals: tuple[Refusal, ...]) -> str:
    codes = ", ".join(r.code for r in refusals)
    return f"{description} Codes: {codes}."
