"""What every resolver can reach: the caller, the database and the request's dataloaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncSession

from payable.core.principal import Principal
from payable.db.engine import Database
from payable.db.shared_session import SharedReadSession
from payable.graphql.exchange import Exchange
from payable.graphql.loaders import Loaders
from payable.providers.registry import Providers
from payable.settings import Settings
from payable.timeline import visibility as seen
from payable.timeline.hub import EventHub
from payable.web.rate_limit import Limiter


@dataclass
class Context:
    db: Database
    providers: Providers
    settings: Settings
    hub: EventHub
    limiter: Limiter
    principal: Principal | None
    auth_error: str | None = None
    connection_params: dict[str, Any] | None = None  # a websocket's connection_init payload
    request: Any = None
    response: Any = None
    exchange: Exchange | None = None  # HTTP requests only: what idempotency keeps and replays
    subscriptions: int = 0  # open on this websocket (a socket keeps one context)
    # Answers are written with orjson, so a value may be JSON text already (`json_nodes`).
    writes_orjson: bool = False
    _session: SharedReadSession | None = field(default=None, repr=False)
    _loaders: Loaders | None = field(default=None, repr=False)

    @property
    def read_session(self) -> AsyncSession:
        """One session for the request's reads, closed when the operation ends."""
        if self._session is None:
            self._session = SharedReadSession(self.db.read_session())
        return self._session  # type: ignore[return-value]  # the read half of AsyncSession

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            caller = self.caller
            self._loaders = Loaders(
                self.read_session, caller.tenant_id, self.visibility.hidden_types
            )
        return self._loaders

    @property
    def visibility(self) -> seen.Visibility:
        """What the caller may see of timelines: one rule for every way events go out."""
        return seen.of(self.caller)

    @property
    def caller(self) -> Principal:
        """The authenticated caller; anonymous calls get an UNAUTHENTICATED error."""
        if self.principal is None:
            raise GraphQLError(
                self.auth_error or "authentication required: send 'Authorization: Bearer <token>'",
                extensions={"code": "UNAUTHENTICATED"},
            )
        return self.principal

    async def close(self) -> None:
        """Give the read session back and forget what the loaders cached.

        A websocket keeps one context for its whole life: subscriptions call this between
        batches, so an idle subscriber holds no connection and never shows stale bookings.
        """
        self._loaders = None
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


def ctx(info: strawberry.Info) -> Context:
    return info.context
