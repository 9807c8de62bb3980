"""What a GraphQL document asks for, measured before it runs, in time linear in its length.

Two passes, neither recursive in the size of the input: the lexer counts tokens and bracket
nesting before anything is parsed (graphql-core's parser recurses per level, so a thousand
levels would end in a RecursionError); then one walk over the parsed document measures depth,
cost, aliases and root fields, each fragment once (memoised), so fragments that spread each
other twice per level cost one visit each, not 2^n.

Cost follows GitHub's and Shopify's model: an object costs 1, a leaf 0, and a field that
returns a page (``first``) or a list costs its page size times what is selected under it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    VariableNode,
    get_named_type,
)
from graphql.language import Lexer, Source, TokenKind

_META = {"__schema": SchemaMetaFieldDef, "__type": TypeMetaFieldDef}
# Costs are counted exactly up to here, then held there: a caller's `first: 1e30`-sized page or
# nested pages would otherwise grow numbers no JSON answer can carry (and cost time to multiply).
COST_CEILING = 2**53 - 1  # the largest integer every JSON reader keeps exact
_OPENING = {TokenKind.BRACE_L, TokenKind.PAREN_L, TokenKind.BRACKET_L}
_CLOSING = {TokenKind.BRACE_R, TokenKind.PAREN_R, TokenKind.BRACKET_R}


@dataclass(frozen=True, slots=True)
class Limits:
    max_tokens: int
    max_nesting: int  # brackets of any kind, before parsing: bounds the parser's recursion
    max_depth: int  # nested fields, fragments included
    max_aliases: int
    max_root_fields: int
    max_fragments: int
    max_cost: int
    default_page: int  # what a page-taking field costs when `first` is not given
    list_size: int  # what a plain list field (no `first`) is assumed to hold


def refusal(code: str, message: str, **details: object) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **details})


def scan(query: str, limits: Limits) -> None:
    """Refuse a document with too many tokens or too deep brackets, before it is parsed."""
    lexer = Lexer(Source(query))
    tokens = nesting = 0
    try:
        while (token := lexer.advance()).kind != TokenKind.EOF:
            # Tokens link both ways; a cycle per token would leave every request's document to
            # the garbage collector. Forward links are enough for the lexer.
            token.prev = None
            tokens += 1
            if tokens > limits.max_tokens:
                raise refusal(
                    "TOO_MANY_TOKENS",
                    f"the document has more than {limits.max_tokens} tokens",
                    maximum=limits.max_tokens,
                )
            if token.kind in _OPENING:
                nesting += 1
                if nesting > limits.max_nesting:
                    raise refusal(
                        "QUERY_TOO_DEEP",
                        f"the document exceeds maximum operation depth: brackets nest deeper "
                        f"than {limits.max_nesting}",
                        maximum=limits.max_nesting,
                    )
            elif token.kind in _CLOSING:
                nesting -= 1
    except GraphQLError as error:
        if error.extensions:
            raise
        # A syntax error: the parser reports it with its position, as usual.


@dataclass(frozen=True, slots=True)
class _Measure:
    depth: int = 0
    cost: int = 0
    root_fields: int = 0


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: Mapping[str, Any],
        limits: Limits,
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.limits = limits
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.measured: dict[str, _Measure] = {}
        self.in_progress: set[str] = set()  # a cycle is refused by validation; count it 0 here

    def selections(
        self, node: SelectionSetNode | None, parent: GraphQLNamedType | None
    ) -> _Measure:
        depth = cost = fields = 0
        for selection in node.selections if node else ():
            if isinstance(selection, FieldNode):
                measure = self.field(selection, parent)
                fields += 1
            elif isinstance(selection, FragmentSpreadNode):
                measure = self.fragment(selection.name.value)
                fields += measure.root_fields
            else:
                assert isinstance(selection, InlineFragmentNode)
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                measure = self.selections(selection.selection_set, inner)
                fields += measure.root_fields
            depth = max(depth, measure.depth)
            cost = min(cost + measure.cost, COST_CEILING)
        return _Measure(depth=depth, cost=cost, root_fields=fields)

    def fragment(self, name: str) -> _Measure:
        if name in self.measured:
            return self.measured[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.in_progress:
            return _Measure()
        self.in_progress.add(name)
        parent = self.schema.get_type(definition.type_condition.name.value)
        measure = self.measured[name] = self.selections(definition.selection_set, parent)
        self.in_progress.discard(name)
        return measure

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> _Measure:
        name = node.name.value
        definition = _META.get(name) or (
            parent.fields.get(name)
            if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
            else None
        )
        if node.selection_set is None:
            return _Measure(depth=1)
        field_type = definition.type if definition else None
        children = self.selections(
            node.selection_set, get_named_type(field_type) if field_type else None
        )
        depth = 1 + children.depth
        if node.name.value.startswith("__"):
            depth = 0  # the schema's own description nests deeply (types of types); cost bounds it
        size = 1
        if definition is not None and "first" in definition.args:
            size = self.first(node, definition.args["first"].default_value)
        elif _is_list(field_type) and not _is_page_part(parent, node):
            size = self.limits.list_size
        return _Measure(depth=depth, cost=min(size * (1 + children.cost), COST_CEILING))

    def first(self, node: FieldNode, default: object) -> int:
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):  # digits beyond the ceiling's are not read
                digits = value.value.lstrip("-")
                return 0 if value.value.startswith("-") else _page(digits)
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                if isinstance(given, int) and not isinstance(given, bool):
                    return min(max(given, 0), COST_CEILING)
        return default if isinstance(default, int) else self.limits.default_page


def _page(digits: str) -> int:
    return int(digits) if len(digits) < len(str(COST_CEILING)) else COST_CEILING


def _is_list(field_type: object) -> bool:
    if isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    return isinstance(field_type, GraphQLList)


def _is_page_part(parent: GraphQLNamedType | None, node: FieldNode) -> bool:
    """A connection's ``edges`` are its page, already counted by ``first``."""
    return (
        parent is not None
        and parent.name.endswith("Connection")
        and node.name.value in {"edges", "nodes"}
    )


def measure(
    *,
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    limits: Limits,
) -> int:
    """The cost of the document's operations (their sum), or a refusal naming the limit passed."""
    walk = _Walk(schema, document, variables or {}, limits)
    if len(walk.fragments) > limits.max_fragments:
        raise refusal(
            "TOO_MANY_FRAGMENTS",
            f"the document defines more than {limits.max_fragments} fragments",
            maximum=limits.max_fragments,
        )
    aliases = sum(1 for _ in _aliases(document))
    if aliases > limits.max_aliases:
        raise refusal(
            "TOO_MANY_ALIASES",
            f"the document uses more than {limits.max_aliases} aliases",
            maximum=limits.max_aliases,
        )
    cost = 0
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        root = schema.get_root_type(definition.operation)
        operation = walk.selections(definition.selection_set, root)
        if operation.root_fields > limits.max_root_fields:
            raise refusal(
                "TOO_MANY_ROOT_FIELDS",
                f"an operation may select at most {limits.max_root_fields} root fields",
                maximum=limits.max_root_fields,
            )
        if operation.depth > limits.max_depth:
            raise refusal(
                "QUERY_TOO_DEEP",
                f"the operation exceeds maximum operation depth of {limits.max_depth}",
                maximum=limits.max_depth,
            )
        cost = min(cost + operation.cost, COST_CEILING)
    if cost > limits.max_cost:
        at_least = "at least " if cost == COST_CEILING else ""
        raise refusal(
            "QUERY_TOO_COSTLY",
            f"the query would cost {at_least}{cost}, more than the maximum {limits.max_cost}; "
            "ask for smaller pages (`first`) or fewer nested lists",
            cost=cost,
            maximum=limits.max_cost,
        )
    return cost


def _aliases(document: DocumentNode):  # type: ignore[no-untyped-def]
    """Every aliased field node in the document, each once (an explicit stack, no recursion)."""
    stack: list[Any] = list(document.definitions)
    while stack:
        node = stack.pop()
        if isinstance(node, FieldNode) and node.alias is not None:
            yield node
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)
