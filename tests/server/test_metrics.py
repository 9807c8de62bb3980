"""/metrics after a small day through the real app: each listed family, with the right values.

The database is shared by the whole session and the business gauges are not per tenant, so
every check compares a scrape before the day with one after it.
"""

from __future__ import annotations

import asyncio
import gc
import time
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from gql import gql
from prometheus_client.parser import text_string_to_metric_families

from payable import background
from payable.core.principal import Role
from payable.providers.base import OrderState
from payable.sandbox.callbacks import callback_body
from payable.sandbox.signing import signed_headers
from payable.webhooks import planner
from tests.api import Api
from tests.conftest import SANDBOX_SECRET
from tests.money.factories import (
    APPROVE_REFUND,
    REQUEST_REFUND,
    booking,
    clinic,
    link_for,
    local,
    pay,
)
from tests.timeline.live import EVENTS, serve
from tests.timeline.live import client as live_client
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.webhooks.factories import endpoint

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

NAMED = """query DayCheck($id: ID!) { node(id: $id) { ... on PayableBooking {
  id amountPaid { amount } } } }"""


async def scrape(client: httpx.AsyncClient, **headers: str) -> Samples:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_metrics_after_a_day(api: Api, client: httpx.AsyncClient) -> None:
    # given: a scrape before the day
    before = await scrape(client)

    # when: two appointments are paid through the sandbox, one is partly refunded ...
    first, second = await clinic(api, "15000.00"), await clinic(api, "20000.00")
    link = await link_for(api, first)
    await pay(client, link)
    await pay(client, await link_for(api, second))
    refund_id = (
        await api.data(
            REQUEST_REFUND,
            {"input": {"bookingId": first, "amount": "5000.00", "reason": "customer asked"}},
        )
    )["requestRefund"]["refund"]["id"]
    accountant = api.as_role(Role.ACCOUNTANT, sub="anna@accounts")
    approved = (await accountant.data(APPROVE_REFUND, {"id": refund_id}))["approveRefund"]
    assert approved["refund"]["status"] == "SUCCEEDED"
    # ... a second request for a refund stays REQUESTED
    await api.data(
        REQUEST_REFUND,
        {"input": {"bookingId": second, "amount": "1000.00", "reason": "customer asked"}},
    )
    # ... the gateway repeats one notification, and someone posts an unsigned one
    body = callback_body(link["providerOrderId"], OrderState.PAID)
    for _ in range(2):
        answer = await client.post(
            "/webhooks/sandbox", content=body, headers=signed_headers(SANDBOX_SECRET, body)
        )
        assert answer.status_code == 200
    forged = await client.post("/webhooks/sandbox", content=body)
    assert forged.status_code == 401
    # ... an integrator may not create bookings (a payload refusal), a bad query and no token
    # (top-level errors), and a named query
    refused = await api.as_role(Role.INTEGRATOR).data(
        CREATE_CLINIC, {"input": clinic_input(price={"amount": "100", "currency": "AMD"})}
    )
    assert refused["createClinicAppointment"]["errors"][0]["code"] == "FORBIDDEN"
    assert "errors" in await api.post("{ noSuchField }")
    unauthenticated = await client.post("/graphql", json={"query": "{ tasks { id } }"})
    assert unauthenticated.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    read = await client.post(
        "/graphql",
        json={"query": NAMED, "variables": {"id": first}, "operationName": "DayCheck"},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert read.json()["data"]["node"]["amountPaid"]["amount"] == "15000.00"
    assert (await booking(api, second))["amountPaid"]["amount"] == "20000.00"

    after = await scrape(client)

    # then: money by provider and currency, refunds by status
    sandbox_amd = {"provider": "sandbox", "currency": "AMD"}
    assert delta(before, after, "payable_payments_verified", **sandbox_amd) == 2
    # a float counter: after many payments its sum carries rounding far below a cent
    verified = delta(before, after, "payable_payments_verified_amount", **sandbox_amd)
    assert verified == pytest.approx(35000, abs=0.001)
    assert delta(before, after, "payable_payments_held", **sandbox_amd) == 0
    assert delta(before, after, "payable_refunds", status="SUCCEEDED") == 1
    assert delta(before, after, "payable_refunds", status="REQUESTED") == 1
    # the gateway's notifications: two deliveries of one event (one of them a duplicate),
    # one forged; any the sandbox page sent itself come on top of the first two
    sandbox = {"provider": "sandbox"}
    assert delta(before, after, "payable_callbacks_duplicate_total", **sandbox) == 1
    assert delta(before, after, "payable_callbacks_rejected_total", **sandbox) == 1
    assert delta(before, after, "payable_callbacks_received_total", **sandbox) >= 2
    # errors by code, of both kinds
    assert (
        delta(before, after, "payable_graphql_errors_total", code="FORBIDDEN", kind="payload") == 1
    )
    assert (
        delta(before, after, "payable_graphql_errors_total", code="UNAUTHENTICATED", kind="top")
        == 1
    )
    assert (
        delta(before, after, "payable_graphql_errors_total", code="GRAPHQL_INVALID", kind="top")
        == 1
    )
    # request durations per operation name and type; the query's cost (fields it asked for)
    named = {"operation": "DayCheck", "type": "query"}
    assert delta(before, after, "payable_graphql_request_duration_seconds_count", **named) == 1
    assert delta(before, after, "payable_graphql_request_duration_seconds_sum", **named) > 0
    anonymous = {"operation": "anonymous", "type": "mutation"}
    assert (
        delta(before, after, "payable_graphql_request_duration_seconds_count", **anonymous) == 8
    )  # 2 bookings, 2 links, 2 refund requests, 1 approval, 1 refused
    assert delta(before, after, "payable_graphql_query_cost_bucket", type="query", le="5.0") >= 1
    # the pool and the workers' queues
    assert value(after, "payable_db_pool_in_use") == 0  # the scrape's own read is given back
    assert delta(before, after, "payable_db_pool_wait_seconds_count") > 0
    assert ("payable_db_pool_waits_total", ()) in after
    assert value(after, "payable_worker_lag_seconds", queue="pending_link") >= 0
    assert ("payable_worker_lag_seconds", (("queue", "received_callback"),)) in after
    assert value(after, "payable_subscriptions_live") == 0
    assert value(after, "payable_subscription_events_queued") == 0


async def test_pending_link_lag_is_the_oldest_pending_link_age(
    api: Api, client: httpx.AsyncClient, db: object
) -> None:
    booking_id = await clinic(api)
    link = await link_for(api, booking_id)
    await db.execute(  # type: ignore[attr-defined]
        "UPDATE payment_requests SET created_at = now() - interval '10 days'"
        " WHERE id = (SELECT id FROM payment_requests WHERE provider_order_id = $1)",
        link["providerOrderId"],
    )
    lag = value(await scrape(client), "payable_worker_lag_seconds", queue="pending_link")
    assert 10 * 86400 <= lag < 10 * 86400 + 600


async def test_collector_time_counts_each_collection(client: httpx.AsyncClient) -> None:
    """A bench divides this counter's growth by the CPU a load took: the collector's share."""
    before = await scrape(client)
    # given: enough cyclic garbage that a full collection takes measurable time
    garbage: list[object] = []
    for _ in range(50_000):
        cycle: list[object] = []
        cycle.append(cycle)
        garbage.append(cycle)
    del garbage, cycle

    started = time.perf_counter()
    gc.collect()
    took = time.perf_counter() - started

    after = await scrape(client)
    spent = delta(before, after, "payable_gc_collections_seconds_total", generation="2")
    assert spent >= took / 2  # the callback times the collection itself, not its call


@pytest.mark.parametrize(
    ("token", "sent", "status"),
    [
        (None, None, 403),
        ("s3cret-metrics", None, 403),
        ("s3cret-metrics", "wrong", 403),
        ("s3cret-metrics", "s3cret-metrics", 200),
    ],
)
async def test_production_metrics_need_the_token(
    database_url: str, token: str | None, sent: str | None, status: int
) -> None:
    from asgi_lifespan import LifespanManager

    from payable.app import create_app
    from payable.settings import Settings
    from tests.conftest import JWT_SECRET

    settings = Settings(
        env="production",
        default_provider="arca",
        metrics_token=token,
        public_url="https://pay.example.am",
        workers_enabled=False,
        arca_username="u",
        arca_password="p",
    )
    application = create_app(database_url=database_url, jwt_secret=JWT_SECRET, settings=settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as http:
            headers = {"Authorization": f"Bearer {sent}"} if sent else {}
            response = await http.get("/metrics", headers=headers)
    assert response.status_code == status
    if status == 200:
        assert "payable_payments_verified" in response.text
    else:
        assert "PAYABLE_METRICS_TOKEN" in response.text


def test_metrics_add_up_over_several_worker_processes(database_url: str) -> None:
    """`payable serve --workers 2`: whichever process answers the scrape counts all of them."""
    import os
    import signal

    from payable.core.tokens import issue
    from tests.conftest import JWT_SECRET
    from tests.server.test_serve import _start

    env = os.environ | {
        "DATABASE_URL": database_url,
        "PAYABLE_JWT_SECRET": JWT_SECRET,
        "PAYABLE_ENV": "development",
        "PAYABLE_WORKERS_ENABLED": "false",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    base, process = _start(env, "--workers", "2")
    token = issue(
        secret=JWT_SECRET,
        tenant="multi",
        role=Role.INTEGRATOR,
        sub="probe",
        ttl=timedelta(minutes=5),
    )
    try:
        for _ in range(12):  # new connections, so the kernel spreads them over both processes
            with httpx.Client() as http:
                response = http.post(
                    f"{base}/graphql",
                    json={"query": "query Probe { bookings { totalCount } }"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert response.json()["data"] == {"bookings": {"totalCount": 0}}
        counts = set()
        for _ in range(6):
            with httpx.Client() as http:
                text = http.get(f"{base}/metrics").text
            samples = {
                (s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(text)
                for s in family.samples
            }
            counts.add(
                value(
                    samples,
                    "payable_graphql_request_duration_seconds_count",
                    operation="Probe",
                    type="query",
                )
            )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert counts == {12.0}  # every scrape, whichever process it reached, saw all twelve


WORKER_JOBS = (
    "expiry_sweep",
    "withdrawn_cancel",
    "refund_settle",
    "reminders",
    "pending_poll",
    "callback_resume",
    "completion",
    "webhook_delivery",
)


async def test_a_worker_round_times_each_job(client: httpx.AsyncClient, app: Any) -> None:
    before = await scrape(client)
    state = app.state
    await background.one_round(state.db, state.providers, state.settings)
    after = await scrape(client)
    for job in WORKER_JOBS:
        name = "payable_worker_round_duration_seconds"
        assert delta(before, after, f"{name}_count", worker=job) == 1, job
        assert delta(before, after, f"{name}_sum", worker=job) > 0, job


async def test_received_callback_lag_is_the_oldest_unprocessed_callback_age(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    link = await link_for(api, await clinic(api))
    row_id = uuid.uuid4()
    await db.execute(
        "INSERT INTO provider_callbacks (id, provider, event_id, provider_order_id,"
        " signature_valid, status, body, received_at)"
        " VALUES ($1, 'sandbox', $2, $3, true, 'RECEIVED', '\\x7b7d', now() - interval '20 days')",
        row_id,
        f"evt-{row_id}",
        link["providerOrderId"],
    )
    try:
        lag = value(await scrape(client), "payable_worker_lag_seconds", queue="received_callback")
    finally:  # later worker rounds must not take it up
        await db.execute("UPDATE provider_callbacks SET status = 'PROCESSED' WHERE id = $1", row_id)
    assert 20 * 86400 <= lag < 20 * 86400 + 600
    after = value(await scrape(client), "payable_worker_lag_seconds", queue="received_callback")
    assert after < 20 * 86400


async def test_undelivered_webhook_lag_is_the_oldest_pending_delivery_age(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, app: Any
) -> None:
    hook, _ = await endpoint(api, "http://127.0.0.1:9/never-answers")
    await clinic(api)  # an event the endpoint is owed
    await planner.plan(app.state.db)
    endpoint_id = local(hook["id"])
    moved = await db.execute(
        "UPDATE webhook_deliveries SET created_at = now() - interval '30 days'"
        " WHERE endpoint_id = $1 AND status = 'PENDING'",
        endpoint_id,
    )
    try:
        assert moved == "UPDATE 1"
        lag = value(await scrape(client), "payable_worker_lag_seconds", queue="undelivered_webhook")
    finally:  # later worker rounds must not try it
        await db.execute(
            "UPDATE webhook_deliveries SET status = 'FAILED' WHERE endpoint_id = $1", endpoint_id
        )
    assert 30 * 86400 <= lag < 30 * 86400 + 600


async def test_live_subscriptions_are_counted_while_open(
    api: Api, client: httpx.AsyncClient, app: Any
) -> None:
    before = value(await scrape(client), "payable_subscriptions_live")
    async with serve(app) as url, live_client(url, api.token) as session:
        listening = asyncio.create_task(anext(session.subscribe(gql(EVENTS))))
        async with asyncio.timeout(10):
            while app.state.hub.subscribers < before + 1:
                await asyncio.sleep(0.01)
        during = value(await scrape(client), "payable_subscriptions_live")
        listening.cancel()
    async with asyncio.timeout(10):
        while app.state.hub.subscribers > before:
            await asyncio.sleep(0.01)
    assert during == before + 1
    assert value(await scrape(client), "payable_subscriptions_live") == before
