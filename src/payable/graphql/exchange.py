"""One HTTP request's idempotency: the first answer under a key is kept and sent again as is.

The mutation runner claims a key or finds its stored answer; this is the HTTP side: it
fingerprints the request, keeps the bytes the client got, and sends stored bytes on a repeat.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from graphql import GraphQLError
from starlette.responses import Response

from payable.db.engine import Database
from payable.db.outage import log_failure
from payable.idempotency import responses
from payable.idempotency.responses import StoredResponse

log = structlog.get_logger("payable.graphql")


@dataclass
class Exchange:
    fingerprint: str | None = None  # of the document, operation name and variables
    failed: bool = False  # top-level errors: an answer not worth keeping (Stripe's 5xx)
    claim: tuple[uuid.UUID, str] | None = None  # (tenant, key) this request spent
    replay: StoredResponse | None = None  # the first answer, to send instead of this one's


class Replayed(GraphQLError):
    """Stops the resolver of a repeat: the view sends the stored first answer instead."""

    def __init__(self) -> None:
        super().__init__("replayed from the idempotency key")


async def finish(*, exchange: Exchange, response: Any, db: Database) -> Any:
    """The response to send: the stored first answer on a repeat; else this one, kept first."""
    if exchange.replay is not None:
        return Response(
            exchange.replay.body,
            status_code=exchange.replay.status,
            media_type="application/json",
        )
    if exchange.claim is None or exchange.fingerprint is None:
        return response
    tenant_id, key = exchange.claim
    keepable = not exchange.failed and response.status_code < 500
    answer = StoredResponse(response.status_code, bytes(response.body)) if keepable else None
    try:
        await responses.keep(
            db=db, tenant_id=tenant_id, key=key, exchange=exchange.fingerprint, answer=answer
        )
    except Exception as error:  # committed already: the client gets its answer, repeats replay
        # by id. The key is the caller's text: not logged.
        log_failure(log, "keeping an idempotent answer failed", error, tenant_id=str(tenant_id))
    return response
