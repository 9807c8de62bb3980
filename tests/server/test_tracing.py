"""Traces through the real app: a span per GraphQL operation with its SQL and gateway calls
as children, and nothing personal in any attribute."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from payable import tracing
from payable.app import create_app
from payable.core.principal import Role
from payable.core.tokens import issue
from payable.providers.arca import ArcaConfig, ArcaProvider
from payable.settings import Settings
from tests.conftest import JWT_SECRET
from tests.providers.fakes.arca_gateway import CALLBACK_KEY, PASSWORD, USERNAME, FakeArca
from tests.server.test_serve import _free_port
from tests.verticals.clinic.factories import clinic_input

SECRET_REF = "patient-ANI-7731-private"
CREATE = """mutation CreateVisit($input: CreateClinicAppointmentInput!) {
  createClinicAppointment(input: $input) { errors { code } booking { id } } }"""
OPEN_LINK = """mutation OpenLink($input: CreatePaymentRequestInput!) {
  createPaymentRequest(input: $input) { errors { code } paymentRequest { id } } }"""


@pytest.fixture
async def traced(database_url: str) -> AsyncIterator[tuple[Any, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    settings = Settings(env="development", workers_enabled=False, public_url="http://payable.test")
    application = create_app(
        database_url=database_url, jwt_secret=JWT_SECRET, settings=settings, span_exporter=exporter
    )
    async with LifespanManager(application):
        yield application, exporter
    assert tracing.tracer().__class__.__name__ != "Tracer"  # stopped: back to the no-op one


@contextlib.asynccontextmanager
async def _gateway_on_a_port() -> AsyncIterator[str]:
    """The fake ArCa over real HTTP, as a gateway is reached (httpx's own transport)."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(FakeArca().app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://localhost:{port}"
    finally:
        server.should_exit = True
        await task


def _descends(span: ReadableSpan, ancestor: ReadableSpan, by_id: dict[int, ReadableSpan]) -> bool:
    parent = span.parent
    while parent is not None:
        if parent.span_id == ancestor.context.span_id:
            return True
        found = by_id.get(parent.span_id)
        parent = found.parent if found else None
    return False


async def test_an_operation_span_holds_its_sql_and_gateway_calls(
    traced: tuple[Any, InMemorySpanExporter],
) -> None:
    application, exporter = traced
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    token = issue(
        secret=JWT_SECRET, tenant=tenant, role=Role.OPERATOR, sub="op", ttl=timedelta(hours=1)
    )
    async with (
        _gateway_on_a_port() as gateway_url,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://payable.test"
        ) as http,
    ):
        config = ArcaConfig(f"{gateway_url}/payment/rest", USERNAME, PASSWORD, CALLBACK_KEY, 5)
        application.state.providers.__dict__["arca"] = ArcaProvider(config)
        application.state.settings.tenant_providers[tenant] = "arca"
        headers = {"Authorization": f"Bearer {token}", "User-Agent": "Mozilla/5.0 (Ani's phone)"}
        created = await http.post(
            "/graphql",
            json={"query": CREATE, "variables": {"input": clinic_input(customerRef=SECRET_REF)}},
            headers=headers,
        )
        booking_id = created.json()["data"]["createClinicAppointment"]["booking"]["id"]
        opened = await http.post(
            "/graphql",
            json={"query": OPEN_LINK, "variables": {"input": {"bookingId": booking_id}}},
            headers=headers,
        )
        assert opened.json()["data"]["createPaymentRequest"]["errors"] == []
    tracing.flush()
    spans = exporter.get_finished_spans()
    by_id = {s.context.span_id: s for s in spans}

    operation = next(s for s in spans if s.name == "graphql mutation OpenLink")
    assert dict(operation.attributes or {}) == {
        "graphql.operation.type": "mutation",
        "graphql.operation.name": "OpenLink",
    }
    request = by_id[operation.parent.span_id]  # type: ignore[union-attr]
    assert request.name == "POST /graphql"
    sql = [s for s in spans if s.attributes and "db.statement" in s.attributes]
    assert [s for s in sql if _descends(s, operation, by_id)], "no SQL span under the operation"
    gateway = [s for s in spans if _descends(s, operation, by_id) and s.name == "POST"]
    assert [dict(s.attributes or {}).get("http.url") for s in gateway] == [
        f"{gateway_url}/payment/rest/register.do"
    ]
    # nothing the caller sent, nor any secret, in any attribute of any span
    everything = repr([dict(s.attributes or {}) for s in spans])
    for private in (SECRET_REF, token, PASSWORD, USERNAME, "Ani's phone"):
        assert private not in everything
    # nor the caller's address (a TCP database's own host on SQL spans is not the caller's)
    not_sql = repr(
        [dict(s.attributes or {}) for s in spans if "db.system" not in (s.attributes or {})]
    )
    assert "127.0.0.1" not in not_sql
    assert "graphql mutation CreateVisit" in {s.name for s in spans}
