"""Refusals: bad input is answered in the payload and leaves the database as it was.

Every refusal is ``errors: [{code, field, message}]`` with ``booking: null``; the mutation's
transaction rolls back, so the tenant has no new bookings, installments, events or customers.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import asyncpg
import pytest

from tests.api import Api
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.verticals.course.factories import CREATE_COURSE, course_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"

# A float written into the document itself (not a variable) reaches the scalar's literal parser.
LITERAL_FLOAT_PRICE = """
mutation {
  createTourBooking(input: {customerRef: "traveller-1", tourDate: "2030-06-01",
                            packageId: "dilijan", participantCount: 2,
                            price: {amount: 120000.5, currency: AMD}}) {
    errors { code field message }
    booking { id }
  }
}
"""

COUNTS = {
    "bookings": "SELECT count(*) FROM bookings WHERE tenant_id = $1",
    "installments": (
        "SELECT count(*) FROM installments i JOIN bookings b ON b.id = i.booking_id"
        " WHERE b.tenant_id = $1"
    ),
    "booking_events": "SELECT count(*) FROM booking_events WHERE tenant_id = $1",
    "customers": "SELECT count(*) FROM customers WHERE tenant_id = $1",
}
NOTHING = dict.fromkeys(COUNTS, 0)


def money(amount: object, currency: str = "AMD") -> dict[str, object]:
    return {"amount": amount, "currency": currency}


def lines(*amounts: object, currency: str | None = None) -> list[dict[str, object]]:
    """Installments a month apart, optionally with an explicit currency."""
    made = [{"amount": a, "dueDate": f"2030-{n:02d}-01"} for n, a in enumerate(amounts, start=1)]
    return [m | {"currency": currency} for m in made] if currency else made


async def tenant_rows(db: asyncpg.Connection, slug: str) -> dict[str, int]:
    """How many rows of each kind the tenant owns."""
    tenant_id = await db.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    assert tenant_id is not None, f"tenant {slug} was never provisioned"
    return {table: await db.fetchval(sql, tenant_id) for table, sql in COUNTS.items()}


async def refusal(api: Api, document: str, given: dict[str, Any]) -> dict[str, Any]:
    """Run a create mutation that must be refused; its single error."""
    data = await api.data(document, {"input": given})
    (payload,) = data.values()
    assert payload["booking"] is None
    (error,) = payload["errors"]
    assert set(error) == {"code", "field", "message"}
    assert isinstance(error["message"], str)
    assert error["message"].strip()
    return error


REFUSALS = [
    # Price amounts
    *(
        pytest.param(CREATE_CLINIC, clinic_input(price=money(amount)), id=f"price-{label}")
        for label, amount in [
            ("zero", "0"),
            ("zero-cents", "0.00"),
            ("negative", "-5"),
            ("text", "abc"),
            ("empty", ""),
            ("three-decimals", "1.234"),
            ("nan", "NaN"),
            ("infinity", "Infinity"),
            ("too-large", "1000000000000.00"),
            ("huge-exponent", "1e400"),  # too large to quantize: once a masked 500
            ("json-float", 15000.5),
            ("json-whole-float", 15000.0),
        ]
    ),
]


@pytest.mark.parametrize(("document", "given"), REFUSALS)
async def test_bad_price_amount_is_refused(
    api: Api, db: asyncpg.Connection, document: str, given: dict[str, Any]
) -> None:
    """A price must be a positive decimal string with at most two decimals, never a float."""
    # When
    error = await refusal(api, document, given)

    # Then
    assert (error["code"], error["field"]) == ("INVALID_AMOUNT", "price.amount")
    assert await tenant_rows(db, api.tenant) == NOTHING


async def test_float_literal_in_the_document_is_refused(api: Api, db: asyncpg.Connection) -> None:
    """A float literal is refused like a float variable: INVALID_AMOUNT on price.amount."""
    # When
    payload = (await api.data(LITERAL_FLOAT_PRICE))["createTourBooking"]

    # Then
    assert payload["booking"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_AMOUNT", "price.amount")
    ]
    assert await tenant_rows(db, api.tenant) == NOTHING


CASES = [
    # Schedules
    pytest.param(
        CREATE_COURSE,
        course_input(price=money("90000.00"), installments=lines("30000.00", "50000.00")),
        "SCHEDULE_MISMATCH",
        "installments",
        id="installments-short-of-price",
    ),
    pytest.param(
        CREATE_COURSE,
        course_input(price=money("90000.00"), installments=lines("30000.00", "60000.01")),
        "SCHEDULE_MISMATCH",
        "installments",
        id="installments-over-price",
    ),
    pytest.param(
        CREATE_COURSE,
        course_input(
            price=money("90000.00"),
            installments=[
                {"amount": "45000.00", "dueDate": "2030-01-01", "currency": "AMD"},
                {"amount": "45000.00", "dueDate": "2030-02-01", "currency": "USD"},
            ],
        ),
        "CURRENCY_MISMATCH",
        "installments.1.currency",
        id="installment-currency",
    ),
    pytest.param(
        CREATE_CLINIC,
        clinic_input(installments=[]),
        "EMPTY_SCHEDULE",
        "installments",
        id="empty-installments",
    ),
    *(
        pytest.param(
            CREATE_COURSE,
            course_input(price=money("90000.00"), installments=lines(amount, "90000.00")),
            "INVALID_AMOUNT",
            "installments.0.amount",
            id=f"installment-amount-{label}",
        )
        for label, amount in [
            ("zero", "0"),
            ("negative", "-10.00"),
            ("text", "abc"),
            ("three-decimals", "0.001"),
            ("json-float", 100.5),
        ]
    ),
    *(
        pytest.param(
            CREATE_COURSE,
            course_input(
                price=money("90000.00"),
                installments=[
                    {"amount": "45000.00", "dueDate": "2030-01-01"},
                    {"amount": "45000.00", "dueDate": "2030-02-01", "graceDays": grace},
                ],
            ),
            "INVALID_GRACE_DAYS",
            "installments.1.graceDays",
            id=f"grace-days-{grace}",
        )
        for grace in (-1, 366)
    ),
    pytest.param(
        CREATE_COURSE,
        course_input(price=money("37.00"), installments=lines(*["1.00"] * 12) * 3 + lines("1.00")),
        "TOO_MANY_INSTALLMENTS",
        "installments",
        id="thirty-seven-installments",
    ),
    # Clinic slots
    pytest.param(
        CREATE_CLINIC,
        clinic_input(slotStart="2030-03-01T10:00:00+00:00", slotEnd="2030-03-01T10:00:00+00:00"),
        "INVALID_SLOT",
        "slotEnd",
        id="slot-empty",
    ),
    pytest.param(
        CREATE_CLINIC,
        clinic_input(slotStart="2030-03-01T10:00:00+00:00", slotEnd="2030-03-01T09:30:00+00:00"),
        "INVALID_SLOT",
        "slotEnd",
        id="slot-reversed",
    ),
    pytest.param(
        CREATE_CLINIC,
        clinic_input(slotStart="2030-03-01T10:00:00", slotEnd="2030-03-01T10:30:00"),
        "INVALID_SLOT",
        "slotStart",
        id="slot-without-offset",
    ),
    # Course periods
    pytest.param(
        CREATE_COURSE,
        course_input(periodStart="2030-04-30", periodEnd="2030-04-29"),
        "INVALID_PERIOD",
        "periodEnd",
        id="period-reversed",
    ),
    # Tours
    pytest.param(
        CREATE_TOUR,
        tour_input(participantCount=0),
        "INVALID_PARTICIPANT_COUNT",
        "participantCount",
        id="no-participants",
    ),
    pytest.param(
        CREATE_TOUR,
        tour_input(participantCount=-2),
        "INVALID_PARTICIPANT_COUNT",
        "participantCount",
        id="negative-participants",
    ),
    pytest.param(
        CREATE_TOUR,
        tour_input(price=money("120000.00"), depositAmount="120000.00"),
        "INVALID_DEPOSIT",
        "depositAmount",
        id="deposit-equals-price",
    ),
    pytest.param(
        CREATE_TOUR,
        tour_input(price=money("120000.00"), depositAmount="150000.00"),
        "INVALID_DEPOSIT",
        "depositAmount",
        id="deposit-above-price",
    ),
    pytest.param(
        CREATE_TOUR,
        tour_input(price=money("120000.00"), depositAmount="0"),
        "INVALID_AMOUNT",
        "depositAmount",
        id="deposit-zero",
    ),
    pytest.param(
        CREATE_TOUR,
        tour_input(price=money("120000.00"), depositAmount=20000.5),
        "INVALID_AMOUNT",
        "depositAmount",
        id="deposit-json-float",
    ),
    pytest.param(
        CREATE_TOUR,
        tour_input(
            price=money("120000.00"),
            depositAmount="20000.00",
            installments=lines("60000.00", "60000.00"),
        ),
        "INVALID_SCHEDULE",
        "depositAmount",
        id="deposit-with-installments",
    ),
    pytest.param(
        CREATE_TOUR,
        tour_input(balanceDueDate="2030-05-01"),
        "INVALID_SCHEDULE",
        "balanceDueDate",
        id="balance-date-without-deposit",
    ),
    pytest.param(
        CREATE_TOUR,
        tour_input(depositAmount="20000.00", balanceDueDate="2000-01-01"),
        "INVALID_DUE_DATE",
        "balanceDueDate",
        id="balance-due-in-the-past",
    ),
    # Policies
    *(
        pytest.param(document, given, "UNKNOWN_POLICY", "policyCode", id=f"unknown-policy-{label}")
        for label, document, given in [
            ("clinic", CREATE_CLINIC, clinic_input(policyCode="no-such-policy")),
            ("course", CREATE_COURSE, course_input(policyCode="no-such-policy")),
            ("tour", CREATE_TOUR, tour_input(policyCode="no-such-policy")),
        ]
    ),
    *(
        pytest.param(document, given, "POLICY_KIND_MISMATCH", "policyCode", id=f"policy-of-{label}")
        for label, document, given in [
            ("tour-on-clinic", CREATE_CLINIC, clinic_input(policyCode="tour-standard")),
            ("clinic-on-course", CREATE_COURSE, course_input(policyCode="clinic-standard")),
            ("course-on-tour", CREATE_TOUR, tour_input(policyCode="course-standard")),
        ]
    ),
    # Customers
    *(
        pytest.param(
            document,
            given,
            "INVALID_CUSTOMER_REF",
            "customerRef",
            id=f"customer-ref-{label}",
        )
        for label, document, given in [
            ("empty", CREATE_CLINIC, clinic_input(customerRef="")),
            ("blank", CREATE_COURSE, course_input(customerRef="   ")),
        ]
    ),
    # Vertical ids
    pytest.param(
        CREATE_CLINIC,
        clinic_input(specialistId=" "),
        "INVALID_FIELD",
        "specialistId",
        id="blank-id",
    ),
    pytest.param(
        CREATE_TOUR,
        tour_input(managerReference="  "),
        "INVALID_FIELD",
        "managerReference",
        id="blank-manager-reference",
    ),
]


@pytest.mark.parametrize(("document", "given", "code", "field"), CASES)
async def test_invalid_input_is_refused_and_changes_nothing(
    api: Api,
    db: asyncpg.Connection,
    document: str,
    given: dict[str, Any],
    code: str,
    field: str,
) -> None:
    """Each broken rule is refused with its stable code and the offending field; nothing is kept."""
    # When
    error = await refusal(api, document, given)

    # Then
    assert (error["code"], error["field"]) == (code, field)
    assert await tenant_rows(db, api.tenant) == NOTHING


@pytest.mark.parametrize("role", ["accountant", "integrator"])
@pytest.mark.parametrize(
    ("document", "given"),
    [
        pytest.param(CREATE_CLINIC, clinic_input(), id="clinic"),
        pytest.param(CREATE_COURSE, course_input(), id="course"),
        pytest.param(CREATE_TOUR, tour_input(), id="tour"),
    ],
)
async def test_roles_without_create_permission_are_refused(
    api: Api, db: asyncpg.Connection, role: str, document: str, given: dict[str, Any]
) -> None:
    """Only staff (admin, operator, support) create bookings; others get FORBIDDEN."""
    # Given
    caller = api.as_role(role)

    # When
    error = await refusal(caller, document, given)

    # Then
    assert error["code"] == "FORBIDDEN"
    assert await tenant_rows(db, api.tenant) == NOTHING


async def test_taken_slot_rolls_back_the_customer_it_would_have_created(
    api: Api, db: asyncpg.Connection
) -> None:
    """A refusal late in the transaction (SLOT_TAKEN) still leaves no trace of the attempt."""
    # Given: one appointment holds dr-1 from 10:00 to 10:30
    booked = clinic_input(
        customerRef="patient-a",
        specialistId="dr-1",
        slotStart="2030-05-01T10:00:00+00:00",
        slotEnd="2030-05-01T10:30:00+00:00",
    )
    first = (await api.data(CREATE_CLINIC, {"input": booked}))["createClinicAppointment"]
    assert first["errors"] == []
    before = await tenant_rows(db, api.tenant)

    # When: a new customer asks for an overlapping slot with the same specialist
    error = await refusal(
        api,
        CREATE_CLINIC,
        clinic_input(
            customerRef="patient-b",
            specialistId="dr-1",
            slotStart="2030-05-01T10:15:00+00:00",
            slotEnd="2030-05-01T10:45:00+00:00",
        ),
    )

    # Then
    assert (error["code"], error["field"]) == ("SLOT_TAKEN", "slotStart")
    assert before == {"bookings": 1, "installments": 1, "booking_events": 1, "customers": 1}
    assert await tenant_rows(db, api.tenant) == before


# --- node(id:) ----------------------------------------------------------------------------------


def global_id(type_name: str, local: object) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{local}".encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "node_id",
    [
        pytest.param("", id="empty"),
        pytest.param("garbage", id="garbage"),
        pytest.param("!!!***", id="not-base64"),
        pytest.param("////", id="binary"),
        pytest.param(global_id("ClinicAppointment", "not-a-uuid"), id="bad-uuid"),
        pytest.param(global_id("NoSuchType", uuid.uuid4()), id="unknown-type"),
        pytest.param(global_id("ClinicAppointment", uuid.uuid4()), id="unknown-booking"),
        pytest.param(global_id("Customer", uuid.uuid4()), id="unknown-customer"),
        pytest.param(global_id("Installment", uuid.uuid4()), id="unknown-installment"),
    ],
)
async def test_node_with_a_bad_or_unknown_id_is_null(api: Api, node_id: str) -> None:
    """node(id:) answers null, never an error, for ids that are malformed or name nothing."""
    # When
    body = await api.post(NODE, {"id": node_id})

    # Then
    assert body["data"] == {"node": None} and "errors" not in body


async def test_node_does_not_find_a_booking_under_another_type_or_tenant(api: Api) -> None:
    """A booking id re-typed as another vertical, or asked for by another tenant, finds nothing."""
    # Given
    created = await api.data(CREATE_TOUR, {"input": tour_input()})
    booking_id = created["createTourBooking"]["booking"]["id"]
    local = base64.urlsafe_b64decode(booking_id + "=" * (-len(booking_id) % 4)).decode()
    retyped = global_id("ClinicAppointment", local.partition(":")[2])
    stranger = api.for_tenant(f"{api.tenant}-x")

    # When
    as_clinic = await api.post(NODE, {"id": retyped})
    as_stranger = await stranger.post(NODE, {"id": booking_id})
    as_owner = await api.post(NODE, {"id": booking_id})

    # Then
    assert as_clinic["data"] == {"node": None} and "errors" not in as_clinic
    assert as_stranger["data"] == {"node": None} and "errors" not in as_stranger
    assert as_owner["data"]["node"] == {"__typename": "TourBooking", "id": booking_id}
