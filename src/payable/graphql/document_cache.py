"""Parse and validate each distinct document once per process.

Clients send the same few documents over and over; parsing and validating the nested booking
list cost more than answering it from rows. A document's validity depends only on its text
and the schema, so the outcome (the document and its errors) is kept by text.
The cache is bounded: unique texts cannot grow memory without limit.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from graphql import DocumentNode, GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

MAX_DOCUMENTS = 512


class _Entry:
    __slots__ = ("document", "errors")

    def __init__(self, document: DocumentNode) -> None:
        self.document = document
        self.errors: list[GraphQLError] | None = None  # None until validated


_entries: OrderedDict[str, _Entry] = OrderedDict()


class DocumentCache(SchemaExtension):
    """Replaces parsing, validation and the depth limit with a look-up for a known text."""

    def __init__(self) -> None:
        super().__init__()
        self._key: str | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query:
            self._key = context.query
            entry = _entries.get(self._key)
            if entry is not None:
                _entries.move_to_end(self._key)
                context.graphql_document = entry.document
        yield
        if self._key is not None and self._key not in _entries and context.graphql_document:
            _entries[self._key] = _Entry(context.graphql_document)
            while len(_entries) > MAX_DOCUMENTS:
                _entries.popitem(last=False)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        entry = _entries.get(self._key) if self._key is not None else None
        document = context.graphql_document
        if document is not None and (entry is None or entry.document is document):
            if entry is None or entry.errors is None:
                # Depth, aliases and cost are RequestLimits' (linear, fragments measured once).
                errors = validate_document(
                    context.schema._schema, document, context.validation_rules
                )
                if entry is not None:
                    entry.errors = errors
            else:
                errors = entry.errors
            context.pre_execution_errors = list(errors)
        yield
