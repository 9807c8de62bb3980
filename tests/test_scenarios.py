"""The seed scenarios, each end to end through the GraphQL API on real PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from tests.api import Api
from tests.payments.factories import booking, event_types, pay_on_page, request_link
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.verticals.course.factories import CREATE_COURSE, course_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

CHANGE = "errors { code field message } booking { id status paymentStatus }"
RESCHEDULE = (
    "mutation($input: RescheduleAppointmentInput!) { rescheduleAppointment(input: $input) { "
    + CHANGE
    + " } }"
)
CANCEL = "mutation($input: CancelBookingInput!) { cancelBooking(input: $input) { " + CHANGE + " } }"
TRANSFER_GROUP = (
    "mutation($input: TransferEnrollmentInput!) { transferEnrollment(input: $input) { "
    + CHANGE
    + " } }"
)
PAUSE = (
    "mutation($input: EnrollmentChangeInput!) { pauseEnrollment(input: $input) { " + CHANGE + " } }"
)
PARTICIPANTS = (
    "mutation($input: AdjustTourParticipantsInput!) { adjustTourParticipants(input: $input) { "
    + CHANGE
    + " } }"
)
TRANSFER_TOUR = (
    "mutation($input: TransferTourInput!) { transferTour(input: $input) { " + CHANGE + " } }"
)
QUOTE = """query($id: ID!) { refundQuote(bookingId: $id) {
  refundable { amount currency } path deadline policy { code version } } }"""
REQUEST_REFUND = """mutation($input: RequestRefundInput!) { requestRefund(input: $input) {
  errors { code field message } refund { id status amount { amount } } } }"""
APPROVE = """mutation($id: ID!) { approveRefund(refundId: $id) {
  errors { code message } refund { id status providerRefundReference approvedBy } } }"""


async def _ok(api: Api, document: str, data: dict[str, Any]) -> dict[str, Any]:
    payload = next(iter((await api.data(document, {"input": data})).values()))
    assert payload["errors"] == [], payload["errors"]
    return payload


async def _refund(api: Api, booking_id: str, amount: str, reason: str) -> dict[str, Any]:
    requested = await _ok(
        api, REQUEST_REFUND, {"bookingId": booking_id, "amount": amount, "reason": reason}
    )
    accountant = api.as_role("accountant", sub="anna-accountant")
    approved = (await accountant.data(APPROVE, {"id": requested["refund"]["id"]}))["approveRefund"]
    assert approved["errors"] == []
    return approved["refund"]


async def test_clinic_deposit_paid_moved_then_cancelled_late_with_partial_refund(
    api: Api, client: httpx.AsyncClient
) -> None:
    # Given an appointment in 3 days, with a deposit of 5000 of 20000 paid through the sandbox
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    schedule = [
        {"amount": "5000.00", "dueDate": datetime.now(UTC).date().isoformat(), "label": "deposit"},
        {"amount": "15000.00", "dueDate": (start.date()).isoformat(), "label": "balance"},
    ]
    created = await _ok(
        api,
        CREATE_CLINIC,
        clinic_input(
            slotStart=start.isoformat(),
            slotEnd=(start + timedelta(minutes=30)).isoformat(),
            price={"amount": "20000.00", "currency": "AMD"},
            installments=schedule,
        ),
    )
    booking_id = created["booking"]["id"]
    deposit = await request_link(api, booking_id)
    await pay_on_page(client, deposit["paymentUrl"])
    paid = await booking(api, booking_id)

    # When it moves to a slot 6 hours from now, then the patient cancels (late: < 24 h)
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=6)
    await _ok(
        api,
        RESCHEDULE,
        {
            "bookingId": booking_id,
            "slotStart": soon.isoformat(),
            "slotEnd": (soon + timedelta(minutes=30)).isoformat(),
            "reason": "patient asked for today",
        },
    )
    await _ok(
        api, CANCEL, {"bookingId": booking_id, "reason": "cannot come", "cause": "CUSTOMER_REQUEST"}
    )
    quote = (await api.data(QUOTE, {"id": booking_id}))["refundQuote"]
    refund = await _refund(api, booking_id, quote["refundable"]["amount"], "late cancellation, 50%")
    after = await booking(api, booking_id)

    # Then the history holds every step, the payment stayed attached, 50% came back
    assert paid["paymentStatus"] == "DEPOSIT_PAID" and paid["status"] == "CONFIRMED"
    assert quote["path"] == "PARTIAL"
    assert quote["refundable"] == {"amount": "2500.00", "currency": "AMD"}
    assert quote["policy"] == {"code": "clinic-standard", "version": 1}
    assert refund["status"] == "SUCCEEDED" and refund["approvedBy"] == "anna-accountant"
    assert after["status"] == "CANCELLED"  # a refund never changes the status
    assert after["amountPaid"]["amount"] == "5000.00"
    assert [p["id"] for p in after["payments"]] == [p["id"] for p in paid["payments"]]
    events = event_types(after)
    for expected in (
        "RESCHEDULED",
        "CANCELLED",
        "REFUND_REQUESTED",
        "REFUND_APPROVED",
        "REFUND_SUCCEEDED",
    ):
        assert expected in events
    moved = next(
        e["node"] for e in after["timeline"]["edges"] if e["node"]["type"] == "RESCHEDULED"
    )
    assert (
        json.loads(moved["data"])["old"]["slotStart"]
        != json.loads(moved["data"])["new"]["slotStart"]
    )


async def test_course_in_installments_transferred_paused_partly_refunded(
    api: Api, client: httpx.AsyncClient
) -> None:
    # Given a course paid in three monthly installments, two of them paid
    months = [
        {"amount": "30000.00", "dueDate": "2030-02-01", "label": "month 1"},
        {"amount": "30000.00", "dueDate": "2030-03-01", "label": "month 2"},
        {"amount": "30000.00", "dueDate": "2030-04-01", "label": "month 3"},
    ]
    booking_id = (await _ok(api, CREATE_COURSE, course_input(installments=months)))["booking"]["id"]
    for _ in range(2):
        await pay_on_page(client, (await request_link(api, booking_id))["paymentUrl"])
    before = await booking(api, booking_id)

    # When the student changes group, pauses, and gets 10000 back
    await _ok(
        api,
        TRANSFER_GROUP,
        {"bookingId": booking_id, "groupId": "morning", "reason": "work shifts"},
    )
    await _ok(api, PAUSE, {"bookingId": booking_id, "reason": "travelling for a month"})
    refund = await _refund(api, booking_id, "10000.00", "month abroad, partial goodwill")
    after = await booking(api, booking_id)

    # Then money stays attached, access is suspended but its grant stays in the history
    assert before["accessStatus"] == "GRANTED" and before["paymentStatus"] == "DEPOSIT_PAID"
    assert after["accessStatus"] == "SUSPENDED"
    assert refund["status"] == "SUCCEEDED"
    assert after["amountPaid"]["amount"] == "60000.00"
    assert [p["id"] for p in after["payments"]] == [p["id"] for p in before["payments"]]
    events = event_types(after)
    assert (
        events.index("ACCESS_GRANTED") < events.index("GROUP_TRANSFERRED") < events.index("PAUSED")
    )
    assert "REFUND_SUCCEEDED" in events


async def test_tour_deposit_balance_participants_weather_transfer_then_refund(
    api: Api, client: httpx.AsyncClient
) -> None:
    # Given a tour for 2 (120000), deposit 40000 and balance paid
    booking_id = (await _ok(api, CREATE_TOUR, tour_input(depositAmount="40000.00")))["booking"][
        "id"
    ]
    await pay_on_page(client, (await request_link(api, booking_id))["paymentUrl"])
    await pay_on_page(client, (await request_link(api, booking_id))["paymentUrl"])
    paid = await booking(api, booking_id)

    # When a third participant joins, the group moves for weather, and the extra is paid
    await _ok(
        api,
        PARTICIPANTS,
        {"bookingId": booking_id, "participantCount": 3, "reason": "friend joins"},
    )
    added = await booking(api, booking_id)
    await _ok(
        api,
        TRANSFER_TOUR,
        {
            "bookingId": booking_id,
            "newTourDate": "2030-06-08",
            "reason": "storm warning",
            "cause": "WEATHER",
        },
    )
    await pay_on_page(client, (await request_link(api, booking_id))["paymentUrl"])
    # ... then one participant drops out: the money stays paid, the excess is refundable
    await _ok(
        api, PARTICIPANTS, {"bookingId": booking_id, "participantCount": 2, "reason": "friend ill"}
    )
    quote = (await api.data(QUOTE, {"id": booking_id}))["refundQuote"]
    refund = await _refund(api, booking_id, "60000.00", "participant dropped out")
    after = await booking(api, booking_id)

    assert paid["paymentStatus"] == "PAID"
    assert [i["amountPaid"]["amount"] for i in paid["schedule"]] == ["40000.00", "80000.00"]
    assert len(added["schedule"]) == 3 and added["paymentStatus"] == "DEPOSIT_PAID"
    assert Decimal(added["balanceDue"]["amount"]) == Decimal("60000.00")
    assert Decimal(quote["refundable"]["amount"]) >= Decimal("60000.00")
    assert refund["status"] == "SUCCEEDED"
    assert after["amountPaid"]["amount"] == "180000.00"
    assert after["status"] == "CONFIRMED"
    events = event_types(after)
    for expected in (
        "TOUR_DEPOSIT_PAID",
        "TOUR_FULLY_PAID",
        "PARTICIPANTS_ADJUSTED",
        "TOUR_TRANSFERRED",
    ):
        assert expected in events
