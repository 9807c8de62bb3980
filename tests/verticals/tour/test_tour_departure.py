"""`tourDeparture`: one package on one date, its travellers and its money, for staff only."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from payable.core.principal import Role
from tests.api import Api
from tests.bookings.factories import BOOKING_FIELDS
from tests.payments.factories import pay_on_page, request_link
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

DEPARTURE = """query($packageId: ID!, $tourDate: Date!) {
  tourDeparture(packageId: $packageId, tourDate: $tourDate) {
    packageId tourDate participants
    bookings { id status participantCount }
    cancelledBookings { id status }
    price { amount currency } amountPaid { amount currency } balanceDue { amount currency } } }"""

CANCEL = """mutation($input: CancelBookingInput!) { cancelBooking(input: $input) {
  errors { code } } }"""

DILIJAN = {"packageId": "dilijan", "tourDate": "2030-06-01"}


async def _book(api: Api, **overrides: Any) -> str:
    data = await api.data(CREATE_TOUR, {"input": tour_input(**overrides)})
    assert data["createTourBooking"]["errors"] == []
    return data["createTourBooking"]["booking"]["id"]


async def test_departure_lists_travellers_cancellations_and_money(
    api: Api, client: httpx.AsyncClient
) -> None:
    # Given three bookings that travel (one with its deposit paid, one in USD),
    paid = await _book(
        api,
        participantCount=2,
        depositAmount="20000.00",
        balanceDueDate="2030-05-01",
    )
    link = await request_link(api, paid)
    await pay_on_page(client, link["paymentUrl"])
    unpaid = await _book(api, participantCount=3, price={"amount": "90000.00", "currency": "AMD"})
    dollars = await _book(api, participantCount=1, price={"amount": "300.00", "currency": "USD"})
    # one cancelled, and bookings of another date, another package and another tenant
    cancelled = await _book(api, participantCount=4)
    result = await api.data(
        CANCEL, {"input": {"bookingId": cancelled, "reason": "ill", "cause": "CUSTOMER_REQUEST"}}
    )
    assert result["cancelBooking"]["errors"] == []
    await _book(api, tourDate="2030-06-02")
    await _book(api, packageId="sevan")
    await _book(api.for_tenant(api.tenant + "-other"))

    # When the operator reads the departure
    departure = (await api.data(DEPARTURE, DILIJAN))["tourDeparture"]

    # Then it lists who travels, oldest first, the cancelled apart, and money per currency
    assert departure == {
        "packageId": "dilijan",
        "tourDate": "2030-06-01",
        "participants": 6,
        "bookings": [
            {"id": paid, "status": "CONFIRMED", "participantCount": 2},
            {"id": unpaid, "status": "AWAITING_PAYMENT", "participantCount": 3},
            {"id": dollars, "status": "AWAITING_PAYMENT", "participantCount": 1},
        ],
        "cancelledBookings": [{"id": cancelled, "status": "CANCELLED"}],
        "price": [
            {"amount": "210000.00", "currency": "AMD"},
            {"amount": "300.00", "currency": "USD"},
        ],
        "amountPaid": [
            {"amount": "20000.00", "currency": "AMD"},
            {"amount": "0.00", "currency": "USD"},
        ],
        "balanceDue": [
            {"amount": "190000.00", "currency": "AMD"},
            {"amount": "300.00", "currency": "USD"},
        ],
    }


async def test_a_departure_without_bookings_is_empty(api: Api) -> None:
    departure = (await api.data(DEPARTURE, DILIJAN))["tourDeparture"]

    assert departure == {
        "packageId": "dilijan",
        "tourDate": "2030-06-01",
        "participants": 0,
        "bookings": [],
        "cancelledBookings": [],
        "price": [],
        "amountPaid": [],
        "balanceDue": [],
    }


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OPERATOR, Role.SUPPORT, Role.ACCOUNTANT])
async def test_every_staff_role_reads_a_departure(api: Api, role: Role) -> None:
    booked = await _book(api)

    departure = (await api.as_role(role).data(DEPARTURE, DILIJAN))["tourDeparture"]

    assert [b["id"] for b in departure["bookings"]] == [booked]


async def test_integrators_are_refused_and_audited(api: Api, db: asyncpg.Connection) -> None:
    await _book(api)
    integrator = api.as_role(Role.INTEGRATOR)

    body = await integrator.post(DEPARTURE, DILIJAN)

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    audited = await db.fetch(
        "SELECT a.actor, a.role, a.operation, a.outcome FROM audit_log a"
        " JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = $1",
        api.tenant,
    )
    assert [tuple(a) for a in audited] == [
        (integrator.sub, "integrator", "tourDeparture", "FORBIDDEN")
    ]


# The list's fields, without the fragments of the other verticals (not spreadable here).
TOUR_FIELDS = "\n".join(line for line in BOOKING_FIELDS.splitlines() if "... on" not in line)
DEPARTURE_DETAILS = (
    "query($packageId: ID!, $tourDate: Date!) { tourDeparture(packageId: $packageId,"
    " tourDate: $tourDate) { participants bookings { nextDueDate tourDate packageId "
    + TOUR_FIELDS
    + " } } }"
)


async def test_a_departure_costs_the_same_statements_for_3_or_15_bookings(api: Api) -> None:
    async def statements() -> tuple[int, int]:
        with api.count_statements() as sent:
            data = await api.data(DEPARTURE_DETAILS, DILIJAN)
        return len(data["tourDeparture"]["bookings"]), len(sent)

    for _ in range(3):
        await _book(api)
    few, few_statements = await statements()
    for _ in range(12):
        await _book(api)
    many, many_statements = await statements()

    assert (few, many) == (3, 15)
    assert few_statements == many_statements
