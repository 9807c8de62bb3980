"""nextDueDate / nextDueAmount: the earliest unpaid installment, and what it still owes."""

from __future__ import annotations

from typing import Any

import httpx

from payable.core import clock
from tests.api import Api
from tests.payments.factories import pay_on_page, request_link
from tests.verticals.course.factories import CREATE_COURSE, course_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

NEXT_DUE = """query($id: ID!) { node(id: $id) { ... on PayableBooking {
  nextDueDate nextDueAmount { amount currency } } } }"""

LIST = """{ bookings(first: 10) { edges { node { id nextDueDate nextDueAmount { amount } } } } }"""

CANCEL = """mutation($input: CancelBookingInput!) { cancelBooking(input: $input) {
  errors { code } } }"""

DISCOUNT = """mutation($input: ApplyDiscountInput!) { applyDiscount(input: $input) {
  errors { code } } }"""


async def _create(api: Api, document: str, data: dict[str, Any]) -> str:
    payload = next(iter((await api.data(document, {"input": data})).values()))
    assert payload["errors"] == []
    return payload["booking"]["id"]


async def _next_due(api: Api, booking_id: str) -> dict[str, Any]:
    return (await api.data(NEXT_DUE, {"id": booking_id}))["node"]


async def test_next_due_moves_to_the_balance_once_the_deposit_is_paid(
    api: Api, client: httpx.AsyncClient
) -> None:
    # Given a tour: a 20 000 deposit due today, the 100 000 balance on 2030-05-01
    booking_id = await _create(
        api, CREATE_TOUR, tour_input(depositAmount="20000.00", balanceDueDate="2030-05-01")
    )
    before = await _next_due(api, booking_id)

    # When the deposit is paid through the gateway
    link = await request_link(api, booking_id)
    await pay_on_page(client, link["paymentUrl"])
    after = await _next_due(api, booking_id)

    # Then the next due is the balance
    assert before == {
        "nextDueDate": clock.today().isoformat(),
        "nextDueAmount": {"amount": "20000.00", "currency": "AMD"},
    }
    assert after == {
        "nextDueDate": "2030-05-01",
        "nextDueAmount": {"amount": "100000.00", "currency": "AMD"},
    }


async def test_next_due_is_the_earliest_due_date_and_what_it_still_owes(api: Api) -> None:
    # Given installments given out of date order
    months = [
        {"amount": "30000.00", "dueDate": "2030-04-01", "label": "month 3"},
        {"amount": "30000.00", "dueDate": "2030-02-01", "label": "month 1"},
        {"amount": "30000.00", "dueDate": "2030-03-01", "label": "month 2"},
    ]
    booking_id = await _create(api, CREATE_COURSE, course_input(installments=months))
    assert await _next_due(api, booking_id) == {
        "nextDueDate": "2030-02-01",
        "nextDueAmount": {"amount": "30000.00", "currency": "AMD"},
    }

    # When a discount of 70 000 lowers what is owed, latest installment first
    discounted = await api.data(
        DISCOUNT, {"input": {"bookingId": booking_id, "amount": "70000.00", "reason": "promo"}}
    )

    # Then the first month owes only what is left of it
    assert discounted["applyDiscount"]["errors"] == []
    assert await _next_due(api, booking_id) == {
        "nextDueDate": "2030-02-01",
        "nextDueAmount": {"amount": "20000.00", "currency": "AMD"},
    }


async def test_nothing_is_due_when_paid_or_cancelled(api: Api, client: httpx.AsyncClient) -> None:
    paid = await _create(api, CREATE_TOUR, tour_input())
    link = await request_link(api, paid)
    await pay_on_page(client, link["paymentUrl"])
    cancelled = await _create(api, CREATE_TOUR, tour_input())
    result = await api.data(
        CANCEL, {"input": {"bookingId": cancelled, "reason": "ill", "cause": "CUSTOMER_REQUEST"}}
    )
    assert result["cancelBooking"]["errors"] == []
    owing = await _create(api, CREATE_TOUR, tour_input())

    listed = {e["node"]["id"]: e["node"] for e in (await api.data(LIST))["bookings"]["edges"]}

    assert listed[paid] == {"id": paid, "nextDueDate": None, "nextDueAmount": None}
    assert listed[cancelled] == {"id": cancelled, "nextDueDate": None, "nextDueAmount": None}
    assert listed[owing]["nextDueAmount"] == {"amount": "120000.00"}
