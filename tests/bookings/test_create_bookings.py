"""Creating bookings: what comes back from each vertical's create mutation, and how they list.

Every new booking starts AWAITING_PAYMENT / UNPAID under the tenant's default policy for its
kind, with a schedule that adds up to its price and a CREATED event at the head of its timeline.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest

from payable.core import clock
from tests.api import Api
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.verticals.course.factories import CREATE_COURSE, course_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

BOOKINGS = """
query($first: Int, $after: String, $kind: BookingKind, $status: BookingStatus,
      $paymentStatus: PaymentStatus) {
  bookings(first: $first, after: $after, kind: $kind, status: $status,
           paymentStatus: $paymentStatus) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { __typename id kind reference status paymentStatus createdAt } }
  }
}
"""

NODE = """
query($id: ID!) {
  node(id: $id) { __typename id ... on PayableBooking { kind reference price { amount currency } } }
}
"""

# Crockford base32 without I, L, O, U: references are read out over the phone.
REFERENCE_CHARS = "[0-9A-HJKMNP-TV-Z]{8}"

DEFAULT_POLICY = {
    "version": 1,
    "freeCancellationHours": 24,
    "lateCancellationRefundPercent": 50,
    "noShowRefundPercent": 0,
}

Case = tuple[str, str, Any]  # document, mutation field, input factory

VERTICALS: dict[str, Case] = {
    "clinic": (CREATE_CLINIC, "createClinicAppointment", clinic_input),
    "course": (CREATE_COURSE, "createCourseEnrollment", course_input),
    "tour": (CREATE_TOUR, "createTourBooking", tour_input),
}


def money(amount: str, currency: str = "AMD") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


async def create(api: Api, document: str, variables_input: dict[str, Any]) -> dict[str, Any]:
    """Run a create mutation that must succeed; the booking it returns."""
    data = await api.data(document, {"input": variables_input})
    (payload,) = data.values()
    assert payload["errors"] == [], payload["errors"]
    assert payload["booking"] is not None
    return payload["booking"]


def assert_new_booking(
    booking: dict[str, Any],
    *,
    typename: str,
    kind: str,
    prefix: str,
    price: dict[str, str],
    customer_ref: str,
    policy_code: str,
) -> None:
    """The shared contract of a freshly created booking, whatever its vertical."""
    zero = money("0.00", price["currency"])
    assert booking["__typename"] == typename
    assert booking["kind"] == kind
    assert re.fullmatch(f"{prefix}-{REFERENCE_CHARS}", booking["reference"]), booking["reference"]
    assert booking["status"] == "AWAITING_PAYMENT"
    assert booking["paymentStatus"] == "UNPAID"
    assert booking["price"] == price
    assert booking["amountPaid"] == zero
    assert booking["amountRefunded"] == zero
    assert booking["balanceDue"] == price
    assert booking["customer"]["externalRef"] == customer_ref
    assert booking["customer"]["id"]
    assert (
        booking["policy"] == {"id": booking["policy"]["id"], "code": policy_code} | DEFAULT_POLICY
    )
    assert booking["paymentRequests"] == []
    assert booking["payments"] == []
    assert booking["refunds"] == []
    assert booking["createdAt"] == booking["updatedAt"]
    assert datetime.fromisoformat(booking["createdAt"]).tzinfo is not None


def created_event(booking: dict[str, Any]) -> dict[str, Any]:
    edges = booking["timeline"]["edges"]
    assert edges, "the timeline is empty"
    return edges[0]["node"]


# --- One happy path per vertical ----------------------------------------------------------------


async def test_create_clinic_appointment_returns_the_full_contract(api: Api) -> None:
    """A clinic appointment comes back complete, with its slot fields as given."""
    # Given
    given = clinic_input(
        customerRef="patient-77",
        crmReference="crm-appt-1",
        serviceId="mri",
        specialistId="dr-house",
        branchId="north",
        price=money("15000.00"),
    )

    # When
    booking = await create(api, CREATE_CLINIC, given)

    # Then
    assert_new_booking(
        booking,
        typename="ClinicAppointment",
        kind="CLINIC_APPOINTMENT",
        prefix="CL",
        price=money("15000.00"),
        customer_ref="patient-77",
        policy_code="clinic-standard",
    )
    assert booking["crmReference"] == "crm-appt-1"
    assert booking["serviceId"] == "mri"
    assert booking["specialistId"] == "dr-house"
    assert booking["branchId"] == "north"
    assert datetime.fromisoformat(booking["slotStart"]) == datetime.fromisoformat(
        given["slotStart"]
    )
    assert datetime.fromisoformat(booking["slotEnd"]) == datetime.fromisoformat(given["slotEnd"])


async def test_create_course_enrollment_returns_the_full_contract(api: Api) -> None:
    """A course enrollment comes back complete, with its period and no access before payment."""
    # Given
    given = course_input(
        customerRef="student-9",
        studentId="s-9",
        courseId="data-science",
        groupId="morning",
        periodStart="2030-09-01",
        periodEnd="2030-12-31",
        price=money("250.50", "USD"),
    )

    # When
    booking = await create(api, CREATE_COURSE, given)

    # Then
    assert_new_booking(
        booking,
        typename="CourseEnrollment",
        kind="COURSE_ENROLLMENT",
        prefix="CO",
        price=money("250.50", "USD"),
        customer_ref="student-9",
        policy_code="course-standard",
    )
    assert booking["crmReference"] is None
    assert booking["studentId"] == "s-9"
    assert booking["courseId"] == "data-science"
    assert booking["groupId"] == "morning"
    assert booking["periodStart"] == "2030-09-01"
    assert booking["periodEnd"] == "2030-12-31"
    assert booking["accessStatus"] == "NONE"


async def test_create_tour_booking_returns_the_full_contract(api: Api) -> None:
    """A tour booking comes back complete, with its package, party size and channel."""
    # Given
    given = tour_input(
        customerRef="traveller-5",
        tourDate="2030-07-15",
        packageId="sevan",
        participantCount=4,
        managerReference="mgr-12",
        sourceChannel="instagram",
        price=money("480000.00"),
    )

    # When
    booking = await create(api, CREATE_TOUR, given)

    # Then
    assert_new_booking(
        booking,
        typename="TourBooking",
        kind="TOUR_BOOKING",
        prefix="TR",
        price=money("480000.00"),
        customer_ref="traveller-5",
        policy_code="tour-standard",
    )
    assert booking["tourDate"] == "2030-07-15"
    assert booking["packageId"] == "sevan"
    assert booking["participantCount"] == 4
    assert booking["managerReference"] == "mgr-12"
    assert booking["sourceChannel"] == "instagram"


# --- Schedules ----------------------------------------------------------------------------------


@pytest.mark.parametrize("vertical", list(VERTICALS))
async def test_without_installments_the_whole_price_is_one_full_payment_due_today(
    api: Api, vertical: str
) -> None:
    """No installments (and, for tours, no deposit): one "full payment" line for the price."""
    # Given
    document, _, make_input = VERTICALS[vertical]
    given = make_input(price=money("12345.67"))

    # When
    booking = await create(api, document, given)

    # Then
    (line,) = booking["schedule"]
    assert line["sequence"] == 1
    assert line["label"] == "full payment"
    assert line["amountDue"] == money("12345.67")
    assert line["amountPaid"] == {"amount": "0.00"}
    assert line["dueDate"] == clock.today().isoformat()
    assert line["graceDays"] == 0
    assert line["status"] == "DUE"
    assert line["activePaymentRequest"] is None


async def test_explicit_installments_are_kept_sorted_by_due_date(api: Api) -> None:
    """Client installments are stored in due-date order, numbered 1..n, with labels and grace."""
    # Given: three lines that add up to the price, sent out of order
    given = course_input(
        price=money("90000.00"),
        installments=[
            {"amount": "30000.00", "dueDate": "2030-04-01", "label": "April", "graceDays": 5},
            {"amount": "20000.00", "dueDate": "2030-02-01", "label": "February", "graceDays": 3},
            {"amount": "40000.00", "dueDate": "2030-03-01", "label": "March"},
        ],
    )

    # When
    booking = await create(api, CREATE_COURSE, given)

    # Then
    schedule = [
        (s["sequence"], s["label"], s["amountDue"], s["dueDate"], s["graceDays"], s["status"])
        for s in booking["schedule"]
    ]
    assert schedule == [
        (1, "February", money("20000.00"), "2030-02-01", 3, "UPCOMING"),
        (2, "March", money("40000.00"), "2030-03-01", 0, "UPCOMING"),
        (3, "April", money("30000.00"), "2030-04-01", 5, "UPCOMING"),
    ]
    assert booking["balanceDue"] == money("90000.00")


async def test_default_installment_labels_follow_the_sequence(api: Api) -> None:
    """Unlabelled installments are called "installment N" where N is their place in the schedule."""
    # Given: unlabelled lines, the later one first
    given = course_input(
        price=money("90000.00"),
        installments=[
            {"amount": "30000.00", "dueDate": "2030-03-01"},
            {"amount": "60000.00", "dueDate": "2030-02-01"},
        ],
    )

    # When
    booking = await create(api, CREATE_COURSE, given)

    # Then
    assert [(s["sequence"], s["dueDate"], s["label"]) for s in booking["schedule"]] == [
        (1, "2030-02-01", "installment 1"),
        (2, "2030-03-01", "installment 2"),
    ]


async def test_tour_deposit_with_balance_due_date_splits_into_deposit_and_balance(
    api: Api,
) -> None:
    """depositAmount + balanceDueDate: a deposit due today and the rest due on that date."""
    # Given
    given = tour_input(
        price=money("120000.00"),
        tourDate="2030-06-01",
        depositAmount="20000.00",
        balanceDueDate="2030-05-01",
    )

    # When
    booking = await create(api, CREATE_TOUR, given)

    # Then
    deposit, balance = booking["schedule"]
    assert (deposit["sequence"], deposit["label"]) == (1, "deposit")
    assert deposit["amountDue"] == money("20000.00")
    assert deposit["dueDate"] == clock.today().isoformat()
    assert (balance["sequence"], balance["label"]) == (2, "balance")
    assert balance["amountDue"] == money("100000.00")
    assert balance["dueDate"] == "2030-05-01"
    assert booking["balanceDue"] == money("120000.00")


async def test_tour_deposit_alone_puts_the_balance_on_the_tour_date(api: Api) -> None:
    """depositAmount without balanceDueDate: the balance falls due on the tour date."""
    # Given
    given = tour_input(price=money("75000.50"), tourDate="2030-08-20", depositAmount="10000.25")

    # When
    booking = await create(api, CREATE_TOUR, given)

    # Then
    assert [(s["label"], s["amountDue"], s["dueDate"]) for s in booking["schedule"]] == [
        ("deposit", money("10000.25"), clock.today().isoformat()),
        ("balance", money("65000.25"), "2030-08-20"),
    ]


@pytest.mark.parametrize("role", ["admin", "operator", "support"])
async def test_staff_roles_may_create_bookings(api: Api, role: str) -> None:
    """Admins, operators and support staff create bookings; the event names who did it."""
    # Given
    caller = api.as_role(role, sub=f"{role}-7")

    # When
    booking = await create(caller, CREATE_COURSE, course_input())

    # Then
    assert booking["status"] == "AWAITING_PAYMENT"
    assert created_event(booking)["actor"] == f"{role}-7"


# --- Timeline, customers, policies, node --------------------------------------------------------


async def test_created_event_heads_the_timeline_with_actor_price_and_schedule(api: Api) -> None:
    """The CREATED event comes first, names the token's sub and records price and schedule."""
    # Given
    operator = api.as_role("operator", sub="anna@clinic")
    given = clinic_input(price=money("15000.00"))

    # When
    booking = await create(operator, CREATE_CLINIC, given)

    # Then
    event = created_event(booking)
    assert event["type"] == "CREATED"
    assert event["actor"] == "anna@clinic"
    data = json.loads(event["data"])
    assert data["kind"] == "CLINIC_APPOINTMENT"
    assert data["reference"] == booking["reference"]
    assert data["price"] == money("15000.00")
    assert data["schedule"] == [
        {"amount": "15000.00", "dueDate": clock.today().isoformat(), "label": "full payment"}
    ]
    assert datetime.fromisoformat(event["occurredAt"]) == datetime.fromisoformat(
        booking["createdAt"]
    )


async def test_created_event_records_a_tour_deposit_schedule(api: Api) -> None:
    """The CREATED event's schedule is the one stored: deposit and balance for a tour."""
    # Given
    given = tour_input(price=money("120000.00"), tourDate="2030-06-01", depositAmount="20000.00")

    # When
    booking = await create(api, CREATE_TOUR, given)

    # Then
    data = json.loads(created_event(booking)["data"])
    assert data["price"] == money("120000.00")
    assert data["schedule"] == [
        {"amount": "20000.00", "dueDate": clock.today().isoformat(), "label": "deposit"},
        {"amount": "100000.00", "dueDate": "2030-06-01", "label": "balance"},
    ]


async def test_same_customer_ref_finds_the_same_customer(api: Api) -> None:
    """A customerRef seen before is the same customer, across verticals; a new one is new."""
    # Given
    first = await create(api, CREATE_CLINIC, clinic_input(customerRef="crm-42"))

    # When
    again = await create(api, CREATE_TOUR, tour_input(customerRef="crm-42"))
    other = await create(api, CREATE_CLINIC, clinic_input(customerRef="crm-43"))

    # Then
    assert again["customer"] == first["customer"]
    assert other["customer"]["id"] != first["customer"]["id"]
    assert other["customer"]["externalRef"] == "crm-43"


@pytest.mark.parametrize("vertical", list(VERTICALS))
async def test_named_default_policy_code_is_accepted(api: Api, vertical: str) -> None:
    """Naming the kind's standard policy gives the same policy version as the default."""
    # Given
    document, _, make_input = VERTICALS[vertical]
    default = await create(api, document, make_input())
    code = default["policy"]["code"]

    # When
    named = await create(api, document, make_input(policyCode=code))

    # Then
    assert named["policy"] == default["policy"]
    assert code == f"{vertical}-standard"


@pytest.mark.parametrize("vertical", list(VERTICALS))
async def test_node_returns_the_booking_by_its_global_id(api: Api, vertical: str) -> None:
    """node(id:) finds a booking by its global id, as its own vertical type."""
    # Given
    document, _, make_input = VERTICALS[vertical]
    booking = await create(api, document, make_input())

    # When
    found = (await api.data(NODE, {"id": booking["id"]}))["node"]

    # Then
    assert found == {
        "__typename": booking["__typename"],
        "id": booking["id"],
        "kind": booking["kind"],
        "reference": booking["reference"],
        "price": booking["price"],
    }


# --- Listing ------------------------------------------------------------------------------------


async def create_mixed(api: Api) -> list[dict[str, Any]]:
    """Two clinic appointments, two course enrollments and one tour, in this order."""
    return [
        await create(api, CREATE_CLINIC, clinic_input()),
        await create(api, CREATE_COURSE, course_input()),
        await create(api, CREATE_TOUR, tour_input()),
        await create(api, CREATE_CLINIC, clinic_input()),
        await create(api, CREATE_COURSE, course_input()),
    ]


async def test_bookings_filter_by_kind(api: Api) -> None:
    """kind: lists only bookings of that kind, and totalCount counts only those."""
    # Given
    created = await create_mixed(api)

    # When
    listed = {
        kind: (await api.data(BOOKINGS, {"kind": kind}))["bookings"]
        for kind in ("CLINIC_APPOINTMENT", "COURSE_ENROLLMENT", "TOUR_BOOKING")
    }

    # Then
    for kind, connection in listed.items():
        expected = [b["id"] for b in reversed(created) if b["kind"] == kind]
        assert [e["node"]["id"] for e in connection["edges"]] == expected
        assert connection["totalCount"] == len(expected)
        assert {e["node"]["kind"] for e in connection["edges"]} == {kind}


@pytest.mark.parametrize(
    ("filters", "matches"),
    [
        ({"status": "AWAITING_PAYMENT"}, True),
        ({"status": "CONFIRMED"}, False),
        ({"status": "CANCELLED"}, False),
        ({"paymentStatus": "UNPAID"}, True),
        ({"paymentStatus": "PAID"}, False),
        ({"paymentStatus": "DEPOSIT_PAID"}, False),
        ({"kind": "TOUR_BOOKING", "status": "AWAITING_PAYMENT", "paymentStatus": "UNPAID"}, True),
        ({"kind": "TOUR_BOOKING", "paymentStatus": "PAID"}, False),
    ],
)
async def test_bookings_filter_by_status_and_payment_status(
    api: Api, filters: dict[str, str], matches: bool
) -> None:
    """status: and paymentStatus: keep only matching bookings; new ones are AWAITING/UNPAID."""
    # Given
    created = await create_mixed(api)
    expected = (
        [b["id"] for b in reversed(created) if b["kind"] == filters.get("kind", b["kind"])]
        if matches
        else []
    )

    # When
    connection = (await api.data(BOOKINGS, filters))["bookings"]

    # Then
    assert [e["node"]["id"] for e in connection["edges"]] == expected
    assert connection["totalCount"] == len(expected)
    assert connection["pageInfo"]["hasNextPage"] is False


async def test_bookings_pages_walk_everything_newest_first(api: Api) -> None:
    """first/after pages cover every booking once, newest first; totalCount is the whole set."""
    # Given
    created = await create_mixed(api)

    # When: walk in pages of two
    pages: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        connection = (await api.data(BOOKINGS, {"first": 2, "after": after}))["bookings"]
        pages.append(connection)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
        assert len(pages) < 10, "paging does not end"

    # Then
    walked = [e["node"]["id"] for page in pages for e in page["edges"]]
    assert walked == [b["id"] for b in reversed(created)]
    assert [len(page["edges"]) for page in pages] == [2, 2, 1]
    assert {page["totalCount"] for page in pages} == {5}
    assert all(p["pageInfo"]["endCursor"] == p["edges"][-1]["cursor"] for p in pages)
    stamps = [datetime.fromisoformat(e["node"]["createdAt"]) for p in pages for e in p["edges"]]
    assert stamps == sorted(stamps, reverse=True)


async def test_bookings_pages_with_a_filter_and_a_count_independent_of_the_page(api: Api) -> None:
    """Paging a filtered list stays within the filter; totalCount ignores first/after."""
    # Given
    created = await create_mixed(api)
    clinic = [b["id"] for b in reversed(created) if b["kind"] == "CLINIC_APPOINTMENT"]

    # When
    first_page = (await api.data(BOOKINGS, {"first": 1, "kind": "CLINIC_APPOINTMENT"}))["bookings"]
    cursor = first_page["pageInfo"]["endCursor"]
    second_page = (
        await api.data(BOOKINGS, {"first": 1, "after": cursor, "kind": "CLINIC_APPOINTMENT"})
    )["bookings"]
    empty_page = (await api.data(BOOKINGS, {"first": 0}))["bookings"]

    # Then
    assert [e["node"]["id"] for e in first_page["edges"]] == clinic[:1]
    assert first_page["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["id"] for e in second_page["edges"]] == clinic[1:]
    assert second_page["pageInfo"]["hasNextPage"] is False
    assert first_page["totalCount"] == second_page["totalCount"] == 2
    assert empty_page["edges"] == []
    assert empty_page["totalCount"] == 5


async def test_bookings_of_a_fresh_tenant_are_empty(api: Api) -> None:
    """A tenant sees only its own bookings: a fresh one sees none, whatever others hold."""
    # Given: another tenant with a booking
    await create(api.for_tenant(f"{api.tenant}-other"), CREATE_CLINIC, clinic_input())

    # When
    connection = (await api.data(BOOKINGS))["bookings"]

    # Then
    assert connection == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "edges": [],
    }
