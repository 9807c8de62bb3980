"""The legacy graphql-ws protocol (subscriptions-transport-ws) runs any operation.

Its `start` message carries any operation: a query or a mutation is answered with one `data`
message and then `complete`, as graphql-transport-ws answers it. strawberry's handler asks the
schema to `subscribe`, which takes subscriptions only, so a query came back as an "Internal
server error" and was logged as an unhandled error. Here `subscribe` runs the operation the
way graphql-transport-ws does (`Schema.stream`: a subscription streams, anything else yields
its one result).
"""

from __future__ import annotations

from typing import Any

from strawberry.schema import BaseSchema
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler


class _AnyOperation:
    """The schema as the legacy handler uses it: `subscribe` takes every operation type."""

    def __init__(self, schema: BaseSchema) -> None:
        self._schema = schema

    async def subscribe(self, **kwargs: Any) -> Any:
        return await self._schema.stream(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._schema, name)


class LegacyWSHandler(BaseGraphQLWSHandler[Any, Any]):
    """graphql-ws: queries and mutations answered, subscriptions streamed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = _AnyOperation(self.schema)  # type: ignore[assignment]
