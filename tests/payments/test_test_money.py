"""Sandbox money is test money wherever it shows: links, payments, refunds, reports, export.

One tenant pays a booking through the sandbox, then (its gateway switched) another through
ArCa: only the sandbox's part is marked, and the totals still add up.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from payable.core import clock
from payable.providers.arca import ArcaConfig, ArcaProvider
from tests.api import Api
from tests.payments.factories import REFRESH, pay_on_page, request_link
from tests.providers.fakes.arca_gateway import CALLBACK_KEY, PASSWORD, USERNAME, FakeArca
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input

MONEY = """query($id: ID!) { node(id: $id) { ... on PayableBooking {
  paymentRequests { provider testMode } payments { provider testMode }
  refunds { status testMode } } } }"""
SUMMARY = """query($date: Date!) { dailySummary(date: $date) { verticals { kind
  captured { amount currency } testCaptured { amount currency }
  refunded { amount currency } testRefunded { amount currency } } } }"""
REQUEST_REFUND = """mutation($input: RequestRefundInput!) { requestRefund(input: $input) {
  errors { code } refund { id } } }"""
APPROVE = """mutation($id: ID!) { approveRefund(refundId: $id) {
  errors { code } refund { status testMode } } }"""


async def _clinic(api: Api) -> str:
    created = await api.data(CREATE_CLINIC, {"input": clinic_input()})  # 15000.00 AMD
    return created["createClinicAppointment"]["booking"]["id"]


async def _refund(api: Api, booking_id: str, amount: str) -> dict[str, Any]:
    requested = await api.data(
        REQUEST_REFUND, {"input": {"bookingId": booking_id, "amount": amount, "reason": "x"}}
    )
    refund_id = requested["requestRefund"]["refund"]["id"]
    approved = await api.as_role("accountant").data(APPROVE, {"id": refund_id})
    return approved["approveRefund"]["refund"]


async def _money(api: Api, booking_id: str) -> dict[str, Any]:
    return (await api.data(MONEY, {"id": booking_id}))["node"]


@pytest.fixture
async def arca(api: Api, app: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Switches this test's tenant to a fake ArCa when called."""
    fake = FakeArca()
    transport = httpx.ASGITransport(app=fake.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://arca.test") as http:
        config = ArcaConfig("http://arca.test/payment/rest", USERNAME, PASSWORD, CALLBACK_KEY, 0.5)

        def switch() -> FakeArca:
            monkeypatch.setitem(app.state.providers.__dict__, "arca", ArcaProvider(config, http))
            monkeypatch.setitem(app.state.settings.tenant_providers, api.tenant, "arca")
            return fake

        yield switch


async def test_sandbox_money_is_marked_and_real_money_is_not(
    api: Api, client: httpx.AsyncClient, arca: Any
) -> None:
    # Given a booking paid through the sandbox and partly refunded
    test_booking = await _clinic(api)
    await pay_on_page(client, (await request_link(api, test_booking))["paymentUrl"])
    test_refund = await _refund(api, test_booking, "1000.00")
    # And, the tenant moved to ArCa, a booking paid there and partly refunded
    gateway = arca()
    real_booking = await _clinic(api)
    link = await request_link(api, real_booking)
    gateway.approve(link["providerOrderId"])
    await api.data(REFRESH, {"id": link["id"]})
    real_refund = await _refund(api, real_booking, "2000.00")

    # When the money is read through the API, the daily summary and the accounting export
    accountant = api.as_role("accountant")
    day = clock.today().isoformat()
    summary = (await accountant.data(SUMMARY, {"date": day}))["dailySummary"]
    export = await client.get(
        f"/exports/accounting.csv?from={day}&to={day}",
        headers={"Authorization": f"Bearer {accountant.token}"},
    )

    # Then the sandbox's link, payment and refund are test money and ArCa's are not
    sandbox, real = await _money(api, test_booking), await _money(api, real_booking)
    assert sandbox["paymentRequests"] == [{"provider": "sandbox", "testMode": True}]
    assert sandbox["payments"] == [{"provider": "sandbox", "testMode": True}]
    assert sandbox["refunds"] == [{"status": "SUCCEEDED", "testMode": True}]
    assert real["paymentRequests"] == [{"provider": "arca", "testMode": False}]
    assert real["payments"] == [{"provider": "arca", "testMode": False}]
    assert real["refunds"] == [{"status": "SUCCEEDED", "testMode": False}]
    assert (test_refund["testMode"], real_refund["testMode"]) == (True, False)
    # And the summary shows the test part of the day's money beside the whole
    clinic = next(v for v in summary["verticals"] if v["kind"] == "CLINIC_APPOINTMENT")
    assert clinic["captured"] == [{"amount": "30000.00", "currency": "AMD"}]
    assert clinic["testCaptured"] == [{"amount": "15000.00", "currency": "AMD"}]
    assert clinic["refunded"] == [{"amount": "3000.00", "currency": "AMD"}]
    assert clinic["testRefunded"] == [{"amount": "1000.00", "currency": "AMD"}]
    # And the export marks each line
    lines = list(csv.DictReader(io.StringIO(export.text)))
    assert sorted((r["type"], r["provider"], r["amount"], r["test_money"]) for r in lines) == [
        ("PAYMENT", "arca", "15000.00", "false"),
        ("PAYMENT", "sandbox", "15000.00", "true"),
        ("REFUND", "arca", "-2000.00", "false"),
        ("REFUND", "sandbox", "-1000.00", "true"),
    ]
