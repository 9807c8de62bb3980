"""Schema extensions: request clean-up and error masking."""

from __future__ import annotations

from collections.abc import AsyncIterator

import structlog
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension

from payable.db.outage import is_outage
from payable.web import outage

log = structlog.get_logger("payable.graphql")


class CloseReadSession(SchemaExtension):
    """Give the request's read session back to the pool when the operation ends."""

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        try:
            yield
        finally:
            await self.execution_context.context.close()


def _is_bug(error: GraphQLError) -> bool:
    """Errors we raise on purpose (auth, limits, validation) are shown; anything else is a bug."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    if is_outage(original):  # shown as SERVICE_UNAVAILABLE; the view answers 503
        error.message = outage.MESSAGE
        error.extensions = outage.graphql_error()["extensions"]  # type: ignore[assignment]
        return False
    log.error(
        "unhandled error", error_type=type(original).__name__, path=error.path, exc_info=original
    )
    return True


def mask_bugs() -> MaskErrors:
    return MaskErrors(should_mask_error=_is_bug, error_message="Internal server error")
