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
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import orjson
import strawberry
from graphql import FragmentSpreadNode, GraphQLSchema, Node, VariableNode
from graphql.execution.values import VariableValues

from payable.core import clock
from payable.graphql.executor import ReadExecutor
from payable.graphql.json_nodes import page
from payable.graphql.json_nodes.compiler import Params, Unsupported
from payable.metrics.families import JSON_NODE_PAGES

ENABLED = True  # tests compare both paths by turning it off

_KEPT = 256  # compiled statements kept (per selection and variables)


class Statement(NamedTuple):
    """A selection's statement: each listed booking's node as JSON text."""

    schema: GraphQLSchema  # kept so that the cache key's ids stay theirs
    operation: Any
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


_compiled: OrderedDict[tuple[Any, ...], Statement] = OrderedDict()


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
    used = _variables_used(raw, selection)
    coerced = variables.coerced
    key = (*selection, repr([(name, coerced.get(name)) for name in used]))
    found = _compiled.get(key)
    if found is not None and found.schema is raw.schema and found.operation is raw.operation:
        _compiled.move_to_end(key)
        return found
    try:
        statement, params = page.statement(raw, variables, booking_types)
    except Unsupported:
        statement, params = None, None
    compiled = _compiled[key] = Statement(raw.schema, raw.operation, statement, params)
    while len(_compiled) > _KEPT:
        _compiled.popitem(last=False)
    return compiled


_used: OrderedDict[tuple[int, ...], tuple[Any, list[str]]] = OrderedDict()


def _variables_used(raw: Any, selection: tuple[int, ...]) -> list[str]:
    """The variables the list field's selection refers to (through fragments too), sorted."""
    found = _used.get(selection)
    if found is not None and found[0] is raw.operation:
        return found[1]
    names: set[str] = set()
    fragments: set[str] = set()
    pending = [node.selection_set for node in raw.field_nodes if node.selection_set]
    while pending:
        for node in _walk(pending.pop()):
            if isinstance(node, VariableNode):
                names.add(node.name.value)
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in fragments:
                fragments.add(node.name.value)
                definition = raw.fragments.get(node.name.value)
                if definition is not None:
                    pending.append(definition.selection_set)
    used = sorted(names)
    _used[selection] = (raw.operation, used)
    while len(_used) > _KEPT:
        _used.popitem(last=False)
    return used


def _walk(root: Node) -> Iterator[Node]:
    """Every AST node under ``root``."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        for key in node.keys:
            value = getattr(node, key, None)
            if isinstance(value, Node):
                stack.append(value)
            elif isinstance(value, tuple | list):
                stack.extend(item for item in value if isinstance(item, Node))
