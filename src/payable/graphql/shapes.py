"""What a field's value looks like to the executor: a leaf, an object, a list of either.

graphql-core completes a value by asking the type, on every value, whether it is non-null, a
list, a leaf, abstract or an object, with a resolve info built for each field just in case an
error needs it. A shape answers those questions once per type; the executor then completes
values of that shape without an info, and hands anything else to graphql-core.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
)
from graphql.type.scalars import serialize_id, serialize_string
from strawberry.schema.schema_converter import CustomGraphQLEnumType

LEAF = 1
OBJECT = 2
LIST = 3


class Shape:
    __slots__ = ("item", "item_type", "kind", "origin", "serialize", "text", "type")

    def __init__(self, kind: int, graphql_type: Any) -> None:
        self.kind = kind
        self.type = graphql_type  # without its non-null wrapper
        self.serialize: Callable[[Any], Any] | None = None  # leaves
        self.text = False  # String and ID: a str is its own output value
        # Objects: a value of this class is certainly of the type (None: any value is).
        self.origin: type | None = None
        self.item: Shape | None = None  # lists
        self.item_type: GraphQLOutputType | None = None


def shape_of(return_type: GraphQLOutputType) -> Shape | None:
    """The shape of values of ``return_type``; None where graphql-core must complete them
    (abstract types, lists of them, objects with a type check of their own)."""
    inner = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
    if is_leaf_type(inner):
        leaf = Shape(LEAF, inner)
        leaf.serialize = inner.coerce_output_value  # type: ignore[union-attr]
        leaf.text = leaf.serialize in (serialize_string, serialize_id)
        if isinstance(inner, CustomGraphQLEnumType):
            leaf.serialize = _enum_names(inner)
        return leaf
    if isinstance(inner, GraphQLList):
        item = shape_of(inner.of_type)
        if item is None:
            return None
        listed = Shape(LIST, inner)
        listed.item, listed.item_type = item, inner.of_type
        return listed
    if isinstance(inner, GraphQLObjectType):
        shaped = Shape(OBJECT, inner)
        if inner.is_type_of is not None:
            # strawberry's own check accepts every instance of the class; a custom check
            # (or none we can read) is left to graphql-core.
            definition = (inner.extensions or {}).get("strawberry-definition")
            if definition is None or definition.is_type_of is not None:
                return None
            shaped.origin = definition.origin
        return shaped
    return None


def _enum_names(enum: CustomGraphQLEnumType) -> Callable[[Any], Any]:
    """strawberry's coercion of a Python enum member to its GraphQL name (it searches the
    values one by one), as a dict look-up; anything else is left to strawberry."""
    names = {value.value: name for name, value in enum.values.items()}
    members, coerce = enum.wrapped_cls, enum.coerce_output_value

    def serialize(member: Any) -> Any:
        if member.__class__ is members:
            name = names.get(member.value)
            if name is not None:
                return name
        return coerce(member)

    return serialize
