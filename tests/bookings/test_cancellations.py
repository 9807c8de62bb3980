"""Closing bookings: cancellation, weather cancellation, no-show and a whole tour departure.

Closing never moves money; it shows a refund path (refundQuote) from the booking's own policy
version. Slots are placed relative to now; a no-show is simulated by moving the slot into the
past with a raw UPDATE.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from payable.core.clock import BUSINESS_ZONE
from payable.core.ids import from_global_id
from payable.core.principal import Role
from tests.api import Api
from tests.payments.factories import pay_on_page, request_link
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

CANCEL = """mutation($input: CancelBookingInput!) { cancelBooking(input: $input) {
  errors { code field message } booking { id status paymentStatus } } }"""

NO_SHOW = """mutation($input: MarkNoShowInput!) { markNoShow(input: $input) {
  errors { code field message } booking { id status } } }"""

DEPARTURE = """mutation($input: CancelTourDepartureInput!) { cancelTourDeparture(input: $input) {
  errors { code field message } bookings { id status } } }"""

QUOTE = """query($id: ID!) { refundQuote(bookingId: $id) {
  refundable { amount currency } deadline path policy { code version } } }"""

REQUEST_REFUND = """mutation($input: RequestRefundInput!) { requestRefund(input: $input) {
  errors { code field } refund { id } } }"""

BOOKING = """query($id: ID!) { node(id: $id) { ... on PayableBooking {
  id status paymentStatus amountPaid { amount currency } amountRefunded { amount }
  paymentRequests { id status }
  timeline(first: 50) { edges { node { type actor reason data } } }
  ... on ClinicAppointment { slotStart } } } }"""


# --- Helpers ------------------------------------------------------------------------------------


def _at(moment: datetime) -> dict[str, str]:
    start = moment.replace(microsecond=0)
    return {"slotStart": start.isoformat(), "slotEnd": (start + timedelta(minutes=30)).isoformat()}


def in_hours(hours: float) -> dict[str, str]:
    """A clinic slot starting ``hours`` from now."""
    return _at(datetime.now(UTC) + timedelta(hours=hours))


async def create(api: Api, document: str, data: dict[str, Any]) -> dict[str, Any]:
    payload = next(iter((await api.data(document, {"input": data})).values()))
    return payload


async def clinic(api: Api, **overrides: Any) -> str:
    payload = await create(api, CREATE_CLINIC, clinic_input(**overrides))
    assert payload["errors"] == [], payload["errors"]
    return payload["booking"]["id"]


async def tour(api: Api, **overrides: Any) -> str:
    payload = await create(api, CREATE_TOUR, tour_input(**overrides))
    assert payload["errors"] == [], payload["errors"]
    return payload["booking"]["id"]


async def pay(api: Api, client: httpx.AsyncClient, booking_id: str) -> None:
    link = await request_link(api, booking_id)
    await pay_on_page(client, link["paymentUrl"])


async def cancel(
    api: Api, booking_id: str, reason: str | None = "customer called", cause: str = "OPERATOR"
) -> dict[str, Any]:
    variables = {"input": {"bookingId": booking_id, "reason": reason, "cause": cause}}
    return (await api.data(CANCEL, variables))["cancelBooking"]


async def mark_no_show(api: Api, booking_id: str, reason: str | None = None) -> dict[str, Any]:
    variables = {"input": {"bookingId": booking_id, "reason": reason}}
    return (await api.data(NO_SHOW, variables))["markNoShow"]


async def cancel_departure(
    api: Api, package: str, day: str, reason: str = "storm warning", cause: str = "WEATHER"
) -> dict[str, Any]:
    variables = {"input": {"packageId": package, "tourDate": day, "reason": reason, "cause": cause}}
    return (await api.data(DEPARTURE, variables))["cancelTourDeparture"]


async def quote(api: Api, booking_id: str) -> dict[str, Any]:
    return (await api.data(QUOTE, {"id": booking_id}))["refundQuote"]


async def booking(api: Api, booking_id: str) -> dict[str, Any]:
    return (await api.data(BOOKING, {"id": booking_id}))["node"]


def events(node: dict[str, Any], *types: str) -> list[dict[str, Any]]:
    found = [edge["node"] for edge in node["timeline"]["edges"]]
    return [e for e in found if not types or e["type"] in types]


def errors(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


def codes_of(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def local(global_id: str) -> uuid.UUID:
    return from_global_id(global_id)[1]


def business_day(days_ahead: int) -> str:
    """A Yerevan calendar date: tours start at midnight of their business day."""
    return (datetime.now(BUSINESS_ZONE).date() + timedelta(days=days_ahead)).isoformat()


async def into_the_past(db: asyncpg.Connection, booking_id: str) -> None:
    """The appointment started an hour ago (what the clock would do)."""
    await db.execute(
        """UPDATE clinic_appointments SET slot_start = now() - interval '1 hour',
               slot_end = now() - interval '30 minutes' WHERE booking_id = $1""",
        local(booking_id),
    )


async def event_count(db: asyncpg.Connection, booking_id: str) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM booking_events WHERE booking_id = $1", local(booking_id)
    )


# --- cancelBooking ------------------------------------------------------------------------------


async def test_cancel_closes_the_booking_and_withdraws_its_pending_links(
    api: Api, db: asyncpg.Connection
) -> None:
    """Cancelling records CANCELLED with old/new status, actor, reason and cause; open links
    are withdrawn (PAYMENT_REQUEST_WITHDRAWN, their gateway orders cancelled by the worker) so
    nothing is awaited any more."""
    booking_id = await clinic(api)
    link = await request_link(api, booking_id)
    operator = api.as_role(Role.OPERATOR, sub="olga@front")

    answer = await cancel(operator, booking_id, "patient moved away", "CUSTOMER_REQUEST")

    assert answer["errors"] == []
    assert answer["booking"]["status"] == "CANCELLED"
    after = await booking(api, booking_id)
    assert after["paymentRequests"] == [{"id": link["id"], "status": "CANCELLED"}]
    assert after["paymentStatus"] == "UNPAID"
    [cancelled] = events(after, "CANCELLED")
    assert cancelled["actor"] == "olga@front"
    assert cancelled["reason"] == "patient moved away"
    data = json.loads(cancelled["data"])
    assert (data["old"], data["new"]) == ({"status": "AWAITING_PAYMENT"}, {"status": "CANCELLED"})
    assert data["cause"] == "CUSTOMER_REQUEST"
    [withdrawn] = events(after, "PAYMENT_REQUEST_WITHDRAWN")
    assert withdrawn["actor"] == "olga@front"
    assert json.loads(withdrawn["data"])["paymentRequestId"] == str(local(link["id"]))
    assert json.loads(withdrawn["data"])["status"] == {"old": "PENDING", "new": "CANCELLED"}
    assert await db.fetchval(
        "SELECT reverse_pending FROM payment_requests WHERE id = $1", local(link["id"])
    )
    assert events(after, "WEATHER_CANCELLED") == []
    row = await db.fetchrow(
        "SELECT status, close_cause, closed_at FROM bookings WHERE id = $1", local(booking_id)
    )
    assert (row["status"], row["close_cause"]) == ("CANCELLED", "CUSTOMER_REQUEST")
    assert row["closed_at"] is not None


async def test_cancel_of_a_paid_booking_moves_no_money(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Cancellation and refund are different things: a paid booking keeps its money on record."""
    booking_id = await clinic(api)
    await pay(api, client, booking_id)

    answer = await cancel(api, booking_id)

    assert answer["booking"]["status"] == "CANCELLED"
    after = await booking(api, booking_id)
    [cancelled] = events(after, "CANCELLED")
    assert json.loads(cancelled["data"])["new"] == {"status": "CANCELLED"}
    assert json.loads(cancelled["data"])["old"] == {"status": "CONFIRMED"}
    assert after["amountPaid"]["amount"] == "15000.00"
    assert after["amountRefunded"]["amount"] == "0.00"
    assert after["paymentStatus"] == "PAID"
    assert (
        await db.fetchval("SELECT count(*) FROM refunds WHERE booking_id = $1", local(booking_id))
        == 0
    )


async def test_a_cancelled_slot_can_be_booked_again(api: Api) -> None:
    """A cancelled appointment frees its slot for another booking of the same specialist."""
    slot = clinic_input()
    first = await clinic(api, **slot)
    taken = await create(api, CREATE_CLINIC, slot | {"customerRef": "patient-2"})
    assert errors(taken) == [("SLOT_TAKEN", "slotStart")]

    await cancel(api, first)
    again = await create(api, CREATE_CLINIC, slot | {"customerRef": "patient-2"})

    assert again["errors"] == []
    assert again["booking"]["status"] == "AWAITING_PAYMENT"


async def test_cancelling_a_closed_booking_is_refused(api: Api, db: asyncpg.Connection) -> None:
    """A booking is closed once: a second cancellation is BOOKING_CLOSED and writes nothing."""
    booking_id = await clinic(api)
    await cancel(api, booking_id)
    events_before = await event_count(db, booking_id)

    again = await cancel(api, booking_id, "second try", "WEATHER")

    assert errors(again) == [("BOOKING_CLOSED", "bookingId")]
    assert again["booking"] is None
    assert await event_count(db, booking_id) == events_before
    after = await db.fetchrow(
        "SELECT status, close_cause FROM bookings WHERE id = $1", local(booking_id)
    )
    assert tuple(after) == ("CANCELLED", "OPERATOR")


@pytest.mark.parametrize("reason", ["", "   "])
async def test_cancel_needs_a_reason(api: Api, db: asyncpg.Connection, reason: str) -> None:
    """No reason, no cancellation: REASON_REQUIRED and the booking stays live."""
    booking_id = await clinic(api)

    refused = await cancel(api, booking_id, reason)

    assert errors(refused) == [("REASON_REQUIRED", "reason")]
    assert (await booking(api, booking_id))["status"] == "AWAITING_PAYMENT"
    assert await event_count(db, booking_id) == 1  # CREATED only


async def test_weather_cause_records_weather_cancelled(api: Api) -> None:
    """cause WEATHER records a WEATHER_CANCELLED event instead of CANCELLED."""
    booking_id = await tour(api)

    answer = await cancel(api, booking_id, "storm", "WEATHER")

    assert answer["booking"]["status"] == "CANCELLED"
    after = await booking(api, booking_id)
    [event] = events(after, "WEATHER_CANCELLED")
    assert event["reason"] == "storm"
    assert json.loads(event["data"])["cause"] == "WEATHER"
    assert events(after, "CANCELLED") == []


# --- The refund path ----------------------------------------------------------------------------


async def test_early_cancellation_quotes_a_full_refund(api: Api, client: httpx.AsyncClient) -> None:
    """Cancelled more than 24 h before the slot: FULL, all paid money, deadline = slot - 24 h."""
    slot = in_hours(72)
    booking_id = await clinic(api, **slot)
    await pay(api, client, booking_id)

    await cancel(api, booking_id)
    found = await quote(api, booking_id)

    assert found["path"] == "FULL"
    assert found["refundable"] == {"amount": "15000.00", "currency": "AMD"}
    deadline = datetime.fromisoformat(found["deadline"])
    assert deadline == datetime.fromisoformat(slot["slotStart"]) - timedelta(hours=24)
    assert found["policy"] == {"code": "clinic-standard", "version": 1}


async def test_late_cancellation_quotes_half_of_what_was_paid(
    api: Api, client: httpx.AsyncClient
) -> None:
    """Cancelled within 24 h of the slot: PARTIAL, 50 % of paid, free cancellation closed."""
    booking_id = await clinic(api, **in_hours(2))
    await pay(api, client, booking_id)

    await cancel(api, booking_id)
    found = await quote(api, booking_id)

    assert found["path"] == "PARTIAL"
    assert found["refundable"] == {"amount": "7500.00", "currency": "AMD"}
    assert found["deadline"] is None


async def test_quote_subtracts_refunds_already_claimed(api: Api, client: httpx.AsyncClient) -> None:
    """What is already requested counts against the policy's share."""
    booking_id = await clinic(api, **in_hours(2))
    await pay(api, client, booking_id)
    await cancel(api, booking_id)

    asked = await api.data(
        REQUEST_REFUND,
        {"input": {"bookingId": booking_id, "amount": "5000.00", "reason": "late cancellation"}},
    )

    assert asked["requestRefund"]["errors"] == []
    found = await quote(api, booking_id)
    assert (found["path"], found["refundable"]["amount"]) == ("PARTIAL", "2500.00")


async def test_weather_cancellation_of_a_tour_is_full_even_when_late(
    api: Api, client: httpx.AsyncClient
) -> None:
    """The business cancelled (WEATHER): the customer gets everything back, however late."""
    booking_id = await tour(api, tourDate=business_day(1))
    await pay(api, client, booking_id)
    paid = (await booking(api, booking_id))["amountPaid"]
    assert Decimal(paid["amount"]) > 0

    await cancel(api, booking_id, "storm", "WEATHER")
    found = await quote(api, booking_id)

    assert found["path"] == "FULL"
    assert found["refundable"] == paid
    assert found["deadline"] is None


async def test_late_customer_cancellation_of_a_tour_is_partial(
    api: Api, client: httpx.AsyncClient
) -> None:
    """The same late tour cancelled at the customer's request is only PARTIAL."""
    booking_id = await tour(api, tourDate=business_day(1))
    await pay(api, client, booking_id)
    paid = Decimal((await booking(api, booking_id))["amountPaid"]["amount"])

    await cancel(api, booking_id, "changed plans", "CUSTOMER_REQUEST")
    found = await quote(api, booking_id)

    assert found["path"] == "PARTIAL"
    assert Decimal(found["refundable"]["amount"]) == paid / 2


# --- Money after cancellation -------------------------------------------------------------------


async def test_money_paid_on_a_link_after_cancellation_goes_to_review(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """The customer pays an expired link of a cancelled booking: the money is kept on record,
    counted nowhere, and a LATE_PAYMENT task asks a person."""
    booking_id = await clinic(api)
    link = await request_link(api, booking_id)
    await cancel(api, booking_id)

    await pay_on_page(client, link["paymentUrl"])

    after = await booking(api, booking_id)
    assert after["status"] == "CANCELLED"
    assert after["paymentStatus"] == "MANUAL_REVIEW"
    assert after["amountPaid"]["amount"] == "0.00"
    assert after["paymentRequests"] == [{"id": link["id"], "status": "MANUAL_REVIEW"}]
    assert "PAYMENT_HELD" in [e["type"] for e in events(after)]
    payments = await db.fetch(
        "SELECT state, amount FROM payments WHERE booking_id = $1", local(booking_id)
    )
    assert [(p["state"], p["amount"]) for p in payments] == [("HELD", Decimal("15000.00"))]
    tasks = await db.fetch(
        "SELECT kind, status FROM review_tasks WHERE booking_id = $1", local(booking_id)
    )
    assert [tuple(t) for t in tasks] == [("LATE_PAYMENT", "OPEN")]


# --- markNoShow ---------------------------------------------------------------------------------


async def test_no_show_before_the_slot_starts_is_refused(api: Api, db: asyncpg.Connection) -> None:
    """Before the service begins it is a (late) cancellation, not a no-show: NOT_STARTED."""
    booking_id = await clinic(api, **in_hours(1))

    refused = await mark_no_show(api, booking_id, "not here yet")

    assert errors(refused) == [("NOT_STARTED", "bookingId")]
    assert (await booking(api, booking_id))["status"] == "AWAITING_PAYMENT"
    assert await event_count(db, booking_id) == 1


async def test_no_show_after_the_slot_started_gets_the_no_show_terms(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Once the slot has begun: NO_SHOW with its event, and the default policy refunds nothing."""
    booking_id = await clinic(api, **in_hours(48))
    await pay(api, client, booking_id)
    await into_the_past(db, booking_id)
    operator = api.as_role(Role.OPERATOR, sub="olga@front")

    answer = await mark_no_show(operator, booking_id, "did not come")

    assert answer["errors"] == []
    assert answer["booking"]["status"] == "NO_SHOW"
    after = await booking(api, booking_id)
    [event] = events(after, "NO_SHOW")
    assert (event["actor"], event["reason"]) == ("olga@front", "did not come")
    assert json.loads(event["data"])["old"] == {"status": "CONFIRMED"}
    assert json.loads(event["data"])["new"] == {"status": "NO_SHOW"}
    found = await quote(api, booking_id)
    assert found["path"] == "NONE"
    assert found["refundable"] == {"amount": "0.00", "currency": "AMD"}
    assert found["deadline"] is None
    assert codes_of(await mark_no_show(api, booking_id)) == ["BOOKING_CLOSED"]
    assert codes_of(await cancel(api, booking_id)) == ["BOOKING_CLOSED"]


# --- Who may close bookings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.SUPPORT, True),
        (Role.OPERATOR, True),
        (Role.ADMIN, True),
        (Role.ACCOUNTANT, False),
        (Role.INTEGRATOR, False),
    ],
)
async def test_who_may_cancel(api: Api, db: asyncpg.Connection, role: Role, allowed: bool) -> None:
    """Staff (support included) cancel; accountants and integrators are FORBIDDEN, nothing
    written."""
    booking_id = await clinic(api)

    answer = await cancel(api.as_role(role), booking_id)

    if allowed:
        assert answer["errors"] == []
        assert answer["booking"]["status"] == "CANCELLED"
    else:
        assert codes_of(answer) == ["FORBIDDEN"]
        assert (await booking(api, booking_id))["status"] == "AWAITING_PAYMENT"
        assert await event_count(db, booking_id) == 1


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.OPERATOR, True),
        (Role.ADMIN, True),
        (Role.SUPPORT, False),
        (Role.ACCOUNTANT, False),
        (Role.INTEGRATOR, False),
    ],
)
async def test_who_may_mark_a_no_show(
    api: Api, db: asyncpg.Connection, role: Role, allowed: bool
) -> None:
    """Only operators and admins mark no-shows; support may cancel but not this."""
    booking_id = await clinic(api, **in_hours(48))
    await into_the_past(db, booking_id)

    answer = await mark_no_show(api.as_role(role), booking_id)

    if allowed:
        assert answer["booking"]["status"] == "NO_SHOW"
    else:
        assert codes_of(answer) == ["FORBIDDEN"]
        assert (await booking(api, booking_id))["status"] == "AWAITING_PAYMENT"
        assert await event_count(db, booking_id) == 1


# --- cancelTourDeparture ------------------------------------------------------------------------


async def test_cancel_departure_closes_every_live_booking_of_that_package_and_date(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """One call cancels each live booking of the package and date, each with its own
    WEATHER_CANCELLED event; other dates, packages, closed bookings and tenants are untouched."""
    day, other_day = business_day(30), business_day(31)
    paid = await tour(api, packageId="dilijan", tourDate=day)
    await pay(api, client, paid)
    waiting = await tour(api, packageId="dilijan", tourDate=day, customerRef="traveller-2")
    closed = await tour(api, packageId="dilijan", tourDate=day, customerRef="traveller-3")
    await cancel(api, closed, "changed plans", "CUSTOMER_REQUEST")
    later = await tour(api, packageId="dilijan", tourDate=other_day)
    elsewhere = await tour(api, packageId="sevan", tourDate=day)
    stranger = api.for_tenant(f"t-{uuid.uuid4().hex[:12]}")
    theirs = await tour(stranger, packageId="dilijan", tourDate=day)
    operator = api.as_role(Role.OPERATOR, sub="olga@front")

    answer = await cancel_departure(operator, "dilijan", day, "storm warning")

    assert answer["errors"] == []
    assert sorted(b["id"] for b in answer["bookings"]) == sorted([paid, waiting])
    assert {b["status"] for b in answer["bookings"]} == {"CANCELLED"}
    for booking_id in (paid, waiting):
        node = await booking(api, booking_id)
        [event] = events(node, "WEATHER_CANCELLED")
        assert (event["actor"], event["reason"]) == ("olga@front", "storm warning")
        assert json.loads(event["data"])["new"] == {"status": "CANCELLED"}
    assert (await quote(api, paid))["path"] == "FULL"
    assert [
        e["type"] for e in events(await booking(api, closed), "CANCELLED", "WEATHER_CANCELLED")
    ] == ["CANCELLED"]
    for booking_id in (later, elsewhere):
        assert (await booking(api, booking_id))["status"] == "AWAITING_PAYMENT"
        assert await event_count(db, booking_id) == 1
    assert (await booking(stranger, theirs))["status"] == "AWAITING_PAYMENT"


async def test_cancel_departure_without_live_bookings_is_refused(api: Api) -> None:
    """A date with nothing live (none at all, or only closed bookings): NO_LIVE_BOOKINGS."""
    day = business_day(40)
    closed = await tour(api, packageId="dilijan", tourDate=day)
    await cancel(api, closed)

    only_closed = await cancel_departure(api, "dilijan", day)
    nothing = await cancel_departure(api, "dilijan", business_day(41))

    assert errors(only_closed) == [("NO_LIVE_BOOKINGS", "packageId")]
    assert only_closed["bookings"] == []
    assert codes_of(nothing) == ["NO_LIVE_BOOKINGS"]


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.ACCOUNTANT, Role.INTEGRATOR])
async def test_who_may_not_cancel_a_departure(api: Api, db: asyncpg.Connection, role: Role) -> None:
    """Cancelling a whole departure is for operators and admins: others are FORBIDDEN."""
    day = business_day(50)
    booking_id = await tour(api, packageId="dilijan", tourDate=day)

    answer = await cancel_departure(api.as_role(role), "dilijan", day)

    assert codes_of(answer) == ["FORBIDDEN"]
    assert answer["bookings"] == []
    assert (await booking(api, booking_id))["status"] == "AWAITING_PAYMENT"
    assert await event_count(db, booking_id) == 1


async def test_cancel_departure_needs_a_reason(api: Api) -> None:
    """A departure cancelled without a reason is refused and nothing closes."""
    day = business_day(60)
    booking_id = await tour(api, packageId="dilijan", tourDate=day)

    refused = await cancel_departure(api, "dilijan", day, reason=" ")

    assert errors(refused) == [("REASON_REQUIRED", "reason")]
    assert (await booking(api, booking_id))["status"] == "AWAITING_PAYMENT"
