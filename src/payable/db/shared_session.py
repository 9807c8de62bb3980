"""One request's read session, shared by resolvers that run concurrently.

GraphQL resolves sibling fields (and dataloader batches) at the same time, but one session
and its connection take one operation at a time: an AsyncSession refuses a second while it
opens its connection, and asyncpg one while a cursor is open. So operations take turns here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


class _Rows:
    """A stream's rows, fetched whole (a request's reads are a page, a day or a month)."""

    def __init__(self, rows: Sequence[Any]) -> None:
        self._rows = rows

    async def __aiter__(self) -> AsyncIterator[Any]:
        for row in self._rows:
            yield row


class SharedReadSession:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._turn = asyncio.Lock()

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn:
            return await self._session.execute(*args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn:
            return await self._session.scalar(*args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn:
            return await self._session.get(*args, **kwargs)

    async def fetch(self, statement: str, *arguments: Any) -> list[Any]:
        """Rows of a statement written whole in PostgreSQL's own SQL ($1, $2 … parameters):
        sent as it is, past the ORM's compiler but through the engine, so that statement
        events (tracing, logs, the tests' counts) see it (`graphql/json_nodes`)."""
        async with self._turn:
            connection = await self._session.connection()
            result = await connection.exec_driver_sql(statement, arguments)
            return result.all()

    async def stream(self, *args: Any, **kwargs: Any) -> _Rows:
        async with self._turn:
            # Fetched whole anyway; a server-side cursor would need a transaction, and reads
            # run without one (Database.read_session).
            result = await self._session.execute(*args, **kwargs)
            return _Rows(result.all())

    async def close(self) -> None:
        async with self._turn:
            await self._session.close()
