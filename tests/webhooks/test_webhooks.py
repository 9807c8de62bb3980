"""Outbound webhooks through the real app: admins manage endpoints, the worker delivers each
timeline event signed, in order per booking, as an integrator sees it, and retries failures."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from payable.app import create_app
from payable.core.errors import DomainError
from payable.settings import Settings
from payable.webhooks import addresses, signing
from payable.webhooks import worker as webhook_worker
from tests.api import Api
from tests.conftest import JWT_SECRET
from tests.money.factories import codes, local
from tests.webhooks.factories import (
    CREATE_ENDPOINT,
    DELETE_ENDPOINT,
    DELIVERIES,
    ENDPOINTS,
    NOTE,
    RETRY,
    bodies,
    cancel,
    clinic,
    deliveries,
    endpoint,
)
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    try:
        yield running
    finally:
        running.stop()


async def _deliver(api: Api) -> int:
    """One webhook round of the server's worker loop."""
    return await webhook_worker.deliver(api.app.state.db, api.app.state.settings)


async def _timeline(db: asyncpg.Connection, booking_id: str) -> list[tuple[str, int]]:
    rows = await db.fetch(
        "SELECT type, sequence FROM booking_events WHERE booking_id = $1 ORDER BY sequence",
        local(booking_id),
    )
    return [(r["type"], r["sequence"]) for r in rows]


# --- Endpoints ----------------------------------------------------------------------------------


async def test_admin_registers_lists_and_deletes_an_endpoint_and_sees_the_secret_once(
    api: Api, db: asyncpg.Connection
) -> None:
    admin = api.as_role("admin")
    created, secret = await endpoint(
        api, "http://127.0.0.1:9/hooks", description="CRM", eventTypes=["CANCELLED", "CREATED"]
    )

    assert secret.startswith("whsec_") and len(secret) > 40
    assert (created["url"], created["description"], created["eventTypes"], created["active"]) == (
        "http://127.0.0.1:9/hooks",
        "CRM",
        ["CANCELLED", "CREATED"],
        True,
    )
    stored = await db.fetchval(
        "SELECT secret FROM webhook_endpoints WHERE id = $1", local(created["id"])
    )
    assert stored == secret
    assert (await admin.data(ENDPOINTS))["webhookEndpoints"] == [created]

    deleted = (await admin.data(DELETE_ENDPOINT, {"id": created["id"]}))["deleteWebhookEndpoint"]

    assert deleted["errors"] == [] and deleted["secret"] is None
    assert (deleted["endpoint"]["id"], deleted["endpoint"]["active"]) == (created["id"], False)
    assert (await admin.data(ENDPOINTS))["webhookEndpoints"] == []
    again = (await admin.data(DELETE_ENDPOINT, {"id": created["id"]}))["deleteWebhookEndpoint"]
    assert codes(again) == ["NOT_FOUND"]


@pytest.mark.parametrize(
    ("given", "code", "field"),
    [
        ({"url": "ftp://example.com/x"}, "INVALID_URL", "url"),
        ({"url": "https://user:pw@example.com/x"}, "INVALID_URL", "url"),
        (
            {"url": "https://example.com", "eventTypes": ["BOGUS"]},
            "UNKNOWN_EVENT_TYPE",
            "eventTypes",
        ),
        # CRM notes are free text integrators never see: no receiver may ask for them.
        (
            {"url": "https://example.com", "eventTypes": ["NOTE"]},
            "UNKNOWN_EVENT_TYPE",
            "eventTypes",
        ),
    ],
)
async def test_a_bad_endpoint_is_refused_and_nothing_is_stored(
    api: Api, db: asyncpg.Connection, given: dict, code: str, field: str
) -> None:
    payload = (await api.as_role("admin").data(CREATE_ENDPOINT, {"input": given}))[
        "createWebhookEndpoint"
    ]

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]
    assert (payload["endpoint"], payload["secret"]) == (None, None)
    assert (
        await db.fetchval(
            "SELECT count(*) FROM webhook_endpoints e JOIN tenants t ON t.id = e.tenant_id"
            " WHERE t.slug = $1",
            api.tenant,
        )
        == 0
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/x",
        "http://localhost/x",
        "http://10.1.2.3/x",
        "http://192.168.0.10/x",
        "http://172.16.5.5/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://[fe80::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://0.0.0.0/x",
    ],
)
async def test_production_refuses_internal_addresses_development_allows_them(url: str) -> None:
    with pytest.raises(DomainError) as refused:
        await addresses.check(url, production=True)
    assert (refused.value.code, refused.value.field) == ("URL_NOT_ALLOWED", "url")
    await addresses.check(url, production=False)  # development: a local receiver is the point


async def test_production_accepts_a_public_address() -> None:
    await addresses.check("https://93.184.216.34/hooks", production=True)


async def test_only_admins_read_endpoints_and_deliveries(api: Api, db: asyncpg.Connection) -> None:
    for role in ("operator", "support", "accountant", "integrator"):
        body = await api.as_role(role).post(ENDPOINTS)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    refused = await db.fetchval(
        "SELECT count(*) FROM audit_log a JOIN tenants t ON t.id = a.tenant_id"
        " WHERE t.slug = $1 AND a.operation = 'webhookEndpoints' AND a.outcome = 'FORBIDDEN'",
        api.tenant,
    )
    assert refused == 4


# --- Delivery -----------------------------------------------------------------------------------


async def test_each_event_is_posted_signed_in_order_as_an_integrator_sees_it(
    api: Api, db: asyncpg.Connection, receiver: Receiver
) -> None:
    """Events before the endpoint existed are not sent; a CRM note never is; the reason people
    wrote is null; the signature verifies with the secret shown at creation."""
    earlier = await clinic(api)
    hook, secret = await endpoint(api, receiver.url)
    booking_id = await clinic(api)
    await api.data(NOTE, {"input": {"bookingId": booking_id, "text": "allergic to penicillin"}})
    await cancel(api, booking_id, reason="the customer has the flu")

    delivered = await _deliver(api)

    timeline = await _timeline(db, booking_id)
    assert [t for t, _ in timeline] == ["CREATED", "NOTE", "CANCELLED"]
    sent = bodies(receiver.received)
    assert delivered == 2
    assert [(b["type"], b["sequence"]) for b in sent] == [
        ("CREATED", str(timeline[0][1])),
        ("CANCELLED", str(timeline[2][1])),
    ]
    assert earlier not in {b["bookingId"] for b in sent}
    cancelled = sent[1]
    assert set(cancelled) == {
        "id", "sequence", "type", "bookingId", "kind", "actor", "reason", "data", "occurredAt"
    }  # fmt: skip
    assert (cancelled["bookingId"], cancelled["kind"], cancelled["actor"]) == (
        booking_id,
        "CLINIC_APPOINTMENT",
        "tester",
    )
    assert cancelled["reason"] is None  # staff wrote it; receivers are integrators
    assert cancelled["data"]["old"]["status"] != cancelled["data"]["new"]["status"]
    for request in receiver.received:
        headers = request.headers
        assert signing.verify(secret=secret, header=headers["Payable-Signature"], body=request.body)
        assert not signing.verify(
            secret="whsec_other", header=headers["Payable-Signature"], body=request.body
        )
        assert headers["Payable-Event-Id"] == json.loads(request.body)["id"]
        stamp = int(headers["Payable-Signature"].split(",")[0].removeprefix("t="))
        assert abs(stamp - datetime.now(UTC).timestamp()) < 60
    listed = await deliveries(api, endpointId=hook["id"])
    assert [
        (d["event"]["type"], d["status"], d["attempts"], d["lastResponseStatus"]) for d in listed
    ] == [
        ("CANCELLED", "SUCCEEDED", 1, 200),
        ("CREATED", "SUCCEEDED", 1, 200),
    ]
    assert [r.headers["Payable-Delivery-Id"] for r in receiver.received] == [
        listed[1]["id"],
        listed[0]["id"],
    ]
    assert all(d["nextAttemptAt"] is None and d["deliveredAt"] for d in listed)
    assert await _deliver(api) == 0  # nothing is sent twice
    assert len(receiver.received) == 2


async def test_an_endpoint_receives_only_the_types_it_asked_for(
    api: Api, receiver: Receiver
) -> None:
    await endpoint(api, receiver.url, eventTypes=["CANCELLED"])
    booking_id = await clinic(api)
    await cancel(api, booking_id)

    await _deliver(api)

    assert [(b["type"], b["bookingId"]) for b in bodies(receiver.received)] == [
        ("CANCELLED", booking_id)
    ]


async def test_a_failure_is_retried_with_backoff_and_a_later_event_of_the_booking_waits(
    api: Api, db: asyncpg.Connection, receiver: Receiver
) -> None:
    """500 with a 10 KB body: PENDING, the next attempt 5-10 s later, the error read only in
    part; the booking's CANCELLED is not sent before its CREATED is delivered. After 24 hours
    of failures the delivery is FAILED (and stops blocking); an admin's retry sends it again."""
    receiver.default, receiver.body = 500, b"x" * 10_000
    hook, _ = await endpoint(api, receiver.url)
    booking_id = await clinic(api)
    before = datetime.now(UTC)

    await _deliver(api)

    [created] = await deliveries(api)
    assert (created["event"]["type"], created["status"], created["attempts"]) == (
        "CREATED",
        "PENDING",
        1,
    )
    assert created["lastResponseStatus"] == 500
    assert created["lastError"].startswith("HTTP 500: xxx") and len(created["lastError"]) == 500
    next_at = datetime.fromisoformat(created["nextAttemptAt"])
    assert before + timedelta(seconds=5) <= next_at <= datetime.now(UTC) + timedelta(seconds=10)

    await cancel(api, booking_id)
    await _deliver(api)  # CREATED is not due yet, and CANCELLED waits behind it

    assert [b["type"] for b in bodies(receiver.received)] == ["CREATED"]
    cancelled = next(d for d in await deliveries(api) if d["event"]["type"] == "CANCELLED")
    assert (cancelled["status"], cancelled["attempts"]) == ("PENDING", 0)

    # a day of failures later
    await db.execute(
        "UPDATE webhook_deliveries SET retry_from = now() - interval '25 hours',"
        " next_attempt_at = now() WHERE id = $1",
        local(created["id"]),
    )
    await _deliver(api)
    failed = next(d for d in await deliveries(api) if d["id"] == created["id"])
    assert (failed["status"], failed["attempts"], failed["nextAttemptAt"]) == ("FAILED", 2, None)
    # the booking's next event no longer waits: it is tried (and fails) on its own
    assert [b["type"] for b in bodies(receiver.received)] == ["CREATED", "CREATED", "CANCELLED"]

    receiver.default, receiver.body = 204, b""
    retried = (await api.as_role("admin").data(RETRY, {"id": created["id"]}))[
        "retryWebhookDelivery"
    ]
    assert retried["errors"] == []
    assert (retried["delivery"]["status"], retried["delivery"]["attempts"]) == ("PENDING", 2)
    await _deliver(api)

    again = next(d for d in await deliveries(api) if d["id"] == created["id"])
    assert (again["status"], again["attempts"], again["lastResponseStatus"]) == (
        "SUCCEEDED",
        3,
        204,
    )
    assert again["lastError"] is None
    refused = await api.as_role("operator").post(RETRY, {"id": created["id"]})
    assert codes(refused["data"]["retryWebhookDelivery"]) == ["FORBIDDEN"]
    assert hook["active"] is True


async def test_a_redirect_is_not_followed(api: Api, receiver: Receiver) -> None:
    receiver.default = 302
    await endpoint(api, receiver.url)
    await clinic(api)

    await _deliver(api)

    assert [r.path for r in receiver.received] == ["/hooks"]  # never /elsewhere
    [delivery] = await deliveries(api)
    assert (delivery["status"], delivery["lastResponseStatus"]) == ("PENDING", 302)
    assert delivery["lastError"] == "HTTP 302: redirects are not followed"


async def test_410_gone_disables_the_endpoint_and_opens_a_task_for_the_admins(
    api: Api, db: asyncpg.Connection, receiver: Receiver
) -> None:
    receiver.default = 410
    hook, _ = await endpoint(api, receiver.url)
    first = await clinic(api)
    await cancel(api, first)  # planned with CREATED, waiting behind it

    await _deliver(api)
    await clinic(api)
    await _deliver(api)

    assert len(receiver.received) == 1
    listed = await deliveries(api)
    assert sorted((d["event"]["type"], d["status"], d["attempts"]) for d in listed) == [
        ("CANCELLED", "FAILED", 0),
        ("CREATED", "FAILED", 1),
    ]
    [shown] = (await api.as_role("admin").data(ENDPOINTS))["webhookEndpoints"]
    assert (shown["id"], shown["active"]) == (hook["id"], False)
    task = await db.fetchrow(
        "SELECT kind, status, booking_id, details FROM review_tasks r JOIN tenants t"
        " ON t.id = r.tenant_id WHERE t.slug = $1",
        api.tenant,
    )
    assert (task["kind"], task["status"], task["booking_id"]) == ("WEBHOOK_DISABLED", "OPEN", None)
    assert json.loads(task["details"])["endpointId"] == str(local(hook["id"]))
    retry = (await api.as_role("admin").data(RETRY, {"id": listed[0]["id"]}))[
        "retryWebhookDelivery"
    ]
    assert codes(retry) == ["ENDPOINT_INACTIVE"]


async def test_listing_deliveries_costs_the_same_statements_for_any_page_size(
    api: Api, receiver: Receiver
) -> None:
    hook, _ = await endpoint(api, receiver.url)
    for _ in range(6):
        await clinic(api)
    await _deliver(api)
    admin = api.as_role("admin")
    await admin.data(ENDPOINTS)  # the tenant and token are warm

    counts = []
    for first in (1, 6):
        with admin.count_statements() as statements:
            listed = (await admin.data(DELIVERIES, {"endpointId": hook["id"], "first": first}))[
                "webhookDeliveries"
            ]
        assert len(listed) == first
        counts.append(len(statements))

    assert counts[0] == counts[1] <= 4


def _readme_snippet(language: str) -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Outbound webhooks", 1)[1]
    return section.split(f"```{language}\n", 1)[1].split("```", 1)[0]


async def test_the_readme_verifiers_accept_a_real_delivery_and_refuse_a_tampered_one(
    api: Api, receiver: Receiver
) -> None:
    """What integrators copy from the README, in Python and in JavaScript (Node.js)."""
    _, secret = await endpoint(api, receiver.url)
    await clinic(api)
    await _deliver(api)
    [request] = receiver.received
    header, body = request.headers["Payable-Signature"], request.body
    tampered = body.replace(b'"CREATED"', b'"CANCELLED"')
    assert tampered != body

    namespace: dict[str, Any] = {}
    exec(_readme_snippet("python"), namespace)
    assert namespace["verify"](secret, header, body) is True
    assert namespace["verify"](secret, header, tampered) is False
    assert namespace["verify"]("whsec_wrong", header, body) is False

    if shutil.which("node") is None:
        pytest.skip("no node to run the JavaScript snippet")
    script = _readme_snippet("js") + (
        "const [secret, header, body, tampered] = JSON.parse(process.argv[1]);"
        "console.log(JSON.stringify([verify(secret, header, body), verify(secret, header,"
        " tampered), verify('whsec_wrong', header, body)]));"
    )
    arguments = json.dumps([secret, header, body.decode(), tampered.decode()])
    ran = subprocess.run(
        ["node", "-e", script, arguments], capture_output=True, text=True, timeout=30, check=True
    )
    assert json.loads(ran.stdout) == [True, False, False]


@pytest.fixture
async def guarded_app(database_url: str) -> AsyncIterator[Any]:
    """The app as a demo server runs it: internal addresses are refused there too."""
    settings = Settings(env="demo", public_url="http://payable.test", workers_enabled=False)
    application = create_app(database_url=database_url, jwt_secret=JWT_SECRET, settings=settings)
    async with LifespanManager(application):
        yield application


async def test_outside_development_no_endpoint_reaches_an_internal_address(
    api: Api, guarded_app: Any, receiver: Receiver, db: asyncpg.Connection
) -> None:
    """Registering 127.0.0.1 is refused; an endpoint registered on a development server is not
    called by a guarded server's worker either (the check runs again before each attempt)."""
    transport = httpx.ASGITransport(app=guarded_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://payable.test") as http:
        guarded = replace(api, client=http, app=guarded_app).as_role("admin")
        payload = (
            await guarded.data(CREATE_ENDPOINT, {"input": {"url": "http://169.254.169.254/x"}})
        )["createWebhookEndpoint"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("URL_NOT_ALLOWED", "url")]

    hook, _ = await endpoint(api, receiver.url)  # development allows it
    await clinic(api)
    await webhook_worker.deliver(guarded_app.state.db, guarded_app.state.settings)

    assert receiver.received == []
    [delivery] = await deliveries(api, endpointId=hook["id"])
    assert (delivery["status"], delivery["attempts"], delivery["lastResponseStatus"]) == (
        "PENDING",
        1,
        None,
    )
    assert delivery["lastError"] == "the URL points to a loopback, link-local or private address"
