"""The kinds of field the SQL rendering knows: a column, a global id, an object built from the
same row, one related row, a list of related rows."""

from __future__ import annotations

from graphql import GraphQLField, GraphQLObjectType, get_named_type
from graphql.execution.collect_fields import FieldDetailsList

from payable.graphql.json_nodes import sql_values
from payable.graphql.json_nodes.compiler import Compiler, FieldSql, Scope, Unsupported, printed


def object_type_of(field: GraphQLField) -> GraphQLObjectType:
    named = get_named_type(field.type)
    if not isinstance(named, GraphQLObjectType):
        raise Unsupported(f"{named.name} is not an object type")
    return named


def python_name(object_type: GraphQLObjectType) -> str:
    """The class name behind a strawberry type: what `Node.id` encodes."""
    definition = (object_type.extensions or {}).get("strawberry-definition")
    return definition.origin.__name__ if definition is not None else object_type.name


class Column(FieldSql):
    """A scalar: an SQL expression of the row, printed as the field's type prints it."""

    def __init__(self, template: str) -> None:
        self.template = template

    def render(
        self,
        compiler: Compiler,
        scope: Scope,
        parent: GraphQLObjectType,
        field: GraphQLField,
        details: FieldDetailsList,
    ) -> str:
        try:
            expression = self.template.format_map(scope)
        except KeyError as missing:  # a type read where its template's names are not in scope
            raise Unsupported(f"{parent.name}.{field.ast_node}") from missing
        return printed(expression, field)


class NodeId(FieldSql):
    """`Node.id`: the global id of the row's id, named after the object's class."""

    def __init__(self, template: str = "{t}.id") -> None:
        self.template = template

    def render(
        self,
        compiler: Compiler,
        scope: Scope,
        parent: GraphQLObjectType,
        field: GraphQLField,
        details: FieldDetailsList,
    ) -> str:
        return sql_values.global_id(python_name(parent), self.template.format_map(scope))


class Inline(FieldSql):
    """An object built from the same row (an amount and its currency)."""

    def __init__(self, **scope: str) -> None:
        self.scope = scope

    def render(
        self,
        compiler: Compiler,
        scope: Scope,
        parent: GraphQLObjectType,
        field: GraphQLField,
        details: FieldDetailsList,
    ) -> str:
        inner = {name: template.format_map(scope) for name, template in self.scope.items()}
        return compiler.object(object_type_of(field), inner, details)


class Related(FieldSql):
    """One related row (``many=False``; null when there is none) or all of them, in order.

    ``source`` and ``where`` are templates: ``{r}`` is the related row's alias, ``{t}`` the
    parent's; ``joined`` names more aliases the related type's fields read.
    """

    def __init__(
        self,
        source: str,
        where: str,
        *,
        many: bool,
        order: str = "",
        joined: dict[str, str] | None = None,
    ) -> None:
        self.source, self.where, self.many, self.order = source, where, many, order
        self.joined = joined or {}

    def render(
        self,
        compiler: Compiler,
        scope: Scope,
        parent: GraphQLObjectType,
        field: GraphQLField,
        details: FieldDetailsList,
    ) -> str:
        alias = compiler.alias()
        names = {**scope, "r": alias}
        joined = {name: template.format_map(names) for name, template in self.joined.items()}
        names.update(joined)
        inner = {"t": alias, **joined}
        value = compiler.object(object_type_of(field), inner, details)
        source, where = self.source.format_map(names), self.where.format_map(names)
        ordered = f" ORDER BY {self.order.format_map(names)}" if self.order else ""
        if self.many:
            return (
                f"(SELECT coalesce(json_agg({value}{ordered}), '[]'::json)"
                f" FROM {source} WHERE {where})"
            )
        return f"(SELECT {value} FROM {source} WHERE {where}{ordered} LIMIT 1)"
