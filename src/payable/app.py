"""The ASGI application: GraphQL (with GraphiQL) at /graphql, the widget, health, lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
import strawberry
import structlog
from opentelemetry.sdk.trace.export import SpanExporter
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET, UnsetType

from payable import background, heap, production, tracing
from payable.bookings import kinds as booking_kinds
from payable.core.principal import Principal
from payable.core.tokens import InvalidToken, verify
from payable.db.engine import Database, asyncpg_dsn
from payable.db.outage import RETRY_AFTER_SECONDS
from payable.graphql import exchange as idempotent_http
from payable.graphql.context import Context
from payable.graphql.legacy_ws import LegacyWSHandler
from payable.graphql.live_lane import LiveTransportWSHandler
from payable.graphql.schema import schema
from payable.idempotency import service as idempotency
from payable.idempotency import sweeper as idempotency_sweeper
from payable.logging import configure as configure_logging
from payable.metrics import endpoint as metrics
from payable.providers.registry import Providers
from payable.sandbox import pages as sandbox_pages
from payable.sandbox import plug as sandbox_plug
from payable.settings import Settings, get_settings
from payable.tenants import service as tenants
from payable.timeline.hub import EventHub
from payable.verticals import registry
from payable.web import exports, graphiql, payment_forms, returns, webhooks, widget
from payable.web.access_log import AccessLog
from payable.web.body_limit import BodyLimit
from payable.web.cors import cors
from payable.web.outage import OutageAsUnavailable
from payable.web.rate_limit import Limiter, RateLimit
from payable.web.security_headers import SecurityHeaders

log = structlog.get_logger("payable.app")


class PayableGraphQL(GraphQL):
    graphql_transport_ws_handler_class = LiveTransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(
        self,
        graphql_schema: strawberry.Schema,
        db: Database,
        secret: str,
        providers: Providers,
        settings: Settings,
        hub: EventHub,
        limiter: Limiter,
    ) -> None:
        super().__init__(
            graphql_schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            keep_alive=True,
            keep_alive_interval=15,
            multipart_uploads_enabled=True,  # importProviderReport takes the report as a file
        )
        self.db = db
        self.secret = secret
        self.providers = providers
        self.settings = settings
        self.hub = hub
        self.limiter = limiter

    async def render_graphql_ide(self, request: Any) -> Any:
        return graphiql.page(graphiql.demo_headers(self.settings, self.secret))

    async def get_context(self, request: Any, response: Any) -> Context:
        principal, error = await self.authenticate(request.headers.get("authorization"))
        exchange = None
        if request.scope["type"] == "http":
            exchange = request.state.exchange = idempotent_http.Exchange()
        return Context(
            db=self.db,
            providers=self.providers,
            settings=self.settings,
            hub=self.hub,
            limiter=self.limiter,
            principal=principal,
            auth_error=error,
            request=request,
            response=response,
            exchange=exchange,
            writes_orjson=True,  # create_response and encode_json below
        )

    def encode_json(self, data: object) -> str:
        """Websocket messages are text frames; orjson is several times faster than json."""
        return orjson.dumps(data).decode()

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        """HTTP answers go out as orjson's bytes as they are (no str round trip)."""
        response = Response(
            orjson.dumps(response_data),
            status_code=sub_response.status_code or 200,
            media_type="application/json",
        )
        response.headers.raw.extend(sub_response.headers.raw)
        response.background = sub_response.background
        return response

    async def execute_single(  # the signature strawberry calls (by keyword)
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: Any,
        request_data: Any,
    ) -> Any:
        """Fingerprint the request before it runs; note whether its answer is worth keeping."""
        exchange = context.exchange
        if exchange is not None:
            exchange.fingerprint = idempotency.fingerprint(
                request_data.query, request_data.operation_name, request_data.variables
            )
        result = await super().execute_single(
            request=request,
            request_adapter=request_adapter,
            sub_response=sub_response,
            context=context,
            root_value=root_value,
            request_data=request_data,
        )
        if exchange is not None:
            exchange.failed = bool(result.errors)
        if result.errors:  # for the request's log line
            codes = {str((e.extensions or {}).get("code", "ERROR")) for e in result.errors}
            request.scope.setdefault("state", {})["codes"] = sorted(codes)
            if "SERVICE_UNAVAILABLE" in codes:
                sub_response.status_code = 503
                sub_response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return result

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Send a repeat the first answer's bytes; keep a first answer before sending it."""
        response = await super().run(request, context, root_value)
        exchange = getattr(request.state, "exchange", None)
        if exchange is None:
            return response
        return await idempotent_http.finish(exchange=exchange, response=response, db=self.db)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Subscriptions authenticate in connection_init: {"Authorization": "Bearer …"}."""
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        if header is None and context.principal is not None:
            return UNSET  # already authenticated by the upgrade request's header
        try:
            principal, error = await self.authenticate(header if isinstance(header, str) else None)
        except tenants.TenantLimitReached as reached:
            principal, error = None, f"too many new tenants; retry in {reached.retry_after} s"
        if principal is None:
            reason = error or 'send {"Authorization": "Bearer <token>"} in connection_init'
            await context.request.close(code=4403, reason=reason[:120])
            raise ConnectionRejectionError({"message": reason})
        context.principal, context.auth_error = principal, None
        return UNSET

    async def authenticate(self, header: str | None) -> tuple[Principal | None, str | None]:
        """The caller behind an ``Authorization: Bearer`` header; provisions new tenants."""
        if not header:
            return None, None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None, "the Authorization header must be 'Bearer <token>'"
        try:
            sub, tenant, role = verify(token.strip(), secret=self.secret)
        except InvalidToken as error:
            return None, f"invalid token: {error}"
        async with self.db.session() as session:
            tenant_id = await tenants.ensure(
                session=session, slug=tenant, admit_new=self.limiter.admit_new_tenant
            )
        return Principal(sub=sub, tenant_slug=tenant, role=role, tenant_id=tenant_id), None


def create_app(
    *,
    database_url: str,
    jwt_secret: str,
    settings: Settings | None = None,
    span_exporter: SpanExporter | None = None,
    graphql_schema: strawberry.Schema | None = None,
) -> Starlette:
    """``graphql_schema``: one built after registering more verticals (default: the installed)."""
    settings = settings or get_settings()
    production.check(settings, jwt_secret)  # before anything opens: never serve unsafely
    sandbox_plug.plug_in()
    db = Database(database_url, pool_size=settings.db_pool_size)
    providers = Providers(db, settings)
    hub = EventHub(
        asyncpg_dsn(db.url),
        db,
        poll_seconds=settings.subscription_poll_seconds,
        batch=settings.subscription_batch,
    )
    limiter = Limiter(settings)
    graphql = PayableGraphQL(
        graphql_schema or schema, db, jwt_secret, providers, settings, hub, limiter
    )

    async def healthz(_: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> JSONResponse:
        try:
            async with db.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:  # any failure means "not ready"; say which kind, not the URL
            return JSONResponse(
                {"status": "unavailable", "error": type(error).__name__}, status_code=503
            )
        return JSONResponse({"status": "ready"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with db.session() as session, session.begin():
            await booking_kinds.sync(session, registry.kinds())  # before any booking is made
        hub.start()
        running = (
            [
                asyncio.create_task(background.run(db, providers, settings)),
                asyncio.create_task(
                    idempotency_sweeper.run(db, interval_seconds=settings.worker_interval_seconds)
                ),
            ]
            if settings.workers_enabled
            else []
        )
        running.append(asyncio.create_task(metrics.keep_sampling(db, hub)))
        log.info("started", workers=settings.workers_enabled, environment=settings.environment)
        yield
        for task in running:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await hub.stop()
        await providers.close()
        await db.dispose()
        tracing.stop()
        log.info("stopped")

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            metrics.route(db, hub, settings),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            *([graphiql.assets()] if settings.graphiql_enabled else []),
            *widget.routes,
            *webhooks.routes,
            *exports.routes,
            *returns.routes,
            *payment_forms.routes,
            # The sandbox's hosted page exists in development and demo mode only.
            *(sandbox_pages.routes if settings.sandbox_enabled else []),
        ],
        lifespan=lifespan,
        middleware=[
            Middleware(AccessLog),
            Middleware(SecurityHeaders, https=settings.public_url.startswith("https://")),
            *cors(settings),  # before the rate limit: a refusal carries CORS headers too
            Middleware(OutageAsUnavailable),
            Middleware(RateLimit, limiter=limiter),
            Middleware(
                BodyLimit,
                max_bytes=settings.max_body_bytes,
                max_webhook_bytes=settings.max_webhook_bytes,
            ),
        ],
    )
    tracing.setup(app, db, settings, span_exporter)
    app.state.db = db
    app.state.providers = providers
    app.state.settings = settings
    app.state.hub = hub
    app.state.graphql = graphql
    return app


def from_environment() -> Starlette:
    """The app of one worker process of ``payable serve --workers N``."""
    settings = get_settings()
    if not settings.database_url or not settings.jwt_secret:
        raise RuntimeError("DATABASE_URL and PAYABLE_JWT_SECRET must be set")
    configure_logging(settings.log_level)
    application = create_app(
        database_url=settings.database_url, jwt_secret=settings.jwt_secret, settings=settings
    )
    heap.settle()
    return application
