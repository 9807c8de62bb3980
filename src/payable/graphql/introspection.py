"""Introspection off unless the settings allow it (production's default: off).

A schema is a map of every field to try; in production clients ship their documents and need
none. Only a document that names ``__schema`` or ``__type`` is validated against the rule, so
other requests pay one regular-expression scan. ``__typename`` stays allowed everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import validate
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension

from payable.graphql.limits import refusal

_META_FIELD = re.compile(r"__(schema|type)\b")


class IntrospectionSwitch(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        settings = getattr(context.context, "settings", None)
        if (
            settings is not None
            and not settings.introspection_enabled
            and context.query is not None
            and _META_FIELD.search(context.query)
            and context.graphql_document is not None
            and validate(
                context.schema._schema, context.graphql_document, [NoSchemaIntrospectionCustomRule]
            )
        ):
            raise refusal("INTROSPECTION_DISABLED", "introspection is disabled on this server")
        yield
