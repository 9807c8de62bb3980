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
from collections.abc import Sequence
from typing import Any, NamedTuple

import orjson
import strawberry
from graphql import GraphQLObjectType, GraphQLSchema
from graphql.execution.collect_fields import FieldDetails, FieldDetailsList
from graphql.execution.values import VariableValues

from payable.core import clock
from payable.graphql.executor import ReadExecutor
from payable.graphql.json_nodes import sql_values
from payable.graphql.json_nodes.catalogue import BOOKING, TYPES
from payable.graphql.json_nodes.compiler import Compiler, FieldSql, Params, Unsupported
from payable.graphql.json_nodes.fields import Column
from payable.metrics.families import JSON_NODE_PAGES
from payable.verticals import registry

ENABLED = True  # tests compare both paths by turning it off

_BOOKING = "b"
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
    """The statement for this selection and these variables, compiled once."""
    raw = info._raw_info
    variables = raw.variable_values
    if not isinstance(variables, VariableValues):
        variables = VariableValues(sources={}, coerced=variables)
    key = (
        id(raw.schema),
        id(raw.operation),
        id(raw.field_nodes[0]),
        repr(sorted(variables.coerced.items())),
    )
    found = _compiled.get(key)
    if found is not None and found.schema is raw.schema and found.operation is raw.operation:
        _compiled.move_to_end(key)
        return found
    try:
        statement, params = _statement(raw, variables, booking_types)
    except Unsupported:
        statement, params = None, None
    compiled = _compiled[key] = Statement(raw.schema, raw.operation, statement, params)
    while len(_compiled) > _KEPT:
        _compiled.popitem(last=False)
    return compiled


def _statement(
    raw: Any, variables: VariableValues, booking_types: dict[str, type]
) -> tuple[str, Params]:
    params = Params()
    tenant, ids = params.named("tenant", "uuid"), params.named("ids", "uuid[]")
    compiler = Compiler(
        schema=raw.schema,
        fragments=raw.fragments,
        variables=variables,
        operation=raw.operation,
        fields_of=_fields_of(raw.schema, booking_types),
        params=params,
    )
    node = _node_details(compiler, raw)
    cases, joins = [], []
    for index, kind in enumerate(_kinds(raw.schema, booking_types)):
        detail = f"d{index}"
        graphql_type = _graphql_type(raw.schema, booking_types[kind])
        built = compiler.object(graphql_type, {"t": _BOOKING, "d": detail}, node)
        cases.append(f"WHEN {sql_values.literal(kind)} THEN {built}")
        table = registry.get(kind).detail_model.__tablename__  # type: ignore[attr-defined]
        joins.append(f"LEFT JOIN {table} {detail} ON {detail}.booking_id = {_BOOKING}.id")
    statement = (
        f"SELECT {_BOOKING}.id, (CASE {_BOOKING}.kind {' '.join(cases)} END)::text"
        f" FROM unnest({ids}) AS page (id) JOIN bookings {_BOOKING} ON {_BOOKING}.id = page.id"
        f" {' '.join(joins)} WHERE {_BOOKING}.tenant_id = {tenant}"
    )
    return statement, params


def _kinds(schema: GraphQLSchema, booking_types: dict[str, type]) -> list[str]:
    """The kinds this process serves that this schema shows."""
    return [
        kind
        for kind in registry.kinds()
        if kind in booking_types
        and schema.get_type(booking_types[kind].__strawberry_definition__.name) is not None  # type: ignore[attr-defined]
    ]


def _node_details(compiler: Compiler, raw: Any) -> FieldDetailsList:
    """The selection under `edges { node }`: one of each, or the resolvers answer."""
    connection = raw.return_type
    while not isinstance(connection, GraphQLObjectType):
        connection = connection.of_type
    found: list[FieldDetailsList] = []
    grouped = compiler.collect(connection, [FieldDetails(node, None) for node in raw.field_nodes])
    for edges_details in grouped.values():
        if edges_details[0].node.name.value != "edges":
            continue
        edge = connection.fields["edges"].type
        while not isinstance(edge, GraphQLObjectType):
            edge = edge.of_type
        for node_details in compiler.collect(edge, edges_details).values():
            if node_details[0].node.name.value == "node":
                found.append(node_details)
    if len(found) != 1:
        raise Unsupported("edges or node selected more than once")
    return found[0]


def _graphql_type(schema: GraphQLSchema, python_type: type) -> GraphQLObjectType:
    name = python_type.__strawberry_definition__.name  # type: ignore[attr-defined]
    found = schema.get_type(name)
    assert isinstance(found, GraphQLObjectType)
    return found


def _fields_of(schema: GraphQLSchema, booking_types: dict[str, type]) -> Any:
    """The catalogue's fields of a type; a booking type's are the shared ones and its
    vertical's detail columns (`detail_columns` on its class, read as {d})."""
    by_name = {
        t.__strawberry_definition__.name: t  # type: ignore[attr-defined]
        for t in booking_types.values()
    }

    converter = schema._strawberry_schema.config.name_converter  # type: ignore[attr-defined]
    known: dict[str, dict[str, FieldSql]] = {}

    def fields_of(object_type: GraphQLObjectType) -> dict[str, FieldSql] | None:
        python_type = by_name.get(object_type.name)
        if python_type is None:
            return TYPES.get(object_type.name)
        if object_type.name not in known:
            definition = python_type.__strawberry_definition__  # type: ignore[attr-defined]
            names = {field.python_name: converter.from_field(field) for field in definition.fields}
            columns = getattr(python_type, "detail_columns", ())
            own = {names[column]: Column("{d}." + column) for column in columns}
            known[object_type.name] = {**BOOKING, **own}
        return known[object_type.name]

    return fields_of
