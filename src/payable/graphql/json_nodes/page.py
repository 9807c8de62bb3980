"""The statement for a page of bookings: each booking's node as JSON, whatever its kind.

One ``CASE`` branch per kind this schema shows, each the node's selection compiled for that
kind's type (its fragments apply), with the kind's detail row joined; the page's bookings are
looked up by id within the tenant.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLObjectType, GraphQLSchema, get_named_type
from graphql.execution.collect_fields import FieldDetails, FieldDetailsList
from graphql.execution.values import VariableValues

from payable.graphql.json_nodes import sql_values
from payable.graphql.json_nodes.catalogue import BOOKING, TYPES
from payable.graphql.json_nodes.compiler import Compiler, FieldSql, Params, Unsupported
from payable.graphql.json_nodes.fields import Column, object_type_of
from payable.verticals import registry

_BOOKING = "b"


def statement(
    raw: Any, variables: VariableValues, booking_types: dict[str, type]
) -> tuple[str, Params]:
    """The statement and its parameters for the list field of ``raw`` (its resolve info);
    Unsupported when a field selected under its nodes is not rendered in SQL."""
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
    connection = get_named_type(raw.return_type)
    found: list[FieldDetailsList] = []
    grouped = compiler.collect(connection, [FieldDetails(node, None) for node in raw.field_nodes])
    for edges_details in grouped.values():
        if edges_details[0].node.name.value != "edges":
            continue
        edge = object_type_of(connection.fields["edges"])
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
