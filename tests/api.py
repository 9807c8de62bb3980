"""A small GraphQL client for tests: tokens per role, statement counting.

Factories live with their domain (tests/bookings/factories.py,
tests/verticals/<name>/factories.py, tests/payments/factories.py, ...)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import event

from payable.core.principal import Role
from payable.core.tokens import issue


@dataclass
class Api:
    client: httpx.AsyncClient
    tenant: str
    secret: str
    app: Any
    role: Role = Role.OPERATOR
    sub: str = "tester"
    _token: str | None = field(default=None, repr=False)

    def as_role(self, role: Role | str, sub: str | None = None) -> Api:
        return replace(self, role=Role(role), sub=sub or f"{Role(role).value}-user", _token=None)

    def for_tenant(self, tenant: str) -> Api:
        return replace(self, tenant=tenant, _token=None)

    @property
    def token(self) -> str:
        if self._token is None:
            self._token = issue(
                secret=self.secret,
                tenant=self.tenant,
                role=self.role,
                sub=self.sub,
                ttl=timedelta(hours=1),
            )
        return self._token

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The raw GraphQL response body."""
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of a response that must have no top-level errors."""
        body = await self.post(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    @contextlib.contextmanager
    def count_statements(self) -> Iterator[list[str]]:
        """Every SQL statement the app sends while the block runs."""
        statements: list[str] = []
        engine = self.app.state.db.engine.sync_engine

        def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)
