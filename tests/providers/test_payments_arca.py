"""A tenant on ArCa, through the real app: the fake gateway speaks the RBS protocol."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx
import pytest

from payable.core import clock, ids
from payable.payments import workers
from payable.providers.arca import ArcaConfig, ArcaProvider
from tests.api import Api
from tests.payments.factories import CREATE_REQUEST, REFRESH, booking, request_link
from tests.providers.fakes.arca_gateway import (
    CALLBACK_KEY,
    PASSWORD,
    USERNAME,
    FakeArca,
    sign_callback,
)
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input


@pytest.fixture
async def gateway(api: Api, app: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeArca]:
    """This test's tenant pays through ArCa (a fake one, on the same event loop)."""
    fake = FakeArca()
    transport = httpx.ASGITransport(app=fake.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://arca.test") as http:
        config = ArcaConfig("http://arca.test/payment/rest", USERNAME, PASSWORD, CALLBACK_KEY, 0.5)
        monkeypatch.setitem(app.state.providers.__dict__, "arca", ArcaProvider(config, http))
        monkeypatch.setitem(app.state.settings.tenant_providers, api.tenant, "arca")
        yield fake


async def _booking_with_link(api: Api) -> tuple[str, dict[str, Any]]:
    created = await api.data(CREATE_CLINIC, {"input": clinic_input()})
    booking_id = created["createClinicAppointment"]["booking"]["id"]
    return booking_id, await request_link(api, booking_id)


async def test_signed_callback_then_lookup_verifies_the_money(
    api: Api, client: httpx.AsyncClient, gateway: FakeArca
) -> None:
    booking_id, link = await _booking_with_link(api)
    registered = gateway.last("register")
    assert (registered["amount"], registered["currency"]) == ("1500000", "051")  # minor units

    order_id = link["providerOrderId"]
    gateway.approve(order_id)
    params = {
        "mdOrder": order_id,
        "orderNumber": registered["orderNumber"],
        "operation": "deposited",
    }
    answer = await client.get(
        "/webhooks/arca?" + urlencode(sign_callback({**params, "status": "1"}))
    )

    assert answer.status_code == 200
    after = await booking(api, booking_id)
    assert after["paymentStatus"] == "PAID"
    assert [p["verifiedBy"] for p in after["payments"]] == ["WEBHOOK"]
    assert gateway.last("getOrderStatusExtended")["orderId"] == order_id  # confirmed server-side


async def test_a_callback_with_a_bad_checksum_is_refused(
    api: Api, client: httpx.AsyncClient, gateway: FakeArca
) -> None:
    booking_id, link = await _booking_with_link(api)
    gateway.approve(link["providerOrderId"])
    forged = sign_callback(
        {"mdOrder": link["providerOrderId"], "operation": "deposited", "status": "1"}
    )
    forged["status"] = "0" if forged["status"] == "1" else "1"

    answer = await client.get("/webhooks/arca?" + urlencode(forged))

    assert answer.status_code == 401
    assert (await booking(api, booking_id))["payments"] == []


async def test_three_d_secure_in_progress_is_not_paid(api: Api, gateway: FakeArca) -> None:
    booking_id, link = await _booking_with_link(api)
    gateway.start_3ds(link["providerOrderId"])

    during = (await api.data(REFRESH, {"id": link["id"]}))["refreshPaymentStatus"]
    gateway.approve(link["providerOrderId"])
    after = (await api.data(REFRESH, {"id": link["id"]}))["refreshPaymentStatus"]

    assert during["paymentRequest"]["status"] == "PENDING"
    assert after["paymentRequest"]["status"] == "PAID"
    assert [p["verifiedBy"] for p in (await booking(api, booking_id))["payments"]] == [
        "STATUS_LOOKUP"
    ]


async def test_gateway_timeout_on_create_creates_nothing(
    api: Api, gateway: FakeArca, db: asyncpg.Connection
) -> None:
    created = await api.data(CREATE_CLINIC, {"input": clinic_input()})
    booking_id = created["createClinicAppointment"]["booking"]["id"]
    gateway.slow(2)

    payload = (await api.data(CREATE_REQUEST, {"input": {"bookingId": booking_id}}))[
        "createPaymentRequest"
    ]

    assert payload["paymentRequest"] is None
    assert [e["code"] for e in payload["errors"]] == ["PROVIDER_UNAVAILABLE"]
    _, local = ids.from_global_id(booking_id)
    assert (
        await db.fetchval("SELECT count(*) FROM payment_requests WHERE booking_id = $1", local) == 0
    )


async def test_gateway_down_keeps_the_link_pending_until_the_poller_resolves_it(
    api: Api, app: Any, gateway: FakeArca, db: asyncpg.Connection
) -> None:
    booking_id, link = await _booking_with_link(api)
    gateway.approve(link["providerOrderId"])
    gateway.fail_next("7", "System error")

    refused = (await api.data(REFRESH, {"id": link["id"]}))["refreshPaymentStatus"]
    _, request_id = ids.from_global_id(link["id"])
    stored = await db.fetchrow(
        "SELECT status, last_error FROM payment_requests WHERE id = $1", request_id
    )
    await db.execute(
        "UPDATE payment_requests SET created_at = now() - interval '10 minutes' WHERE id = $1",
        request_id,
    )
    await workers.poll_pending(app.state.db, app.state.providers, older_than=timedelta(minutes=5))

    assert [e["code"] for e in refused["errors"]] == ["PROVIDER_UNAVAILABLE"]
    assert (stored["status"], stored["last_error"]) == ("PENDING", "PROVIDER_UNAVAILABLE")
    assert (await booking(api, booking_id))["paymentStatus"] == "PAID"


# --- link lifetimes: never longer than ArCa's payment page (20 minutes) ------------------------


def _minutes_from_now(expires_at: str, before: datetime) -> float:
    return (datetime.fromisoformat(expires_at) - before).total_seconds() / 60


async def test_the_default_link_lives_as_long_as_the_arca_page(api: Api, gateway: FakeArca) -> None:
    # Given an ArCa tenant asking for a link without an expiry (the default is 60 minutes)
    created = await api.data(CREATE_CLINIC, {"input": clinic_input()})
    booking_id = created["createClinicAppointment"]["booking"]["id"]
    before = clock.now()

    # When the link is created
    link = await request_link(api, booking_id)

    # Then it ends with the bank's page: 20 minutes, not 60
    assert 19.9 <= _minutes_from_now(link["expiresAt"], before) <= 20.5
    assert gateway.last("register")["sessionTimeoutSecs"] in ("1199", "1200")
    assert link["status"] == "PENDING"


async def test_an_explicit_expiry_beyond_the_arca_page_is_refused(
    api: Api, gateway: FakeArca, db: asyncpg.Connection
) -> None:
    created = await api.data(CREATE_CLINIC, {"input": clinic_input()})
    booking_id = created["createClinicAppointment"]["booking"]["id"]
    _, local = ids.from_global_id(booking_id)

    refused = (
        await api.data(CREATE_REQUEST, {"input": {"bookingId": booking_id, "expiresInMinutes": 21}})
    )["createPaymentRequest"]
    allowed = await request_link(api, booking_id, expiresInMinutes=20)

    assert refused["paymentRequest"] is None
    assert refused["errors"] == [
        {
            "code": "EXPIRY_BEYOND_GATEWAY_SESSION",
            "field": "expiresInMinutes",
            "message": "the arca payment page closes after 20 minutes:"
            " expiresInMinutes must be 1 to 20",
        }
    ]
    assert [name for name, _ in gateway.calls] == ["register"]  # only the allowed one
    assert (
        await db.fetchval("SELECT count(*) FROM payment_requests WHERE booking_id = $1", local) == 1
    )
    assert allowed["status"] == "PENDING"
