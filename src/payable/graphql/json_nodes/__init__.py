"""A page of bookings rendered as JSON by PostgreSQL, when the selection allows it.

Answering a list through resolvers builds a Python object per booking, installment, link,
payment, refund, event and amount, and completes each field of each of them; that is most of
a list's cost. When every field selected under ``edges { node { … } }`` is one the catalogue
renders exactly (`catalogue.py`), the list resolver instead asks PostgreSQL for each node's
JSON in one statement and hands the executor the text as it is (an ``orjson.Fragment``, which
the executor passes through and orjson writes out unchanged). Anything else (a field it does
not know, role-dependent text, an argument it does not take, @defer) is answered by the
resolvers as before. Both paths read the same rows with the same rules and the same moment
(the clock is read once per page), and tests hold them to the same answers.

Only transports that write answers with orjson (HTTP and the websocket, `app.py`) ask for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple

import orjson
import strawberry
from graphql import FragmentSpreadNode, VariableNode, Visitor, visit
from graphql.execution.values import VariableValues

from payable.core import clock
from payable.graphql.executor import ReadExecutor
from payable.graphql.json_nodes import page
from payable.graphql.json_nodes.compiler import Params, Unsupported
from payable.graphql.memo import Memo
from payable.metrics.families import JSON_NODE_PAGES

ENABLED = True  # tests compare both paths by turning it off

_KEPT = 256  # compiled statements kept (per selection and variables)


class Statement(NamedTuple):
    """A selection's statement: each listed booking's node as JSON text."""

    sql: str | None  # None: the selection is not rendered in SQL
    params: Params | None

    async def render(
        self,
        *,
        session: Any,
        ids: Sequence[uuid.UUID],
        tenant_id: uuid.UUID,
        hidden_events: frozenset[str],
    ) -> list[orjson.Fragment] | None:
        """The nodes of these bookings, in their order; None if one is not there any more."""
        assert self.sql is not None and self.params is not None
        if not ids:
            return []
        now = clock.now()  # one moment for the whole page
        arguments = self.params.values(
            {
                "tenant": tenant_id,
                "ids": list(ids),
                "now": now,
                "today": clock.business_date(now),
                "hidden": list(hidden_events),
            }
        )
        nodes = {row[0]: row[1] for row in await session.fetch(self.sql, *arguments)}
        if any(nodes.get(booking_id) is None for booking_id in ids):
            JSON_NODE_PAGES.labels("fallback").inc()
            return None
        JSON_NODE_PAGES.labels("rendered").inc()
        return [orjson.Fragment(nodes[booking_id]) for booking_id in ids]


_compiled: Memo[Statement] = Memo(_KEPT)
_used: Memo[list[str]] = Memo(_KEPT)  # the variables a list field's selection refers to


def statement_for(info: strawberry.Info, booking_types: dict[str, type]) -> Statement | None:
    """The statement rendering this list's nodes, or None when the resolvers must answer."""
    if not ENABLED or not _passes_text(info):
        return None
    compiled = _compiled_for(info, booking_types)
    if compiled.sql is None:
        JSON_NODE_PAGES.labels("fallback").inc()
        return None
    return compiled


def _passes_text(info: strawberry.Info) -> bool:
    """Whether this schema's executor hands JSON text on as a completed value."""
    strawberry_schema = info._raw_info.schema._strawberry_schema  # type: ignore[attr-defined]
    return issubclass(strawberry_schema.execution_context_class, ReadExecutor)


def _compiled_for(info: strawberry.Info, booking_types: dict[str, type]) -> Statement:
    """The statement for this selection and the values of the variables it uses, compiled
    once (the list's own arguments, `after` included, do not change the nodes' statement)."""
    raw = info._raw_info
    variables = raw.variable_values
    if not isinstance(variables, VariableValues):
        variables = VariableValues(sources={}, coerced=variables)
    selection = (id(raw.schema), id(raw.operation), id(raw.field_nodes[0]))
    anchors = (raw.schema, raw.operation)
    used = _used.get(selection, anchors, lambda: _variables_used(raw))
    coerced = variables.coerced
    key = (*selection, repr([(name, coerced.get(name)) for name in used]))

    def compile_statement() -> Statement:
        try:
            return Statement(*page.statement(raw, variables, booking_types))
        except Unsupported:
            return Statement(None, None)

    return _compiled.get(key, anchors, compile_statement)


def _variables_used(raw: Any) -> list[str]:
    """The variables the list field's selection refers to (through fragments too), sorted."""
    found, followed = _References(), set()
    pending = [node.selection_set for node in raw.field_nodes if node.selection_set]
    while pending:
        visit(pending.pop(), found)
        for name in found.fragments - followed:
            followed.add(name)
            definition = raw.fragments.get(name)
            if definition is not None:
                pending.append(definition.selection_set)
    return sorted(found.variables)


class _References(Visitor):
    """The variables and fragments a selection set names."""

    def __init__(self) -> None:
        super().__init__()
        self.variables: set[str] = set()
        self.fragments: set[str] = set()

    def enter_variable(self, node: VariableNode, *_: object) -> None:
        self.variables.add(node.name.value)

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
        self.fragments.add(node.name.value)
