"""Bookings finish: completeBooking, the worker's completion step, and what completion closes."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from payable.bookings import completion
from payable.core import clock
from payable.core.ids import from_global_id
from tests.api import Api
from tests.payments.factories import pay_on_page, request_link
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.verticals.course.factories import CREATE_COURSE, course_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

COMPLETE = """mutation($input: CompleteBookingInput!, $key: String) {
  completeBooking(input: $input, idempotencyKey: $key) {
  errors { code field message } booking { id status } } }"""


def _mutation(name: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ errors {{ code }} }} }}"


NO_SHOW = _mutation("markNoShow", "MarkNoShowInput")
CANCEL = _mutation("cancelBooking", "CancelBookingInput")
RESCHEDULE = _mutation("rescheduleAppointment", "RescheduleAppointmentInput")
TRANSFER_GROUP = _mutation("transferEnrollment", "TransferEnrollmentInput")
TRANSFER_TOUR = _mutation("transferTour", "TransferTourInput")
QUOTE = """query($id: ID!) { refundQuote(bookingId: $id) {
  refundable { amount currency } path deadline } }"""
BOOKING = """query($id: ID!) { node(id: $id) { ... on PayableBooking { status
  timeline(first: 50) { edges { node { type actor reason data } } } } } }"""


async def _into_the_past(db: asyncpg.Connection, booking_id: str, hours: int) -> None:
    """Time passes: the service (slot, tour day, course period) moves ``hours`` earlier. The
    API refuses to book the past, so a test's ``given`` moves it in the database."""
    local, shift = from_global_id(booking_id)[1], timedelta(hours=hours)
    await db.execute(
        "UPDATE clinic_appointments SET slot_start = slot_start - $2::interval,"
        " slot_end = slot_end - $2::interval"
        " WHERE booking_id = $1",
        local,
        shift,
    )
    days = hours // 24
    await db.execute(
        "UPDATE tour_bookings SET tour_date = tour_date - $2::int WHERE booking_id = $1",
        local,
        days,
    )
    await db.execute(
        "UPDATE course_enrollments SET period_start = period_start - $2::int,"
        " period_end = period_end - $2::int WHERE booking_id = $1",
        local,
        days,
    )


def _slot(hours_from_now: float) -> dict[str, str]:
    start = (datetime.now(UTC) + timedelta(hours=hours_from_now)).replace(microsecond=0)
    return {"slotStart": start.isoformat(), "slotEnd": (start + timedelta(hours=1)).isoformat()}


async def _create(api: Api, document: str, data: dict[str, Any]) -> str:
    payload = next(iter((await api.data(document, {"input": data})).values()))
    assert payload["errors"] == [], payload["errors"]
    return payload["booking"]["id"]


async def _paid(api: Api, client: httpx.AsyncClient, document: str, data: dict[str, Any]) -> str:
    booking_id = await _create(api, document, data)
    await pay_on_page(client, (await request_link(api, booking_id))["paymentUrl"])
    return booking_id


async def _visit(
    api: Api,
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
    started_hours_ago: int,
    *,
    paid: bool = True,
) -> str:
    """A one-hour visit that began ``started_hours_ago``, paid unless told otherwise."""
    # Its own specialist: visits made seconds apart and moved back by the same hours could
    # otherwise overlap by the seconds between them.
    data = clinic_input(**_slot(100 - started_hours_ago), specialistId=f"dr-{uuid.uuid4().hex}")
    booking_id = await (
        _paid(api, client, CREATE_CLINIC, data) if paid else _create(api, CREATE_CLINIC, data)
    )
    await _into_the_past(db, booking_id, 100)
    return booking_id


def _tomorrow() -> str:
    return (clock.today() + timedelta(days=1)).isoformat()


async def _complete(api: Api, booking_id: str, **extra: Any) -> dict[str, Any]:
    return (await api.data(COMPLETE, {"input": {"bookingId": booking_id, **extra}}))[
        "completeBooking"
    ]


async def _codes(api: Api, document: str, data: dict[str, Any]) -> list[str]:
    payload = next(iter((await api.data(document, {"input": data})).values()))
    return [e["code"] for e in payload["errors"]]


async def _node(api: Api, booking_id: str) -> dict[str, Any]:
    return (await api.data(BOOKING, {"id": booking_id}))["node"]


def _completed_events(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {**e["node"], "data": json.loads(e["node"]["data"])}
        for e in node["timeline"]["edges"]
        if e["node"]["type"] == "COMPLETED"
    ]


async def test_a_delivered_visit_is_completed_and_quotes_no_refund(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    # Given a paid visit that started two hours ago (a late cancellation would quote 50 %)
    visit = await _visit(api, client, db, 2)
    before = (await api.data(QUOTE, {"id": visit}))["refundQuote"]

    # When the operator marks it completed
    done = await _complete(api, visit, reason="patient seen")

    # Then it is COMPLETED, with one event carrying old and new, and the refund path is NONE
    assert before["path"] == "PARTIAL"
    assert done["errors"] == [] and done["booking"]["status"] == "COMPLETED"
    (event,) = _completed_events(await _node(api, visit))
    assert (event["actor"], event["reason"]) == ("tester", "patient seen")
    assert event["data"]["old"] == {"status": "CONFIRMED"}
    assert event["data"]["new"] == {"status": "COMPLETED"}
    quote = (await api.data(QUOTE, {"id": visit}))["refundQuote"]
    assert quote == {
        "refundable": {"amount": "0.00", "currency": "AMD"},
        "path": "NONE",
        "deadline": None,
    }


async def test_completion_is_refused_before_the_service_unpaid_or_twice(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    upcoming = await _paid(api, client, CREATE_CLINIC, clinic_input(**_slot(5)))
    unpaid = await _visit(api, client, db, 3, paid=False)
    seen = await _visit(api, client, db, 4)
    assert (await _complete(api, seen))["errors"] == []

    refusals = {
        name: [(e["code"], e["field"]) for e in (await _complete(api, booking_id))["errors"]]
        for name, booking_id in (("upcoming", upcoming), ("unpaid", unpaid), ("seen", seen))
    }

    assert refusals == {
        "upcoming": [("NOT_STARTED", "bookingId")],
        "unpaid": [("NOT_CONFIRMED", "bookingId")],
        "seen": [("BOOKING_COMPLETED", "bookingId")],
    }
    assert [(await _node(api, b))["status"] for b in (upcoming, unpaid, seen)] == [
        "CONFIRMED",
        "AWAITING_PAYMENT",
        "COMPLETED",
    ]
    assert len(_completed_events(await _node(api, seen))) == 1


async def test_a_completed_booking_refuses_no_show_reschedule_transfers_and_cancel(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    # Given a completed visit, course and tour (the course and tour began yesterday)
    visit = await _visit(api, client, db, 2)
    course = await _paid(
        api, client, CREATE_COURSE, course_input(periodStart=_tomorrow(), periodEnd="2030-04-30")
    )
    tour = await _paid(api, client, CREATE_TOUR, tour_input(tourDate=_tomorrow()))
    for started in (course, tour):
        await _into_the_past(db, started, 48)
    for booking_id in (visit, course, tour):
        assert (await _complete(api, booking_id))["errors"] == []
    timelines = [len((await _node(api, b))["timeline"]["edges"]) for b in (visit, course, tour)]

    # When each change is tried
    codes = [
        await _codes(api, NO_SHOW, {"bookingId": visit}),
        await _codes(api, RESCHEDULE, {"bookingId": visit, **_slot(24), "reason": "moved"}),
        await _codes(api, TRANSFER_GROUP, {"bookingId": course, "groupId": "x", "reason": "r"}),
        await _codes(
            api,
            TRANSFER_TOUR,
            {"bookingId": tour, "newTourDate": "2030-07-01", "reason": "r", "cause": "WEATHER"},
        ),
        await _codes(api, CANCEL, {"bookingId": tour, "reason": "r", "cause": "OPERATOR"}),
    ]

    # Then each is BOOKING_COMPLETED and nothing is written
    assert codes == [["BOOKING_COMPLETED"]] * 5
    assert [
        len((await _node(api, b))["timeline"]["edges"]) for b in (visit, course, tour)
    ] == timelines


async def test_the_worker_completes_what_ended_long_enough_ago(
    api: Api, app: Any, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    # Given visits that ended 30 h and 2 h ago, one cancelled and one unpaid that ended 32 h
    # and 34 h ago, a tour that left 3 days ago and a course whose period ended 3 days ago
    old = await _visit(api, client, db, 31)
    recent = await _visit(api, client, db, 3)
    cancelled = await _paid(api, client, CREATE_CLINIC, clinic_input(**_slot(100 - 33)))
    assert (
        await _codes(
            api, CANCEL, {"bookingId": cancelled, "reason": "r", "cause": "CUSTOMER_REQUEST"}
        )
        == []
    )
    await _into_the_past(db, cancelled, 100)
    unpaid = await _visit(api, client, db, 35, paid=False)
    tour = await _paid(api, client, CREATE_TOUR, tour_input(tourDate=_tomorrow()))
    course = await _paid(
        api, client, CREATE_COURSE, course_input(periodStart=_tomorrow(), periodEnd=_tomorrow())
    )
    for ended in (tour, course):
        await _into_the_past(db, ended, 96)

    # When the worker's completion step runs (twice, as two servers would)
    await completion.complete_finished(db=app.state.db, after=timedelta(hours=24))
    await completion.complete_finished(db=app.state.db, after=timedelta(hours=24))

    # Then exactly the paid bookings whose service ended over 24 h ago are completed, once
    statuses = {
        name: (await _node(api, b))["status"]
        for name, b in (
            ("old", old),
            ("recent", recent),
            ("cancelled", cancelled),
            ("unpaid", unpaid),
            ("tour", tour),
            ("course", course),
        )
    }
    assert statuses == {
        "old": "COMPLETED",
        "recent": "CONFIRMED",
        "cancelled": "CANCELLED",
        "unpaid": "AWAITING_PAYMENT",
        "tour": "COMPLETED",
        "course": "COMPLETED",
    }
    (event,) = _completed_events(await _node(api, old))
    assert (event["actor"], event["reason"]) == ("system", "the service ended over 24 h ago")
    assert (event["data"]["old"], event["data"]["new"]) == (
        {"status": "CONFIRMED"},
        {"status": "COMPLETED"},
    )
    assert (await api.data(QUOTE, {"id": tour}))["refundQuote"]["path"] == "NONE"
