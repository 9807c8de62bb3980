"""The request-limits extension: measure before parsing and before validating, report the cost.

Refusals are GraphQL errors with a stable ``extensions.code`` (``TOO_MANY_TOKENS``,
``QUERY_TOO_DEEP``, ``TOO_MANY_ALIASES``, ``TOO_MANY_ROOT_FIELDS``, ``TOO_MANY_FRAGMENTS``,
``QUERY_TOO_COSTLY``, ``INVALID_TEXT``, ``TEXT_TOO_LONG``); nothing runs. They come before
graphql-core's own validation, some of whose rules grow faster than the document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from payable.graphql import input_text, limits
from payable.graphql.memo import Memo
from payable.settings import Settings, get_settings


def limits_from(settings: Settings) -> limits.Limits:
    return limits.Limits(
        max_tokens=settings.max_query_tokens,
        max_nesting=2 * settings.max_query_depth + 8,  # fields plus nested input objects
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_query_aliases,
        max_root_fields=settings.max_root_fields,
        max_fragments=settings.max_query_fragments,
        max_cost=settings.max_query_cost,
        default_page=20,
        list_size=settings.query_cost_list_size,
    )


def _note(context: object, **values: object) -> None:
    """Hand values to the request's log line (see payable.web.access_log)."""
    request = getattr(context, "request", None)
    if request is not None and request.scope["type"] == "http":
        request.scope.setdefault("state", {}).update(values)


# A document passes the same checks each time it comes (the same text, limits and variables):
# what passed is remembered, so a client's known document costs a look-up. Refusals are not
# kept; they are found again.
_passed: Memo[Any] = Memo(512)


class RequestLimits(SchemaExtension):
    def __init__(self) -> None:
        settings = get_settings()
        self.limits = limits_from(settings)
        self.max_text = settings.max_string_length
        self.cost: int | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if query is not None and context.graphql_document is None:
            _passed.get(("scan", self.limits, query), (), lambda: limits.scan(query, self.limits))
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document, schema = context.graphql_document, context.schema._schema
        assert document is not None
        variables = context.variables
        self.cost = _passed.get(
            (
                "cost",
                self.limits,
                id(schema),
                id(document),
                repr(sorted((variables or {}).items())),
            ),
            (schema, document),
            lambda: limits.measure(
                schema=schema, document=document, variables=variables, limits=self.limits
            ),
        )
        _note(context.context, operation=context.operation_name, cost=self.cost)
        input_text.check_variables(variables, max_length=self.max_text)
        _passed.get(
            ("text", self.max_text, id(document)),
            (document,),
            lambda: input_text.check_document(document, max_length=self.max_text),
        )
        yield

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        return {"cost": {"requested": self.cost, "maximum": self.limits.max_cost}}
