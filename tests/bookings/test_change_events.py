"""Every change event tells the truth: ``old`` is what was read before, ``new`` what is read after.

Each test reads the booking through the API, changes it, reads it again and reads the event:
``old`` equals the values read before, ``new`` the values read after, and they differ. Keys
are camelCase, datetimes UTC ISO 8601, money ``{amount, currency}``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from payable.core.clock import BUSINESS_ZONE
from payable.core.ids import from_global_id
from tests.api import Api
from tests.payments.factories import pay_on_page, request_link
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.verticals.course.factories import CREATE_COURSE, course_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

READ = """query($id: ID!) { node(id: $id) { ... on PayableBooking {
  id status price { amount currency }
  timeline(first: 50) { edges { node { type actor reason data } } }
  ... on ClinicAppointment { specialistId slotStart slotEnd }
  ... on CourseEnrollment { groupId }
  ... on TourBooking { tourDate participantCount } } } }"""

PAYLOAD = "errors { code field message } booking { id }"
RESCHEDULE = (
    "mutation($input: RescheduleAppointmentInput!) {"
    " rescheduleAppointment(input: $input) { " + PAYLOAD + " } }"
)
TRANSFER_ENROLLMENT = (
    "mutation($input: TransferEnrollmentInput!) {"
    " transferEnrollment(input: $input) { " + PAYLOAD + " } }"
)
TRANSFER_TOUR = (
    "mutation($input: TransferTourInput!) { transferTour(input: $input) { " + PAYLOAD + " } }"
)
ADJUST = (
    "mutation($input: AdjustTourParticipantsInput!) {"
    " adjustTourParticipants(input: $input) { " + PAYLOAD + " } }"
)
DISCOUNT = (
    "mutation($input: ApplyDiscountInput!) { applyDiscount(input: $input) { " + PAYLOAD + " } }"
)
CANCEL = (
    "mutation($input: CancelBookingInput!) { cancelBooking(input: $input) { " + PAYLOAD + " } }"
)
NO_SHOW = "mutation($input: MarkNoShowInput!) { markNoShow(input: $input) { " + PAYLOAD + " } }"
DEPARTURE = """mutation($input: CancelTourDepartureInput!) { cancelTourDeparture(input: $input) {
  errors { code } bookings { id } } }"""


# --- Helpers ------------------------------------------------------------------------------------


async def create(api: Api, document: str, given: dict[str, Any]) -> str:
    payload = next(iter((await api.data(document, {"input": given})).values()))
    assert payload["errors"] == [], payload["errors"]
    return payload["booking"]["id"]


async def read(api: Api, booking_id: str) -> dict[str, Any]:
    return (await api.data(READ, {"id": booking_id}))["node"]


async def change(api: Api, document: str, given: dict[str, Any]) -> None:
    payload = next(iter((await api.data(document, {"input": given})).values()))
    assert payload["errors"] == [], payload["errors"]


def event(node: dict[str, Any], type: str) -> dict[str, Any]:
    """The booking's only event of ``type``, its data decoded."""
    [found] = [e["node"] for e in node["timeline"]["edges"] if e["node"]["type"] == type]
    return found | {"data": json.loads(found["data"])}


def utc(value: str) -> str:
    """An API datetime as the timeline writes it: UTC, ISO 8601."""
    return datetime.fromisoformat(value).astimezone(UTC).isoformat()


def assert_truthful(data: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> None:
    assert data["old"] == before
    assert data["new"] == after
    assert data["old"] != data["new"]


def business_day(days_ahead: int) -> str:
    return (datetime.now(BUSINESS_ZONE).date() + timedelta(days=days_ahead)).isoformat()


# --- Vertical changes ---------------------------------------------------------------------------


async def test_rescheduled_records_the_slot_before_and_after_in_utc(api: Api) -> None:
    # Given an appointment, read through the API
    booking_id = await create(api, CREATE_CLINIC, clinic_input(specialistId="dr-1"))
    before = await read(api, booking_id)

    # When it moves to another specialist, the new times given at Yerevan's offset
    await change(
        api,
        RESCHEDULE,
        {
            "bookingId": booking_id,
            "slotStart": "2031-03-01T14:00:00+04:00",
            "slotEnd": "2031-03-01T14:45:00+04:00",
            "specialistId": "dr-2",
            "reason": "doctor on leave",
        },
    )

    # Then old is what was read before, new what is read after, both in UTC
    after = await read(api, booking_id)
    data = event(after, "RESCHEDULED")["data"]
    keys = ("specialistId", "slotStart", "slotEnd")
    assert_truthful(
        data,
        {k: utc(before[k]) if k != "specialistId" else before[k] for k in keys},
        {k: utc(after[k]) if k != "specialistId" else after[k] for k in keys},
    )
    assert data["new"] == {
        "specialistId": "dr-2",
        "slotStart": "2031-03-01T10:00:00+00:00",
        "slotEnd": "2031-03-01T10:45:00+00:00",
    }


async def test_group_transferred_records_the_group_before_and_after(api: Api) -> None:
    # Given
    booking_id = await create(api, CREATE_COURSE, course_input(groupId="evening"))
    before = await read(api, booking_id)

    # When
    await change(
        api,
        TRANSFER_ENROLLMENT,
        {"bookingId": booking_id, "groupId": "morning", "reason": "works evenings now"},
    )

    # Then
    after = await read(api, booking_id)
    found = event(after, "GROUP_TRANSFERRED")
    assert_truthful(found["data"], {"groupId": before["groupId"]}, {"groupId": after["groupId"]})
    assert (found["data"]["new"], found["reason"]) == ({"groupId": "morning"}, "works evenings now")


async def test_tour_transferred_records_the_date_before_and_after(api: Api) -> None:
    # Given a tour on one date
    booking_id = await create(api, CREATE_TOUR, tour_input(tourDate=business_day(30)))
    before = await read(api, booking_id)

    # When the weather moves it a week later
    await change(
        api,
        TRANSFER_TOUR,
        {
            "bookingId": booking_id,
            "newTourDate": business_day(37),
            "reason": "storm",
            "cause": "WEATHER",
        },
    )

    # Then
    after = await read(api, booking_id)
    data = event(after, "TOUR_TRANSFERRED")["data"]
    assert_truthful(data, {"tourDate": before["tourDate"]}, {"tourDate": after["tourDate"]})
    assert data == {
        "old": {"tourDate": business_day(30)},
        "new": {"tourDate": business_day(37)},
        "cause": "WEATHER",
    }


async def test_participants_adjusted_records_count_and_price_before_and_after(api: Api) -> None:
    # Given two participants for 120000
    booking_id = await create(
        api,
        CREATE_TOUR,
        tour_input(participantCount=2, price={"amount": "120000.00", "currency": "AMD"}),
    )
    before = await read(api, booking_id)

    # When a third joins
    await change(
        api, ADJUST, {"bookingId": booking_id, "participantCount": 3, "reason": "a friend joins"}
    )

    # Then count and price are recorded as read before and after
    after = await read(api, booking_id)
    data = event(after, "PARTICIPANTS_ADJUSTED")["data"]
    assert_truthful(
        data,
        {"participantCount": before["participantCount"], "price": before["price"]},
        {"participantCount": after["participantCount"], "price": after["price"]},
    )
    assert data["new"] == {
        "participantCount": 3,
        "price": {"amount": "180000.00", "currency": "AMD"},
    }
    assert data["overpaid"] == {"amount": "0.00", "currency": "AMD"}


async def test_discount_applied_records_the_price_before_and_after(
    api: Api, client: httpx.AsyncClient
) -> None:
    # Given a paid appointment
    booking_id = await create(
        api, CREATE_CLINIC, clinic_input(price={"amount": "15000.00", "currency": "AMD"})
    )
    await pay_on_page(client, (await request_link(api, booking_id))["paymentUrl"])
    before = await read(api, booking_id)

    # When a manager gives 2000 off
    await change(
        api, DISCOUNT, {"bookingId": booking_id, "amount": "2000.00", "reason": "long wait"}
    )

    # Then the price moved from what was read to what is read, and the excess shows
    after = await read(api, booking_id)
    data = event(after, "DISCOUNT_APPLIED")["data"]
    assert_truthful(data, {"price": before["price"]}, {"price": after["price"]})
    assert data["new"] == {"price": {"amount": "13000.00", "currency": "AMD"}}
    assert data["discount"] == {"amount": "2000.00", "currency": "AMD"}
    assert data["overpaid"] == {"amount": "2000.00", "currency": "AMD"}


# --- Closing ------------------------------------------------------------------------------------


async def test_cancelled_records_the_status_before_and_after(api: Api) -> None:
    booking_id = await create(api, CREATE_CLINIC, clinic_input())
    before = await read(api, booking_id)

    await change(
        api,
        CANCEL,
        {"bookingId": booking_id, "reason": "moved away", "cause": "CUSTOMER_REQUEST"},
    )

    after = await read(api, booking_id)
    data = event(after, "CANCELLED")["data"]
    assert_truthful(data, {"status": before["status"]}, {"status": after["status"]})
    assert data["cause"] == "CUSTOMER_REQUEST"


async def test_weather_cancelled_records_the_status_before_and_after(api: Api) -> None:
    day = business_day(20)
    booking_id = await create(api, CREATE_TOUR, tour_input(tourDate=day, packageId="sevan"))
    before = await read(api, booking_id)

    data = await api.data(
        DEPARTURE,
        {"input": {"packageId": "sevan", "tourDate": day, "reason": "storm", "cause": "WEATHER"}},
    )
    assert data["cancelTourDeparture"]["errors"] == []

    after = await read(api, booking_id)
    found = event(after, "WEATHER_CANCELLED")["data"]
    assert_truthful(found, {"status": before["status"]}, {"status": after["status"]})
    assert found["cause"] == "WEATHER"


async def test_no_show_records_the_status_before_and_after(
    api: Api, db: asyncpg.Connection
) -> None:
    booking_id = await create(api, CREATE_CLINIC, clinic_input())
    await db.execute(  # the appointment started an hour ago
        """UPDATE clinic_appointments SET slot_start = now() - interval '1 hour',
               slot_end = now() - interval '30 minutes' WHERE booking_id = $1""",
        from_global_id(booking_id)[1],
    )
    before = await read(api, booking_id)

    await change(api, NO_SHOW, {"bookingId": booking_id, "reason": "did not come"})

    after = await read(api, booking_id)
    data = event(after, "NO_SHOW")["data"]
    assert_truthful(data, {"status": before["status"]}, {"status": after["status"]})
    assert data["cause"] == "NO_SHOW"


# --- One casing ---------------------------------------------------------------------------------


async def test_created_event_uses_camel_case_keys_and_utc_datetimes(api: Api) -> None:
    booking_id = await create(
        api,
        CREATE_CLINIC,
        clinic_input(slotStart="2031-05-01T13:00:00+04:00", slotEnd="2031-05-01T13:30:00+04:00"),
    )

    data = event(await read(api, booking_id), "CREATED")["data"]

    assert {"serviceId", "specialistId", "branchId", "slotStart", "slotEnd"} <= set(data)
    assert not [key for key in data if "_" in key]
    assert (data["slotStart"], data["slotEnd"]) == (
        "2031-05-01T09:00:00+00:00",
        "2031-05-01T09:30:00+00:00",
    )


async def test_a_change_that_changes_nothing_is_refused_and_recorded_nowhere(api: Api) -> None:
    """The same slot again (written at another offset) would be an event that says nothing."""
    # Given
    booking_id = await create(
        api,
        CREATE_CLINIC,
        clinic_input(slotStart="2031-06-01T10:00:00+00:00", slotEnd="2031-06-01T10:30:00+00:00"),
    )
    before = await read(api, booking_id)

    # When
    data = await api.data(
        RESCHEDULE,
        {
            "input": {
                "bookingId": booking_id,
                "slotStart": "2031-06-01T14:00:00+04:00",
                "slotEnd": "2031-06-01T14:30:00+04:00",
                "reason": "same time",
            }
        },
    )

    # Then
    payload = data["rescheduleAppointment"]
    assert [e["code"] for e in payload["errors"]] == ["NO_CHANGE"]
    assert await read(api, booking_id) == before
