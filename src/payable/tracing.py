"""OpenTelemetry traces, off unless PAYABLE_OTLP_ENDPOINT is set.

A request's span (ASGI) holds one span per GraphQL operation, which holds the SQL statements
(SQLAlchemy) and gateway calls (httpx) it made. No personal data goes into attributes: the
operation span carries only its name and type (never the document or variables), SQL spans
carry statements with placeholders (never parameters), and the caller's address and user
agent are hidden from the instrumentation.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from starlette.applications import Starlette
from strawberry.extensions import SchemaExtension

from payable.db.engine import Database
from payable.settings import Settings

_provider: TracerProvider | None = None
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_HIDDEN = "payable.hidden"  # what the instrumentation must not see, put back for the app
_PERSONAL_HEADERS = (b"user-agent", b"x-forwarded-for", b"forwarded", b"x-real-ip")


def tracer() -> trace.Tracer:
    """The configured tracer; OpenTelemetry's no-op one while tracing is off."""
    return (_provider or trace.get_tracer_provider()).get_tracer("payable")


def setup(
    app: Starlette, db: Database, settings: Settings, exporter: SpanExporter | None = None
) -> None:
    """Trace the app when an OTLP endpoint (or, in tests, an exporter) is given."""
    global _provider
    if exporter is None:
        if not settings.otlp_endpoint:
            return
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=settings.otlp_endpoint.rstrip("/") + "/v1/traces")
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    _provider = TracerProvider(resource=Resource.create({"service.name": "payable"}))
    _provider.add_span_processor(BatchSpanProcessor(exporter))
    # The instrumentation declares SQLAlchemy < 2.1 while 2.1 keeps the same engine events it
    # listens to; tests/test_tracing.py proves the SQL spans arrive.
    SQLAlchemyInstrumentor().instrument(
        engine=db.engine.sync_engine, tracer_provider=_provider, skip_dep_check=True
    )
    HTTPXClientInstrumentor().instrument(tracer_provider=_provider)
    # The last added runs first: hide, trace, put back.
    app.add_middleware(_Restore)
    app.add_middleware(
        OpenTelemetryMiddleware, tracer_provider=_provider, exclude_spans=["receive", "send"]
    )
    app.add_middleware(_Hide)


def flush() -> None:
    if _provider is not None:
        _provider.force_flush()


def stop() -> None:
    """Send what is left and take the instrumentation off (the process is ending)."""
    global _provider
    if _provider is None:
        return
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    HTTPXClientInstrumentor().uninstrument()
    SQLAlchemyInstrumentor().uninstrument()
    _provider.shutdown()
    _provider = None


class _Hide:
    """Take the caller's address and identifying headers out of the scope the tracer reads."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        kept = [(k, v) for k, v in scope.get("headers", []) if k not in _PERSONAL_HEADERS]
        hidden = {"client": scope.get("client"), "headers": scope.get("headers", [])}
        await self.app(scope | {"client": None, "headers": kept, _HIDDEN: hidden}, receive, send)


class _Restore:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        hidden = scope.get(_HIDDEN)
        if hidden is not None:
            scope = {k: v for k, v in scope.items() if k != _HIDDEN} | hidden
        await self.app(scope, receive, send)


class OperationSpan(SchemaExtension):
    """One span per GraphQL operation: its name and type, nothing the caller sent."""

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        context = self.execution_context
        kind = context.operation_type.value
        name = context.operation_name or ""
        name = name if _NAME.fullmatch(name) else "anonymous"
        with tracer().start_as_current_span(
            f"graphql {kind} {name}",
            attributes={"graphql.operation.type": kind, "graphql.operation.name": name},
        ):
            yield
