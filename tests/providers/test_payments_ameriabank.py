"""A tenant on Ameriabank vPOS, through the real app: no callbacks, so every payment is
verified by GetPaymentDetails (the browser's return page, refreshPaymentStatus, the poller)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from payable.core import clock, ids
from payable.providers.ameriabank import AmeriabankProvider, AmeriaConfig
from tests.api import Api
from tests.payments.factories import CREATE_REQUEST, REFRESH, booking, request_link
from tests.providers.fakes.ameriabank_gateway import CLIENT_ID, PASSWORD, USERNAME, FakeAmeria
from tests.verticals.course.factories import CREATE_COURSE, course_input


@pytest.fixture
async def gateway(api: Api, app: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeAmeria]:
    fake = FakeAmeria()
    transport = httpx.ASGITransport(app=fake.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ameria.test") as http:
        config = AmeriaConfig("http://ameria.test/VPOS/", CLIENT_ID, USERNAME, PASSWORD, 0.5)
        monkeypatch.setitem(
            app.state.providers.__dict__, "ameriabank", AmeriabankProvider(config, http)
        )
        monkeypatch.setitem(app.state.settings.tenant_providers, api.tenant, "ameriabank")
        yield fake


async def test_the_return_page_verifies_by_lookup_and_opens_course_access(
    api: Api, client: httpx.AsyncClient, gateway: FakeAmeria
) -> None:
    created = await api.data(CREATE_COURSE, {"input": course_input()})
    booking_id = created["createCourseEnrollment"]["booking"]["id"]
    link = await request_link(api, booking_id)
    init = gateway.last("InitPayment")
    _, request_id = ids.from_global_id(link["id"])

    before = await client.get(f"/payments/return/{request_id}")  # the customer has not paid
    gateway.approve(link["providerOrderId"])
    after = await client.get(f"/payments/return/{request_id}")  # now the bank says deposited
    paid = await booking(api, booking_id)

    assert (init["Amount"], init["Currency"]) == ("90000.00", "051")  # major units, ISO numeric
    assert link["paymentUrl"].startswith("http://ameria.test/VPOS/Payments/Pay?id=")
    assert "being confirmed" in before.text and "confirmed. Thank you" in after.text
    assert paid["paymentStatus"] == "PAID" and paid["accessStatus"] == "GRANTED"
    assert [p["verifiedBy"] for p in paid["payments"]] == ["STATUS_LOOKUP"]


async def test_an_approved_but_not_deposited_payment_is_not_money(
    api: Api, gateway: FakeAmeria
) -> None:
    created = await api.data(CREATE_COURSE, {"input": course_input()})
    booking_id = created["createCourseEnrollment"]["booking"]["id"]
    link = await request_link(api, booking_id)
    gateway.hold(link["providerOrderId"])

    refreshed = (await api.data(REFRESH, {"id": link["id"]}))["refreshPaymentStatus"]

    assert refreshed["paymentRequest"]["status"] == "PENDING"
    assert (await booking(api, booking_id))["payments"] == []


async def test_the_webhook_route_does_not_exist_for_a_bank_without_callbacks(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.post("/webhooks/ameriabank", content=b"{}")).status_code == 404


# --- link lifetimes: never longer than the vPOS payment page (Timeout <= 1200 s) ---------------


async def test_links_end_with_the_vpos_page(api: Api, gateway: FakeAmeria) -> None:
    # Given an Ameriabank tenant and two bookings
    first = await api.data(CREATE_COURSE, {"input": course_input()})
    second = await api.data(CREATE_COURSE, {"input": course_input()})
    before = clock.now()

    # When one link takes the default expiry and the other asks for an hour and a half
    default = await request_link(api, first["createCourseEnrollment"]["booking"]["id"])
    sent = gateway.last("InitPayment")
    refused = (
        await api.data(
            CREATE_REQUEST,
            {
                "input": {
                    "bookingId": second["createCourseEnrollment"]["booking"]["id"],
                    "expiresInMinutes": 90,
                }
            },
        )
    )["createPaymentRequest"]

    # Then the default is capped to the page's 20 minutes and the explicit 90 refused
    minutes = (datetime.fromisoformat(default["expiresAt"]) - before).total_seconds() / 60
    assert 19.9 <= minutes <= 20.5
    assert sent["Timeout"] in (1199, 1200)
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("EXPIRY_BEYOND_GATEWAY_SESSION", "expiresInMinutes")
    ]
    assert "closes after 20 minutes" in refused["errors"][0]["message"]
    assert [op for op, _ in gateway.calls].count("InitPayment") == 1
