"""End to end per vertical: booking, link, the sandbox page, the signed callback, verified money."""

from __future__ import annotations

import httpx

from tests.api import Api
from tests.payments.factories import booking, event_types, pay_on_page, request_link
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.verticals.course.factories import CREATE_COURSE, course_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input


async def _create(api: Api, document: str, data: dict) -> str:
    payload = next(iter((await api.data(document, {"input": data})).values()))
    assert payload["errors"] == []
    return payload["booking"]["id"]


async def test_clinic_appointment_is_confirmed_by_verified_money(
    api: Api, client: httpx.AsyncClient
) -> None:
    booking_id = await _create(api, CREATE_CLINIC, clinic_input())
    link = await request_link(api, booking_id, returnUrl="https://clinic.example/done")

    answer = await pay_on_page(client, link["paymentUrl"])

    assert answer.status_code == 303
    assert (
        answer.headers["location"].endswith(f"/payments/return/{link['providerOrderId']}") is False
    )
    after = await booking(api, booking_id)
    assert after["status"] == "CONFIRMED"
    assert after["paymentStatus"] == "PAID"
    assert after["amountPaid"] == {"amount": "15000.00", "currency": "AMD"}
    assert after["balanceDue"] == {"amount": "0.00"}
    assert [p["verifiedBy"] for p in after["payments"]] == ["WEBHOOK"]
    assert after["paymentRequests"] == [{"id": link["id"], "status": "PAID"}]
    assert event_types(after) == [
        "CREATED",
        "PAYMENT_REQUESTED",
        "PAYMENT_VERIFIED",
        "APPOINTMENT_CONFIRMED",
    ]


async def test_course_access_opens_only_after_verification(
    api: Api, client: httpx.AsyncClient
) -> None:
    months = [
        {"amount": "30000.00", "dueDate": "2030-02-01"},
        {"amount": "30000.00", "dueDate": "2030-03-01"},
        {"amount": "30000.00", "dueDate": "2030-04-01"},
    ]
    booking_id = await _create(api, CREATE_COURSE, course_input(installments=months))
    link = await request_link(api, booking_id)
    assert (await booking(api, booking_id))["accessStatus"] == "NONE"

    await pay_on_page(client, link["paymentUrl"])

    after = await booking(api, booking_id)
    assert after["accessStatus"] == "GRANTED"
    assert after["paymentStatus"] == "DEPOSIT_PAID"
    assert [i["amountPaid"]["amount"] for i in after["schedule"]] == ["30000.00", "0.00", "0.00"]
    assert "ACCESS_GRANTED" in event_types(after)


async def test_tour_deposit_then_balance(api: Api, client: httpx.AsyncClient) -> None:
    booking_id = await _create(api, CREATE_TOUR, tour_input(depositAmount="40000.00"))

    deposit = await request_link(api, booking_id)
    await pay_on_page(client, deposit["paymentUrl"])
    after_deposit = await booking(api, booking_id)
    balance = await request_link(api, booking_id)
    await pay_on_page(client, balance["paymentUrl"])
    after_balance = await booking(api, booking_id)

    assert deposit["amount"]["amount"] == "40000.00" and balance["amount"]["amount"] == "80000.00"
    assert after_deposit["paymentStatus"] == "DEPOSIT_PAID"
    assert after_balance["paymentStatus"] == "PAID"
    assert after_balance["status"] == "CONFIRMED"
    events = event_types(after_balance)
    assert events.count("PAYMENT_VERIFIED") == 2
    assert "TOUR_DEPOSIT_PAID" in events and "TOUR_FULLY_PAID" in events
