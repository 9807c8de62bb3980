"""PostgreSQL expressions that print a value exactly as the GraphQL layer serialises it.

Each takes an SQL expression and returns one whose text (or JSON number or boolean) is what
the scalar's Python serialiser would give: ISO 8601 as ``datetime.isoformat`` writes it,
amounts with two decimals, enum members by their GraphQL names, Relay global ids.
`json_nodes` renders a field in SQL only where one of these applies; the equivalence tests
hold the two paths to the same answers.
"""

from __future__ import annotations

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInt,
    GraphQLNamedType,
    GraphQLString,
)


def literal(text: str) -> str:
    """A constant as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def global_id(type_name: str, local_id: str) -> str:
    """``ids.to_global_id``: base64url of ``Type:uuid`` without padding (and without the line
    breaks PostgreSQL's base64 adds every 76 characters)."""
    raw = f"convert_to({literal(type_name + ':')} || ({local_id})::text, 'UTF8')"
    return rf"rtrim(translate(encode({raw}, 'base64'), E'+/\n', '-_'), '=')"


def _datetime(expression: str) -> str:
    """``datetime.isoformat()`` of an aware UTC datetime: microseconds only when not zero
    (".000000" can only be the fraction: nothing else in the text has a dot)."""
    text = f"to_char(({expression}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
    return f"(replace({text}, '.000000', '') || '+00:00')"


def _enum(expression: str, enum: GraphQLEnumType) -> str:
    names = {_stored(value.value): name for name, value in enum.values.items()}
    if all(stored == name for stored, name in names.items()):
        return f"({expression})::text"
    cases = " ".join(f"WHEN {literal(v)} THEN {literal(n)}" for v, n in names.items())
    return f"(CASE ({expression})::text {cases} END)"


def _stored(member: object) -> str:
    value = getattr(member, "value", member)
    return str(value)


def printed(expression: str, graphql_type: GraphQLNamedType) -> str | None:
    """The expression printed as ``graphql_type``'s serialiser prints it; None when there is
    no exact SQL equivalent (the field is then left to the resolvers)."""
    if graphql_type in (GraphQLString, GraphQLID):
        return f"({expression})::text"
    if graphql_type in (GraphQLInt, GraphQLBoolean):
        return f"({expression})"
    if isinstance(graphql_type, GraphQLEnumType):
        return _enum(expression, graphql_type)
    name = graphql_type.name
    if name == "DateTime":
        return _datetime(expression)
    if name == "Date":
        return f"to_char({expression}, 'YYYY-MM-DD')"
    if name == "Decimal":  # f"{value:.2f}"
        return f"round({expression}, 2)::text"
    return None
