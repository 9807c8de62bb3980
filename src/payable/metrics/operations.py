"""Per-operation metrics: duration by name and type, top-level errors by code, query cost."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from payable.metrics import families

MASKED = "Internal server error"


class OperationMetrics(SchemaExtension):
    """Listed before the masking extension, so it sees errors as the client does."""

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        started = time.perf_counter()
        yield
        context = self.execution_context
        try:
            kind = context.operation_type.value
        except Exception:  # an unparsable or ambiguous document has no operation type
            kind = "unknown"
        name = families.operation_label(context.operation_name)
        families.REQUEST_DURATION.labels(name, kind).observe(time.perf_counter() - started)
        document = context.graphql_document
        if document is not None:
            families.QUERY_COST.labels(kind).observe(cost(document, context.operation_name))
        result = context.result
        for error in (result.errors if result is not None else None) or []:
            families.ERRORS.labels(code_of(error), "top").inc()


def code_of(error: GraphQLError) -> str:
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    if error.message == MASKED:
        return "INTERNAL"
    return "GRAPHQL_INVALID"  # syntax and validation errors carry no code of their own


def cost(document: DocumentNode, operation_name: str | None) -> int:
    """Fields the operation selects, each fragment counted wherever it is spread."""
    fragments: dict[str, FragmentDefinitionNode] = {}
    operation: OperationDefinitionNode | None = None
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments[definition.name.value] = definition
        elif isinstance(definition, OperationDefinitionNode) and (
            operation is None or (definition.name and definition.name.value == operation_name)
        ):
            operation = definition
    if operation is None:
        return 0
    return _count(operation.selection_set, fragments, frozenset())


def _count(
    selections: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str],
) -> int:
    total = 0
    for selection in selections.selections if selections else ():
        if isinstance(selection, FieldNode):
            total += 1 + _count(selection.selection_set, fragments, seen)
        elif isinstance(selection, InlineFragmentNode):
            total += _count(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:  # a cycle is invalid; never loop on it
                total += _count(fragments[name].selection_set, fragments, seen | {name})
    return total
