"""GET /metrics in Prometheus' text format; in production only with PAYABLE_METRICS_TOKEN."""

from __future__ import annotations

import asyncio
import hmac
import os
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from payable.db.engine import Database
from payable.metrics import business, families, gc_time
from payable.settings import Settings
from payable.timeline.hub import EventHub


class _Process(Collector):
    """This process's own families (the default registry), when there is one process."""

    def collect(self) -> Iterator[Metric]:
        return REGISTRY.collect()


def sample(db: Database, hub: EventHub) -> None:
    """Set this process's gauges from what it holds now."""
    families.POOL_IN_USE.set(db.engine.pool.checkedout())  # type: ignore[attr-defined]
    families.SUBSCRIPTIONS.set(hub.subscribers)
    families.QUEUED_EVENTS.set(hub.queued)
    gc_time.flush()


def refusal(request: Request, settings: Settings) -> str | None:
    """Why this caller may not read the metrics; None if they may."""
    if settings.environment != "production":
        return None
    token = settings.metrics_token
    if token is None:
        return "metrics are off in production until PAYABLE_METRICS_TOKEN is set"
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        return "send Authorization: Bearer <PAYABLE_METRICS_TOKEN>"
    return None


def route(db: Database, hub: EventHub, settings: Settings) -> Route:
    gc_time.install()

    async def metrics(request: Request) -> Response:
        reason = refusal(request, settings)
        if reason is not None:
            return PlainTextResponse(reason + "\n", status_code=403)
        sample(db, hub)
        registry = CollectorRegistry(auto_describe=False)
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            MultiProcessCollector(registry)
        else:
            registry.register(_Process())
        registry.register(business.SnapshotCollector(await business.read(db)))
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", metrics)


async def keep_sampling(db: Database, hub: EventHub, *, every_seconds: float = 5.0) -> None:
    """With several processes a scrape reaches one: each keeps its own gauges fresh."""
    while True:
        sample(db, hub)
        await asyncio.sleep(every_seconds)
