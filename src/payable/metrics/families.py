"""The metric families each server process records as it works.

With ``--workers N`` every process writes to PROMETHEUS_MULTIPROC_DIR (set by ``payable
serve`` before the workers start) and a scrape of any one of them adds all processes up.
Gauges say how they add up: ``livesum`` counts only processes still alive.
"""

from __future__ import annotations

import re

from prometheus_client import Counter, Gauge, Histogram

REQUEST_DURATION = Histogram(
    "payable_graphql_request_duration_seconds",
    "Time to answer one GraphQL operation, by operation name and type.",
    ["operation", "type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ERRORS = Counter(
    "payable_graphql_errors_total",
    "Errors answered, by code: refusals in payloads (kind=payload) and top-level (kind=top).",
    ["code", "kind"],
)
QUERY_COST = Histogram(
    "payable_graphql_query_cost",
    "Fields an operation asks for (fragments counted where used): what one request costs.",
    ["type"],
    buckets=(5, 10, 25, 50, 100, 250, 500, 1000, 2500),
)
POOL_IN_USE = Gauge(
    "payable_db_pool_in_use",
    "Database connections checked out of the pool now.",
    multiprocess_mode="livesum",
)
JSON_NODE_PAGES = Counter(
    "payable_json_node_pages",
    "Pages of bookings whose nodes PostgreSQL rendered as JSON (rendered), or that the"
    " resolvers answered because the selection asks for something it does not render"
    " (fallback).",
    ["outcome"],
)
POOL_WAITS = Counter(
    "payable_db_pool_waits_total",
    "Checkouts that found every pooled connection taken and had to wait.",
)
POOL_WAIT_SECONDS = Histogram(
    "payable_db_pool_wait_seconds",
    "Time spent getting a connection from the pool.",
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5),
)
WORKER_ROUND = Histogram(
    "payable_worker_round_duration_seconds",
    "Time one round of a background worker took, by worker.",
    ["worker"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60),
)
SUBSCRIPTIONS = Gauge(
    "payable_subscriptions_live",
    "Live GraphQL subscriptions.",
    multiprocess_mode="livesum",
)
QUEUED_EVENTS = Gauge(
    "payable_subscription_events_queued",
    "Events read but not yet sent to their subscribers.",
    multiprocess_mode="livesum",
)
GC_SECONDS = Counter(
    "payable_gc_collections_seconds",
    "Time spent in the cyclic garbage collector, by generation collected.",
    ["generation"],
)

# Operation names come from clients: keep only well-formed ones, and only so many per process,
# so a client inventing names cannot blow up the series count.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_MAX_NAMES = 200
_seen: set[str] = set()


def operation_label(name: str | None) -> str:
    if not name or not _NAME.fullmatch(name):
        return "anonymous"
    if name not in _seen:
        if len(_seen) >= _MAX_NAMES:
            return "other"
        _seen.add(name)
    return name
