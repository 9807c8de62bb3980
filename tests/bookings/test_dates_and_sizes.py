"""Dates and sizes that make sense, refused with stable codes and nothing changed.

DATE_IN_PAST (tour dates, transfers, slots, reschedules, course starts before today's business
day; a slot once its start has passed), SLOT_TOO_LONG (over 24 hours), DUE_AFTER_SERVICE (an
installment due after the tour date, the slot's day or the course's end), TEXT_TOO_LONG
(free text beyond its stated maximum).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from payable.core import text
from payable.core.clock import BUSINESS_ZONE
from payable.core.principal import Role
from tests.api import Api
from tests.api_layer.test_validation import NOTHING, tenant_rows
from tests.bookings.factories import BOOKING_FIELDS
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.verticals.course.factories import CREATE_COURSE, course_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

READ = "query($id: ID!) { node(id: $id) { ... on PayableBooking { " + BOOKING_FIELDS + " } } }"
PAYLOAD = "errors { code field message } booking { id }"
RESCHEDULE = (
    "mutation($input: RescheduleAppointmentInput!) {"
    " rescheduleAppointment(input: $input) { " + PAYLOAD + " } }"
)
TRANSFER_TOUR = (
    "mutation($input: TransferTourInput!) { transferTour(input: $input) { " + PAYLOAD + " } }"
)
TRANSFER_ENROLLMENT = (
    "mutation($input: TransferEnrollmentInput!) {"
    " transferEnrollment(input: $input) { " + PAYLOAD + " } }"
)
DISCOUNT = (
    "mutation($input: ApplyDiscountInput!) { applyDiscount(input: $input) { " + PAYLOAD + " } }"
)
CANCEL = (
    "mutation($input: CancelBookingInput!) { cancelBooking(input: $input) { " + PAYLOAD + " } }"
)
NO_SHOW = "mutation($input: MarkNoShowInput!) { markNoShow(input: $input) { " + PAYLOAD + " } }"
ADD_NOTE = "mutation($input: AddNoteInput!) { addNote(input: $input) { " + PAYLOAD + " } }"
PUBLISH = """mutation($input: PublishPolicyInput!) { publishPolicy(input: $input) {
  errors { code field message } } }"""

TOO_LONG_REASON = "r" * (text.REASON_MAX + 1)


def day(offset: int) -> str:
    """A business day (Yerevan) ``offset`` days from today."""
    return (datetime.now(BUSINESS_ZONE).date() + timedelta(days=offset)).isoformat()


def slot(start: datetime, length: timedelta = timedelta(minutes=30)) -> dict[str, str]:
    start = start.replace(microsecond=0)
    return {"slotStart": start.isoformat(), "slotEnd": (start + length).isoformat()}


def hours_from_now(hours: float) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


def payload_of(data: dict[str, Any]) -> dict[str, Any]:
    (payload,) = data.values()
    return payload


def codes(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def create(api: Api, document: str, given: dict[str, Any]) -> str:
    payload = payload_of(await api.data(document, {"input": given}))
    assert payload["errors"] == [], payload["errors"]
    return payload["booking"]["id"]


async def read(api: Api, booking_id: str) -> dict[str, Any]:
    return (await api.data(READ, {"id": booking_id}))["node"]


async def refused_unchanged(
    api: Api, booking_id: str, document: str, given: dict[str, Any]
) -> list[tuple[str, str | None]]:
    """Run a change that must be refused; the booking reads the same before and after."""
    before = await read(api, booking_id)
    payload = payload_of(await api.data(document, {"input": given}))
    assert payload["booking"] is None
    assert await read(api, booking_id) == before
    return codes(payload)


# --- Creation ---------------------------------------------------------------------------------

CREATION_REFUSALS = [
    pytest.param(
        CREATE_TOUR, tour_input(tourDate=day(-1)), ("DATE_IN_PAST", "tourDate"), id="tour-past"
    ),
    pytest.param(
        CREATE_CLINIC,
        clinic_input(**slot(hours_from_now(-1))),
        ("DATE_IN_PAST", "slotStart"),
        id="slot-past",
    ),
    pytest.param(
        CREATE_CLINIC,
        clinic_input(slotStart="0001-01-01T10:00:00+00:00", slotEnd="0001-01-01T10:30:00+00:00"),
        ("DATE_IN_PAST", "slotStart"),
        id="slot-in-year-1",
    ),
    pytest.param(
        CREATE_CLINIC,
        clinic_input(**slot(hours_from_now(48), timedelta(hours=24, minutes=1))),
        ("SLOT_TOO_LONG", "slotEnd"),
        id="slot-over-a-day",
    ),
    pytest.param(
        CREATE_CLINIC,
        clinic_input(slotStart="2031-01-01T10:00:00+00:00", slotEnd="2131-01-01T10:00:00+00:00"),
        ("SLOT_TOO_LONG", "slotEnd"),
        id="slot-of-a-century",
    ),
    pytest.param(
        CREATE_COURSE,
        course_input(periodStart=day(-1), periodEnd=day(60)),
        ("DATE_IN_PAST", "periodStart"),
        id="course-started",
    ),
    pytest.param(
        CREATE_TOUR,
        tour_input(tourDate=day(30), depositAmount="20000.00", balanceDueDate=day(31)),
        ("DUE_AFTER_SERVICE", "balanceDueDate"),
        id="balance-after-tour",
    ),
    pytest.param(
        CREATE_TOUR,
        tour_input(
            tourDate=day(30),
            installments=[
                {"amount": "60000.00", "dueDate": day(0)},
                {"amount": "60000.00", "dueDate": day(31)},
            ],
        ),
        ("DUE_AFTER_SERVICE", "installments.1.dueDate"),
        id="installment-after-tour",
    ),
    pytest.param(
        CREATE_CLINIC,
        clinic_input(
            slotStart=f"{day(10)}T10:00:00+04:00",
            slotEnd=f"{day(10)}T10:30:00+04:00",
            installments=[{"amount": "15000.00", "dueDate": day(11)}],
        ),
        ("DUE_AFTER_SERVICE", "installments.0.dueDate"),
        id="installment-after-slot",
    ),
    pytest.param(
        CREATE_COURSE,
        course_input(
            periodStart=day(1),
            periodEnd=day(90),
            installments=[
                {"amount": "45000.00", "dueDate": day(1)},
                {"amount": "45000.00", "dueDate": day(91)},
            ],
        ),
        ("DUE_AFTER_SERVICE", "installments.1.dueDate"),
        id="installment-after-course",
    ),
    *(
        pytest.param(document, given, ("TEXT_TOO_LONG", field), id=f"long-{field}")
        for document, given, field in [
            (CREATE_TOUR, tour_input(customerRef="x" * 129), "customerRef"),
            (CREATE_CLINIC, clinic_input(crmReference="c" * 129), "crmReference"),
            (CREATE_TOUR, tour_input(packageId="p" * 129), "packageId"),
            (CREATE_CLINIC, clinic_input(serviceId="s" * 129), "serviceId"),
            (CREATE_COURSE, course_input(groupId="g" * 129), "groupId"),
            (CREATE_TOUR, tour_input(managerReference="m" * 129), "managerReference"),
            (CREATE_TOUR, tour_input(sourceChannel="s" * 65), "sourceChannel"),
            (
                CREATE_COURSE,
                course_input(
                    installments=[{"amount": "90000.00", "dueDate": day(1), "label": "l" * 65}]
                ),
                "installments.0.label",
            ),
        ]
    ),
]


@pytest.mark.parametrize(("document", "given", "expected"), CREATION_REFUSALS)
async def test_creation_refusals_change_nothing(
    api: Api, db: asyncpg.Connection, document: str, given: dict[str, Any], expected: tuple
) -> None:
    # Given a tenant that exists and holds nothing
    await api.data("{ bookings(first: 1) { totalCount } }")

    # When
    payload = payload_of(await api.data(document, {"input": given}))

    # Then
    assert codes(payload) == [expected]
    assert payload["booking"] is None
    assert await tenant_rows(db, api.tenant) == NOTHING


async def test_today_and_the_limits_themselves_are_accepted(api: Api) -> None:
    """The business day itself, a 24-hour slot, payment on the service day, full-length text."""
    tour = await create(
        api,
        CREATE_TOUR,
        tour_input(
            tourDate=day(0),
            customerRef="x" * text.REFERENCE_MAX,
            sourceChannel="s" * text.SHORT_MAX,
        ),
    )
    clinic = await create(
        api, CREATE_CLINIC, clinic_input(**slot(hours_from_now(2), timedelta(hours=24)))
    )
    course = await create(
        api,
        CREATE_COURSE,
        course_input(
            periodStart=day(0),
            periodEnd=day(30),
            installments=[{"amount": "90000.00", "dueDate": day(30), "label": "l" * 64}],
        ),
    )

    assert (await read(api, tour))["tourDate"] == day(0)
    assert (await read(api, clinic))["status"] == "AWAITING_PAYMENT"
    assert (await read(api, course))["schedule"][0]["label"] == "l" * 64


# --- Changes ----------------------------------------------------------------------------------


async def test_tour_transfer_into_the_past_is_refused(api: Api) -> None:
    booking_id = await create(api, CREATE_TOUR, tour_input(tourDate=day(10)))

    refused = await refused_unchanged(
        api,
        booking_id,
        TRANSFER_TOUR,
        {"bookingId": booking_id, "newTourDate": day(-1), "reason": "x", "cause": "OPERATOR"},
    )

    assert refused == [("DATE_IN_PAST", "newTourDate")]


@pytest.mark.parametrize(
    ("moved", "expected"),
    [
        (slot(hours_from_now(-2)), ("DATE_IN_PAST", "slotStart")),
        (slot(hours_from_now(24), timedelta(days=36500)), ("SLOT_TOO_LONG", "slotEnd")),
    ],
    ids=["into-the-past", "a-century-long"],
)
async def test_reschedule_refusals_change_nothing(
    api: Api, moved: dict[str, str], expected: tuple[str, str]
) -> None:
    booking_id = await create(api, CREATE_CLINIC, clinic_input())

    refused = await refused_unchanged(
        api, booking_id, RESCHEDULE, {"bookingId": booking_id, "reason": "moved", **moved}
    )

    assert refused == [expected]


async def test_too_long_reasons_and_ids_are_refused_on_every_change(
    api: Api, db: asyncpg.Connection
) -> None:
    tour = await create(api, CREATE_TOUR, tour_input(tourDate=day(10)))
    course = await create(api, CREATE_COURSE, course_input())
    clinic = await create(api, CREATE_CLINIC, clinic_input())

    attempts = [
        (tour, TRANSFER_TOUR, {"newTourDate": day(12), "cause": "WEATHER"}, "reason"),
        (tour, DISCOUNT, {"amount": "100.00"}, "reason"),
        (tour, CANCEL, {"cause": "CUSTOMER_REQUEST"}, "reason"),
        (course, TRANSFER_ENROLLMENT, {"groupId": "morning"}, "reason"),
        (clinic, NO_SHOW, {}, "reason"),
        (clinic, RESCHEDULE, slot(hours_from_now(72)), "reason"),
    ]
    for booking_id, document, given, field in attempts:
        refused = await refused_unchanged(
            api, booking_id, document, {"bookingId": booking_id, "reason": TOO_LONG_REASON, **given}
        )
        assert refused == [("TEXT_TOO_LONG", field)], document

    long_group = await refused_unchanged(
        api,
        course,
        TRANSFER_ENROLLMENT,
        {"bookingId": course, "groupId": "g" * 129, "reason": "x"},
    )
    long_note = await refused_unchanged(
        api, clinic, ADD_NOTE, {"bookingId": clinic, "text": "n" * 2001}
    )
    assert (long_group, long_note) == ([("TEXT_TOO_LONG", "groupId")], [("TEXT_TOO_LONG", "text")])
    tenant = await db.fetchval("SELECT id FROM tenants WHERE slug = $1", api.tenant)
    assert (
        await db.fetchval("SELECT count(*) FROM booking_events WHERE tenant_id = $1", tenant) == 3
    )  # the three CREATED events


async def test_a_policy_code_beyond_its_length_is_refused(api: Api) -> None:
    admin = api.as_role(Role.ADMIN)
    terms = {"freeCancellationHours": 48, "lateCancellationRefundPercent": 25}
    given = {"kind": "CLINIC_APPOINTMENT", "code": "x" * 65, "noShowRefundPercent": 0, **terms}

    payload = payload_of(await admin.data(PUBLISH, {"input": given}))

    assert codes(payload) == [("TEXT_TOO_LONG", "code")]


async def test_a_reason_of_the_maximum_length_is_accepted(api: Api) -> None:
    booking_id = await create(api, CREATE_TOUR, tour_input(tourDate=day(10)))
    reason = "r" * text.REASON_MAX

    payload = payload_of(
        await api.data(
            CANCEL, {"input": {"bookingId": booking_id, "reason": reason, "cause": "OPERATOR"}}
        )
    )

    assert payload["errors"] == []
    [event] = [
        e["node"]
        for e in (await read(api, booking_id))["timeline"]["edges"]
        if e["node"]["type"] == "CANCELLED"
    ]
    assert event["reason"] == reason


# --- What is owed follows the service ---------------------------------------------------------


async def test_an_earlier_tour_pulls_the_unpaid_balance_forward(api: Api) -> None:
    """The balance was due on the old tour date; on the new, earlier one it falls due then."""
    # Given a deposit now and the balance on the tour date
    booking_id = await create(
        api, CREATE_TOUR, tour_input(tourDate=day(30), depositAmount="20000.00")
    )
    before = await read(api, booking_id)
    assert [line["dueDate"] for line in before["schedule"]] == [day(0), day(30)]

    # When the tour moves ten days earlier
    payload = payload_of(
        await api.data(
            TRANSFER_TOUR,
            {
                "input": {
                    "bookingId": booking_id,
                    "newTourDate": day(20),
                    "reason": "earlier departure",
                    "cause": "OPERATOR",
                }
            },
        )
    )

    # Then the balance is due on the new date, and the event says which line moved
    assert payload["errors"] == []
    after = await read(api, booking_id)
    assert [line["dueDate"] for line in after["schedule"]] == [day(0), day(20)]
    [event] = [
        e["node"] for e in after["timeline"]["edges"] if e["node"]["type"] == "TOUR_TRANSFERRED"
    ]
    assert json.loads(event["data"]) == {
        "old": {"tourDate": day(30)},
        "new": {"tourDate": day(20)},
        "cause": "OPERATOR",
        "dueDatesMoved": [{"sequence": 2, "old": day(30), "new": day(20)}],
    }
