"""A selection set, compiled into one PostgreSQL expression that builds its JSON.

The compiler walks the selection with graphql-core's own field collection (fragments,
aliases, ``@skip``/``@include`` and merged fields exactly as the executor sees them) and asks
the catalogue how each field is read in SQL. A field the catalogue does not know, an
argument it does not take, a directive other than skip/include, or a value with no exact SQL
printing makes the whole selection unsupported: the caller then answers through the
resolvers, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.execution.collect_fields import (
    FieldDetailsList,
    FragmentDetails,
    GroupedFieldSet,
    collect_subfields,
)
from graphql.execution.values import VariableValues

from payable.graphql.json_nodes import sql_values

Scope = dict[str, str]  # names a field's SQL template reads ({t}: the row's alias, ...)


class Unsupported(Exception):
    """The selection asks for something the SQL rendering does not do exactly."""


class FieldSql:
    """How one GraphQL field is read in SQL."""

    takes_arguments = False

    def render(
        self,
        compiler: Compiler,
        scope: Scope,
        parent: GraphQLObjectType,
        field: GraphQLField,
        details: FieldDetailsList,
    ) -> str:
        raise NotImplementedError


TypeFields = Callable[[GraphQLObjectType], dict[str, FieldSql] | None]

_MAX_PAIRS = 50  # json_build_object takes at most 100 arguments


class Params:
    """The statement's parameters, numbered as asyncpg wants them: values the selection fixes
    (a timeline's page size), and names each request fills in (the tenant, the clock)."""

    def __init__(self) -> None:
        self._sources: list[tuple[str | None, Any]] = []
        self._named: dict[str, str] = {}

    def add(self, value: Any, cast: str) -> str:
        self._sources.append((None, value))
        return f"${len(self._sources)}::{cast}"

    def named(self, name: str, cast: str) -> str:
        """The request's value of ``name``: one parameter however often it is used."""
        if name not in self._named:
            self._sources.append((name, None))
            self._named[name] = f"${len(self._sources)}::{cast}"
        return self._named[name]

    def values(self, request: dict[str, Any]) -> list[Any]:
        return [value if name is None else request[name] for name, value in self._sources]


class Compiler:
    def __init__(
        self,
        *,
        schema: GraphQLSchema,
        fragments: dict[str, Any],
        variables: VariableValues,
        operation: OperationDefinitionNode,
        fields_of: TypeFields,
        params: Params,
    ) -> None:
        self.schema = schema
        self.fragments = {
            name: fragment if isinstance(fragment, FragmentDetails) else FragmentDetails(fragment)
            for name, fragment in fragments.items()
        }
        self.variables = variables
        self.operation = operation
        self.fields_of = fields_of
        self.params = params
        self._aliases = 0

    def alias(self) -> str:
        self._aliases += 1
        return f"j{self._aliases}"

    def collect(self, object_type: GraphQLObjectType, details: FieldDetailsList) -> GroupedFieldSet:
        collected = collect_subfields(
            self.schema, self.fragments, self.variables, self.operation, object_type, details
        )
        if collected.new_defer_usages or collected.forbidden_directive_instances:
            raise Unsupported("@defer")
        return collected.grouped_field_set

    def object(
        self, object_type: GraphQLObjectType, scope: Scope, details: FieldDetailsList
    ) -> str:
        """``json_build_object(...)`` of ``object_type`` for the selection of ``details``."""
        fields = self.fields_of(object_type)
        if fields is None:
            raise Unsupported(object_type.name)
        pairs = []
        for key, field_details in self.collect(object_type, details).items():
            node = field_details[0].node
            name = node.name.value
            if any(d.name.value not in ("skip", "include") for d in node.directives or ()):
                raise Unsupported(f"a directive on {name}")
            if name == "__typename":
                value = sql_values.literal(object_type.name)
            else:
                how = fields.get(name)
                if how is None:
                    raise Unsupported(f"{object_type.name}.{name}")
                if node.arguments and not how.takes_arguments:
                    raise Unsupported(f"arguments of {object_type.name}.{name}")
                field = object_type.fields[name]
                value = how.render(self, scope, object_type, field, field_details)
            pairs.append(f"{sql_values.literal(key)}, {value}")
        if len(pairs) > _MAX_PAIRS:
            raise Unsupported("too many fields for one json_build_object")
        return f"json_build_object({', '.join(pairs)})"


def printed(expression: str, field: GraphQLField) -> str:
    if is_list_type(get_nullable_type(field.type)):
        raise Unsupported("a list of scalars")
    value = sql_values.printed(expression, get_named_type(field.type))
    if value is None:
        raise Unsupported(f"no SQL printing for {get_named_type(field.type).name}")
    return value
