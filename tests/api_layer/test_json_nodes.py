"""A page of bookings rendered as JSON in PostgreSQL answers exactly what the ordinary path answers.

When every field selected under `bookings { edges { node { ... } } }` is one the JSON path
(`graphql/json_nodes`) knows how to render, the list resolver builds each node's JSON in one
statement and the executor passes it through; anything else falls back to the resolvers and
dataloaders. Every answer here, data and errors alike, is compared with the same request run
with the JSON path switched off, on the same varied data and for each role (what a role may see
differs). The `payable_json_node_pages_total` counter says which path a page took.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from prometheus_client import REGISTRY
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from payable.core import clock
from payable.graphql import json_nodes
from tests.api import Api
from tests.bookings.factories import BOOKING_FIELDS, days_from_now
from tests.money.factories import expire_here, link_for, local, pay
from tests.timeline.live import serve
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.verticals.course.factories import CREATE_COURSE, course_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

ROLES = ("operator", "integrator", "accountant", "admin", "support")

# --- the queries ----------------------------------------------------------------------------

# The bench's one logical query (bench/peers/queries.py PAYABLE), as the peers run it.
BENCH = """{ bookings(first: 100) { totalCount edges { node {
  id kind reference status paymentStatus createdAt
  price { amount currency } amountPaid { amount } balanceDue { amount }
  customer { id externalRef }
  policy { id code version freeCancellationHours }
  schedule { id sequence label amountDue { amount } amountPaid { amount } dueDate status
             activePaymentRequest { id } }
  paymentRequests { id amount { amount } status expiresAt }
  payments { id amount { amount } verifiedAt verifiedBy }
  refunds { id amount { amount } status }
  timeline(first: 5) { edges { node { sequence type actor occurredAt } } }
  ... on ClinicAppointment { specialistId slotStart slotEnd }
  ... on CourseEnrollment { courseId periodStart periodEnd accessStatus }
  ... on TourBooking { tourDate packageId participantCount }
} } } }"""

# Every field the JSON path renders, with aliases, a field twice with different sub-selections,
# a named fragment, inline fragments on each concrete type, __typename at several levels and
# three timelines with different arguments under different aliases (the next due payment has
# its own test, NEXT_DUE, with a schedule part paid and a cancelled booking).
EVERY_FIELD = """query($after: String) { bookings(first: 50) { totalCount
  pageInfo { hasNextPage endCursor }
  edges { cursor node { __typename
  id kind ref: reference crmReference status paymentStatus
  customer { __typename id externalRef }
  price { __typename amount currency } paid: amountPaid { total: amount currency }
  amountRefunded { amount currency } balanceDue { amount currency }
  policy { id code version freeCancellationHours lateCancellationRefundPercent noShowRefundPercent }
  schedule { id }
  schedule { __typename status
    id sequence label amountDue { amount currency } amountPaid { amount currency } dueDate
    graceDays activePaymentRequest { __typename id amount { amount } status expiresAt } }
  paymentRequests { id amount { amount currency } status expiresAt }
  payments { id amount { amount currency } verifiedAt verifiedBy }
  refunds { id amount { amount currency } status }
  ...Money
  firstEvent: timeline(first: 1) { __typename
    edges { __typename cursor node { __typename id sequence type actor occurredAt } }
    pageInfo { __typename hasNextPage endCursor } }
  timeline(first: 3) { edges { node { sequence type } } pageInfo { hasNextPage endCursor } }
  later: timeline(first: 3, after: $after) { edges { cursor node { sequence type actor } }
    pageInfo { hasNextPage endCursor } }
  createdAt updatedAt
  ... on ClinicAppointment { serviceId specialistId branchId slotStart slotEnd }
  ... on CourseEnrollment { studentId courseId groupId periodStart periodEnd accessStatus }
  ... on TourBooking { tourDate packageId participantCount managerReference sourceChannel }
} } } }
fragment Money on PayableBooking { __typename id balance: balanceDue { amount }
  price { currency } schedule { sequence dueDate } }"""

# The list's own arguments as variables: page size, cursor, kind, status and filters.
ARGUMENTS = """query($first: Int, $after: String, $kind: BookingKind, $status: BookingStatus,
  $paymentStatus: PaymentStatus, $filter: BookingFilter) {
  bookings(first: $first, after: $after, kind: $kind, status: $status,
           paymentStatus: $paymentStatus, filter: $filter) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id kind reference crmReference status paymentStatus
    price { amount currency } balanceDue { amount currency } customer { externalRef }
    schedule { sequence status } } } } }"""

# @skip/@include with variables inside the node selection: on fields, objects and fragments.
DIRECTIVES = """query($money: Boolean!, $noIds: Boolean!) { bookings(first: 50) { edges { node {
  id @skip(if: $noIds) reference
  price @include(if: $money) { amount currency }
  schedule { id @skip(if: $noIds) status amountDue @include(if: $money) { amount } }
  timeline(first: 2) { edges { node { id @skip(if: $noIds) type } } }
  ... on TourBooking @include(if: $money) { tourDate participantCount }
  ... on ClinicAppointment { slotStart @skip(if: $money) specialistId }
  ...Refs @skip(if: $noIds)
} } } }
fragment Refs on PayableBooking { customer { id externalRef } paymentRequests { id } }"""

# When the next payment is due, and what it owes.
NEXT_DUE = """{ bookings(first: 50) { edges { node { id status nextDueDate
  nextDueAmount { __typename amount currency } schedule { sequence status } } } } }"""

# The rest of what the catalogue renders, and a few selections that are easy to get wrong:
# an alias that is another field's name, __typename aliased, a fragment on the Node interface.
MORE_FIELDS = """{ bookings(first: 50) { edges { node {
  id: reference reference: id kind: __typename t: __typename
  ... on Node { nodeId: id }
  paymentRequests { id paymentUrl provider providerOrderId createdAt
    amount { currency amount } status }
  payments { id provider providerReference state heldReason capturedAt verifiedAt }
  refunds { id reason requestedBy approvedBy providerRefundReference failure createdAt status }
  customer { externalRef id } policy { code id }
} } } }"""

# The schedule and its due dates (the business-day test).
SCHEDULE = """{ bookings(first: 10) { edges { node { id
  schedule { sequence dueDate graceDays status amountDue { amount }
  activePaymentRequest { id status } } paymentRequests { id status } } } } }"""

# Timelines cut at each early page size: where a page ends depends on the events the caller
# may see (CRM notes are hidden from some roles).
TIMELINES = """{ bookings(first: 50) { edges { node { id
  all: timeline(first: 50) { edges { cursor node { id sequence type actor occurredAt } }
    pageInfo { hasNextPage endCursor } }
  one: timeline(first: 1) { edges { cursor } pageInfo { hasNextPage endCursor } }
  two: timeline(first: 2) { edges { cursor } pageInfo { hasNextPage endCursor } }
  three: timeline(first: 3) { edges { node { type } } pageInfo { hasNextPage endCursor } }
} } } }"""

# Timelines at the edges of their arguments: an empty page, a null size, a cursor past the end.
ODD_TIMELINES = """query($none: Int) { bookings(first: 50) { edges { node { id
  empty: timeline(first: 0) { edges { cursor } pageInfo { hasNextPage endCursor } }
  unsized: timeline(first: $none) { edges { node { sequence } } pageInfo { endCursor } }
  past: timeline(after: "9000000000000000000") { edges { cursor }
    pageInfo { hasNextPage endCursor } }
  zero: timeline(first: 2, after: "0") { edges { cursor } pageInfo { hasNextPage } }
} } } }"""

# One page asked for from several places: the field merged from two selections and a fragment
# on Query, and the same alias twice with different sub-selections.
MERGED = """query { bookings(first: 50) { edges { node { id p: price { amount } } } }
  ...Listed }
fragment Listed on Query { bookings(first: 50) { totalCount edges { cursor node {
  reference p: price { currency } schedule { id } } } } }"""
# Two pages under different aliases in one request, each with its own selection and arguments.
TWO_LISTS = """query($n: Int = 2) { tours: bookings(kind: TOUR_BOOKING, first: $n) {
  edges { node { id ... on TourBooking { tourDate } timeline(first: $n) { edges { cursor } } } } }
  all: bookings(first: 50) { edges { node { reference status } } } }"""
# A variable's default, and the same document again with another value (nothing is kept
# between requests that depends on the variables).
SIZED = """query($n: Int = 1) { bookings(first: 50) { edges { node { id
  timeline(first: $n) { edges { cursor node { type } } pageInfo { hasNextPage endCursor } }
  schedule @include(if: true) { sequence } } } } }"""
# More fields than one json_build_object takes (100 arguments: 50 fields): every field of a
# clinic appointment and 28 aliases (a document may have 30).
WIDE = (
    "{ bookings(first: 50) { edges { node { __typename id kind reference crmReference status"
    " paymentStatus customer { id } price { amount } amountPaid { amount }"
    " amountRefunded { amount } balanceDue { amount } policy { id } schedule { id }"
    " paymentRequests { id } payments { id } refunds { id } timeline(first: 1) { edges { cursor } }"
    " createdAt updatedAt ... on ClinicAppointment { serviceId specialistId branchId slotStart"
    " slotEnd } " + " ".join(f"r{n}: reference" for n in range(28)) + " } } } }"
)

# The edges and the node under aliases; and the node left out by a directive.
ALIASED_EDGES = (
    """{ bookings(first: 50) { e: edges { c: cursor n: node { i: id r: reference } } } }"""
)
NO_NODE = """query($x: Boolean!) { bookings(first: 50) { edges { cursor
  node @include(if: $x) { id } } } }"""

# The list beside other root fields that read through the same session at the same time.
SIBLINGS = """query($id: ID!) { bookings(first: 50) { edges { node { id reference
  timeline(first: 2) { edges { cursor } } } } }
  node(id: $id) { id ... on PayableBooking { reference timeline(first: 2) { edges { cursor } } } }
  refundQuote(bookingId: $id) { refundable { amount currency } path } }"""

# The edges and the node reached through fragments on the connection and the edge.
THROUGH_FRAGMENTS = """{ bookings(first: 50) { ...Page } }
fragment Page on PayableBookingConnection { totalCount
  edges { ... on PayableBookingEdge { cursor node { ... on Node { id } reference } } } }"""

# What the JSON path does not render: an event's reason and data depend on the caller's role.
ROLE_DEPENDENT = (
    "query($first: Int) { bookings(first: $first) { totalCount edges { cursor node { "
    + BOOKING_FIELDS
    + " } } pageInfo { hasNextPage endCursor } } }"
)
EVENT_DATA = """{ bookings(first: 50) { edges { node { id reference
  timeline(first: 10) { edges { node { type reason data } } } } } } }"""

# Selections whose path is not specified: whichever answers, it answers the same.
AMOUNT_HELD = """{ bookings(first: 50) { edges { node { id amountHeld { amount currency }
  payments { state amount { amount } } } } } }"""
EDGES_TWICE = (
    """{ bookings(first: 50) { edges { node { id } } edges { cursor node { reference } } } }"""
)
HUGE_CURSOR = """{ bookings(first: 3) { edges { node { reference
  timeline(after: "99999999999999999999") { edges { cursor } } } } } }"""

# A bad cursor and a bad size deep in the list: the field's error and the nulls it spreads.
BAD_TIMELINE = """{ bookings(first: 3) { edges { node { reference
  timeline(after: "not-a-sequence") { edges { node { type } } } } } } }"""
BAD_SIZE = """query($first: Int) { bookings { edges { node { id reference
  timeline(first: $first) { pageInfo { hasNextPage } } } } } }"""

# --- the data -------------------------------------------------------------------------------

REQUEST_REFUND = """mutation($input: RequestRefundInput!) { requestRefund(input: $input) {
  errors { code field message } refund { id status } } }"""
APPROVE_REFUND = """mutation($id: ID!) { approveRefund(refundId: $id) {
  errors { code field message } refund { id status } } }"""
CHANGED = "errors { code field message } booking { id status }"
RESCHEDULE = (
    "mutation($input: RescheduleAppointmentInput!) { rescheduleAppointment(input: $input) { "
    + CHANGED
    + " } }"
)
CANCEL = (
    "mutation($input: CancelBookingInput!) { cancelBooking(input: $input) { " + CHANGED + " } }"
)
DISCOUNT = (
    "mutation($input: ApplyDiscountInput!) { applyDiscount(input: $input) { " + CHANGED + " } }"
)
PAUSE = (
    "mutation($input: EnrollmentChangeInput!) { pauseEnrollment(input: $input) { "
    + CHANGED
    + " } }"
)
ADD_NOTE = "mutation($input: AddNoteInput!) { addNote(input: $input) { " + CHANGED + " } }"
PAYMENTS = """query($id: ID!) { node(id: $id) { ... on PayableBooking {
  paymentStatus payments { id } refunds { id status } } } }"""


@dataclass
class Seeded:
    """The global ids of what the varied data set holds, by what is special about each."""

    ids: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return self.ids[name]


async def _payload(api: Api, document: str, input_: dict[str, Any]) -> dict[str, Any]:
    payload = next(iter((await api.data(document, {"input": input_})).values()))
    assert payload["errors"] == [], payload["errors"]
    return payload


async def _booked(api: Api, document: str, input_: dict[str, Any]) -> str:
    return (await _payload(api, document, input_))["booking"]["id"]


def _three_months(price: int) -> dict[str, Any]:
    """A price split into three monthly installments, the first due today (in Yerevan, where
    the API measures "the past", whatever the machine's zone and the hour)."""
    each = price // 3
    amounts = [each, each, price - 2 * each]
    return {
        "price": {"amount": f"{price}.00", "currency": "AMD"},
        "installments": [
            {
                "amount": f"{amount}.00",
                "dueDate": (clock.today() + timedelta(days=30 * month)).isoformat(),
                "graceDays": month,
                "label": f'«month {month + 1}» — "ü"',
            }
            for month, amount in enumerate(amounts)
        ],
    }


async def _refund(api: Api, booking_id: str, amount: str, *, approve: bool) -> str:
    """A refund requested by an operator, and approved by an accountant when asked."""
    requested = await _payload(
        api, REQUEST_REFUND, {"bookingId": booking_id, "amount": amount, "reason": "goodwill"}
    )
    refund_id = requested["refund"]["id"]
    if approve:
        accountant = api.as_role("accountant", sub="anna@accounts")
        approved = (await accountant.data(APPROVE_REFUND, {"id": refund_id}))["approveRefund"]
        assert approved["errors"] == [], approved["errors"]
        assert approved["refund"]["status"] == "SUCCEEDED"
    return refund_id


async def _seed_varied(api: Api, client: httpx.AsyncClient, db: asyncpg.Connection) -> Seeded:
    """A booking of each vertical in most of the states money and changes can leave it in."""
    seeded = Seeded()
    ids = seeded.ids

    # paid in full through the sandbox, with a CRM reference and a refund waiting for approval
    ids["paid_refund_requested"] = await _booked(
        api, CREATE_CLINIC, clinic_input(crmReference="CRM-1001", customerRef="patient-7")
    )
    await pay(client, await link_for(api, ids["paid_refund_requested"]))
    await _refund(api, ids["paid_refund_requested"], "4000.00", approve=False)

    # paid in full, a refund approved (money back at the gateway), and a staff note
    ids["paid_refund_approved"] = await _booked(api, CREATE_CLINIC, clinic_input())
    await pay(client, await link_for(api, ids["paid_refund_approved"]))
    await _refund(api, ids["paid_refund_approved"], "5000.00", approve=True)
    await _payload(
        api.as_role("support"),
        ADD_NOTE,
        {"bookingId": ids["paid_refund_approved"], "text": "called back, all fine"},
    )

    # a course on three monthly installments: the first paid, the second's link open
    ids["course_installments"] = await _booked(
        api, CREATE_COURSE, course_input(crmReference="CRM-2002", **_three_months(90000))
    )
    await pay(client, await link_for(api, ids["course_installments"]))
    await link_for(api, ids["course_installments"])
    await _payload(api, PAUSE, {"bookingId": ids["course_installments"], "reason": "holiday"})

    # a tour with a deposit: the deposit paid, the balance owed later
    ids["tour_deposit_paid"] = await _booked(
        api,
        CREATE_TOUR,
        tour_input(depositAmount="20000.00", balanceDueDate=days_from_now(40), sourceChannel="web"),
    )
    await pay(client, await link_for(api, ids["tour_deposit_paid"]))
    # and a discount a manager gave afterwards: the price and the schedule change
    await _payload(
        api, DISCOUNT, {"bookingId": ids["tour_deposit_paid"], "amount": "10000", "reason": "loyal"}
    )

    # an open link, never paid, on an appointment that was moved to another slot
    ids["rescheduled_open_link"] = await _booked(api, CREATE_CLINIC, clinic_input())
    open_link = await link_for(api, ids["rescheduled_open_link"], expiresInMinutes=120)
    # its expiry on a whole second, and another's a tenth past one: how fractions are printed
    await db.execute(
        "UPDATE payment_requests SET expires_at = date_trunc('second', expires_at) WHERE id = $1",
        local(open_link["id"]),
    )
    moved = clinic_input()
    await _payload(
        api,
        RESCHEDULE,
        {
            "bookingId": ids["rescheduled_open_link"],
            "slotStart": moved["slotStart"],
            "slotEnd": moved["slotEnd"],
            "specialistId": "dr-2",
            "reason": "doctor ill",
        },
    )

    # a link whose expiry passed: it reads EXPIRED before any sweep has recorded it
    ids["expired_link"] = await _booked(api, CREATE_TOUR, tour_input(managerReference="M-9"))
    expired = await link_for(api, ids["expired_link"])
    await expire_here(db, expired["id"])

    # a link recorded EXPIRED, and the new open link that replaced it
    ids["expired_and_replaced"] = await _booked(api, CREATE_CLINIC, clinic_input())
    await expire_here(db, (await link_for(api, ids["expired_and_replaced"]))["id"])
    await link_for(api, ids["expired_and_replaced"])

    # a cancelled booking, never paid
    ids["cancelled"] = await _booked(api, CREATE_TOUR, tour_input(participantCount=4))
    await _payload(
        api,
        CANCEL,
        {"bookingId": ids["cancelled"], "reason": "changed plans", "cause": "CUSTOMER_REQUEST"},
    )

    # a plain course, untouched since it was booked
    ids["untouched_course"] = await _booked(api, CREATE_COURSE, course_input(groupId="morning"))

    # a staff note right after booking: the second event, a CRM note some roles do not see
    ids["noted_early"] = await _booked(api, CREATE_TOUR, tour_input())
    await _payload(
        api.as_role("support"), ADD_NOTE, {"bookingId": ids["noted_early"], "text": "VIP"}
    )
    await link_for(api, ids["noted_early"])

    # priced in dollars, with text that JSON must escape: quotes, a backslash, non-ASCII
    ids["usd_odd_text"] = await _booked(
        api,
        CREATE_CLINIC,
        clinic_input(
            price={"amount": "150.50", "currency": "USD"},
            crmReference='CRM "7" \\ Երևան ✓ 🙂',
            customerRef="patient/ü",
        ),
    )

    usd_link = await link_for(api, ids["usd_odd_text"])
    await db.execute(
        "UPDATE payment_requests SET expires_at = date_trunc('second', expires_at)"
        " + interval '0.1 second' WHERE id = $1",
        local(usd_link["id"]),
    )

    # money paid on a link already expired in our books: held for a person, not counted
    ids["held_payment"] = await _booked(api, CREATE_CLINIC, clinic_input())
    late = await link_for(api, ids["held_payment"])
    await expire_here(db, late["id"])
    await pay(client, late)

    # installments past their due date: one overdue, one due within its grace days
    ids["overdue_installments"] = await _booked(
        api, CREATE_COURSE, course_input(**_three_months(60000))
    )
    for sequence, (days_ago, grace) in enumerate(((40, 3), (2, 5)), start=1):
        await db.execute(
            "UPDATE installments SET due_date = current_date - $1::int, grace_days = $2"
            " WHERE booking_id = $3 AND sequence = $4",
            days_ago,
            grace,
            local(ids["overdue_installments"]),
            sequence,
        )

    await _check_seeded(api, seeded)
    return seeded


async def _check_seeded(api: Api, seeded: Seeded) -> None:
    """The set-up reached the states it claims (through the ordinary read path)."""
    node = {
        name: (await api.data(PAYMENTS, {"id": id_}))["node"] for name, id_ in seeded.ids.items()
    }
    assert node["paid_refund_requested"]["paymentStatus"] == "PAID"
    assert [r["status"] for r in node["paid_refund_requested"]["refunds"]] == ["REQUESTED"]
    assert [r["status"] for r in node["paid_refund_approved"]["refunds"]] == ["SUCCEEDED"]
    assert node["course_installments"]["paymentStatus"] == "DEPOSIT_PAID"
    assert node["tour_deposit_paid"]["paymentStatus"] == "DEPOSIT_PAID"
    assert node["cancelled"]["payments"] == []
    assert node["held_payment"]["paymentStatus"] != "PAID"
    assert len(node["held_payment"]["payments"]) == 1


# --- the two paths --------------------------------------------------------------------------


def _pages(outcome: str) -> float:
    return REGISTRY.get_sample_value("payable_json_node_pages_total", {"outcome": outcome}) or 0.0


@dataclass
class Taken:
    """How many pages each path answered while a block ran."""

    rendered: float = 0.0
    fallback: float = 0.0

    @property
    def path(self) -> str:
        """RENDERED or FALLBACK for one page, EMPTY when no page was listed, else the counts."""
        counts = (self.rendered, self.fallback)
        names = {(1, 0): RENDERED, (0, 1): FALLBACK, (0, 0): EMPTY}
        return names.get(counts, f"rendered={self.rendered} fallback={self.fallback}")


RENDERED, FALLBACK, EMPTY = "rendered", "fallback", "no page"


@contextmanager
def _pages_taken() -> Iterator[Taken]:
    taken = Taken()
    rendered, fallback = _pages("rendered"), _pages("fallback")
    try:
        yield taken
    finally:
        taken.rendered = _pages("rendered") - rendered
        taken.fallback = _pages("fallback") - fallback


@dataclass
class Both:
    """One request's answer with the JSON path on, and off, and which path the 'on' run took."""

    on: dict[str, Any]
    off: dict[str, Any]
    taken: Taken


async def _both(
    api: Api, document: str, variables: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> Both:
    with _pages_taken() as taken:
        on = await api.post(document, variables)
    with monkeypatch.context() as patch, _pages_taken() as switched_off:
        patch.setattr(json_nodes, "ENABLED", False)
        off = await api.post(document, variables)
    assert switched_off.path == EMPTY  # switched off, the JSON path is not even tried
    return Both(on, off, taken)


def _differences(on: Any, off: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Where two answers differ: (path, value with the JSON path on, value with it off). Keys
    in another order count too (a response's fields follow the selection's order)."""
    if isinstance(on, dict) and isinstance(off, dict):
        if list(on) != list(off) and set(on) == set(off):
            return [(path, f"keys {list(on)}", f"keys {list(off)}")]
        found = []
        for key in dict.fromkeys([*on, *off]):
            if key not in on or key not in off:
                found.append(((*path, key), on.get(key, "<absent>"), off.get(key, "<absent>")))
            else:
                found += _differences(on[key], off[key], (*path, key))
        return found
    if isinstance(on, list) and isinstance(off, list) and len(on) == len(off):
        return [
            d
            for n, (a, b) in enumerate(zip(on, off, strict=True))
            for d in _differences(a, b, (*path, n))
        ]
    return [] if on == off and type(on) is type(off) else [(path, on, off)]


def _listed(found: list[tuple[Any, ...]]) -> str:
    return "\n".join(" | ".join(map(str, item)) for item in found)


Case = tuple[str, str, dict[str, Any], str | None]  # name, document, variables, expected path


def _callers(api: Api) -> dict[str, Api]:
    """The tenant's API as each role, its token issued now."""
    callers = {role: api.as_role(role) for role in ROLES}
    for caller in callers.values():
        assert caller.token
    return callers


async def _compare(
    api: Api | dict[str, Api], cases: list[Case], monkeypatch: pytest.MonkeyPatch
) -> list[tuple[Any, ...]]:
    """Every case for every role with the JSON path on and off: each difference in the
    answers, and each page that took another path than expected (None: either will do, and
    errors are expected too)."""
    found: list[tuple[Any, ...]] = []
    callers = api if isinstance(api, dict) else _callers(api)
    for role, caller in callers.items():
        for name, document, variables, expected in cases:
            both = await _both(caller, document, variables, monkeypatch)
            found += [(role, name, *difference) for difference in _differences(both.on, both.off)]
            if both.on.get("data") is None and not both.on.get("errors"):
                found.append((role, name, "no answer", both.on))
            if expected is not None and "errors" in both.on:
                found.append((role, name, "errors", both.on["errors"]))
            if expected is not None and both.taken.path != expected:
                found.append((role, name, "path", both.taken.path, "expected", expected))
    return found


async def _event_cursor(api: Api) -> str:
    """A timeline cursor from the middle of the data set's history (sequences are global)."""
    listed = await api.data(
        "{ bookings(first: 50) { edges { node { timeline(first: 50) { edges { cursor } } } } } }"
    )
    cursors = [
        event["cursor"]
        for edge in listed["bookings"]["edges"]
        for event in edge["node"]["timeline"]["edges"]
    ]
    return sorted(cursors, key=int)[len(cursors) // 2]


async def _event_types(api: Api, booking_id: str) -> list[str]:
    """The types of a listed booking's events, as the caller sees them (rendered)."""
    listed = (await api.data(TIMELINES))["bookings"]["edges"]
    [node] = [edge["node"] for edge in listed if edge["node"]["id"] == booking_id]
    return [edge["node"]["type"] for edge in node["all"]["edges"]]


# --- the tests ------------------------------------------------------------------------------


async def test_every_answer_is_the_ordinary_paths_answer(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a booking of each vertical, paid, partly paid, refunded, moved, cancelled, expired
    seeded = await _seed_varied(api, client, db)
    after_event = await _event_cursor(api)
    first_page = (await api.data(ARGUMENTS, {"first": 4}))["bookings"]
    assert first_page["pageInfo"]["hasNextPage"] is True
    second = first_page["pageInfo"]["endCursor"]

    # the requests the JSON path renders, and those it leaves to the ordinary path
    cases: list[Case] = [
        ("bench", BENCH, {}, RENDERED),
        ("every field", EVERY_FIELD, {"after": after_event}, RENDERED),
        ("every field, no cursor", EVERY_FIELD, {"after": None}, RENDERED),
        ("next due", NEXT_DUE, {}, None),  # its path: test_the_next_due_payment_is_rendered
        ("more fields", MORE_FIELDS, {}, RENDERED),
        ("first 4", ARGUMENTS, {"first": 4}, RENDERED),
        ("second page", ARGUMENTS, {"first": 4, "after": second}, RENDERED),
        ("clinics", ARGUMENTS, {"kind": "CLINIC_APPOINTMENT"}, RENDERED),
        ("tours", ARGUMENTS, {"kind": "TOUR_BOOKING", "first": 2}, RENDERED),
        ("cancelled", ARGUMENTS, {"status": "CANCELLED"}, RENDERED),
        ("deposit paid", ARGUMENTS, {"paymentStatus": "DEPOSIT_PAID"}, RENDERED),
        ("paid", ARGUMENTS, {"paymentStatus": "PAID", "status": "CONFIRMED"}, RENDERED),
        ("crm", ARGUMENTS, {"filter": {"crmReference": "CRM-1001"}}, RENDERED),
        ("customer", ARGUMENTS, {"filter": {"customerRef": "patient-7"}}, RENDERED),
        ("specialist", ARGUMENTS, {"filter": {"specialistId": "dr-2"}}, RENDERED),
        ("group", ARGUMENTS, {"filter": {"courseId": "python", "groupId": "morning"}}, RENDERED),
        (
            "package",
            ARGUMENTS,
            {"filter": {"packageId": "dilijan", "sourceChannel": "web"}},
            RENDERED,
        ),
        ("manager", ARGUMENTS, {"filter": {"managerReference": "M-9"}}, RENDERED),
        (
            "service days",
            ARGUMENTS,
            {"filter": {"serviceFrom": "2030-01-01"}, "first": 3},
            RENDERED,
        ),
        ("nothing", ARGUMENTS, {"filter": {"reference": "NO-SUCH-REF"}}, EMPTY),
        ("directives on", DIRECTIVES, {"money": True, "noIds": False}, RENDERED),
        ("directives off", DIRECTIVES, {"money": False, "noIds": True}, RENDERED),
        ("timelines", TIMELINES, {}, RENDERED),
        ("odd timelines", ODD_TIMELINES, {"none": None}, RENDERED),
        ("merged", MERGED, {}, RENDERED),
        ("two lists", TWO_LISTS, {}, None),
        ("sized by default", SIZED, {}, RENDERED),
        ("sized 3", SIZED, {"n": 3}, RENDERED),
        ("sized 0", SIZED, {"n": 0}, RENDERED),
        ("wide", WIDE, {}, None),
        ("siblings", SIBLINGS, {"id": seeded["paid_refund_approved"]}, None),
        ("aliased edges", ALIASED_EDGES, {}, RENDERED),
        ("through fragments", THROUGH_FRAGMENTS, {}, RENDERED),
        ("no node", NO_NODE, {"x": False}, None),
        ("node included", NO_NODE, {"x": True}, RENDERED),
        # what the JSON path leaves to the resolvers
        ("role-dependent fields", ROLE_DEPENDENT, {"first": 50}, FALLBACK),
        ("event data", EVENT_DATA, {}, FALLBACK),
        ("amount held", AMOUNT_HELD, {}, None),
        ("edges twice", EDGES_TWICE, {}, None),
        ("huge cursor", HUGE_CURSOR, {}, None),
    ]

    # when: each request runs with the JSON path on and off, for each role
    found = await _compare(api, cases, monkeypatch)

    # then: the answers are the same, and each page took the path it should
    assert found == [], _listed(found)

    # and: the answers hold the data set, not an empty page answered the same way twice
    listed = (await api.data(EVERY_FIELD, {"after": after_event}))["bookings"]
    assert listed["totalCount"] == len(seeded.ids)
    assert {edge["node"]["id"] for edge in listed["edges"]} == set(seeded.ids.values())
    nodes = [edge["node"] for edge in listed["edges"]]
    assert {r["status"] for node in nodes for r in node["paymentRequests"]} >= {
        "PAID",
        "PENDING",
        "EXPIRED",
    }
    lines = {line["status"] for node in nodes for line in node["schedule"]}
    assert lines == {"PAID", "DUE", "UPCOMING", "OVERDUE"}
    assert {node["crmReference"] for node in nodes} >= {None, "CRM-1001"}
    assert {node.get("accessStatus") for node in nodes} >= {"SUSPENDED", "NONE"}
    assert {node["price"]["currency"] for node in nodes} == {"AMD", "USD"}
    assert any(node["later"]["edges"] for node in nodes)
    assert any(not node["later"]["edges"] for node in nodes)
    seen = {role: await _event_types(api.as_role(role), seeded["noted_early"]) for role in ROLES}
    assert len({tuple(types) for types in seen.values()}) == 2  # some roles see the note
    assert {"CREATED", "NOTE"} <= set(seen["support"])


async def test_a_field_error_in_the_list_is_the_same_error(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the varied data set
    await _seed_varied(api, client, db)

    # when: a timeline under the list is asked for with a bad argument, the path on and off
    found = await _compare(
        api,
        [
            ("bad cursor", BAD_TIMELINE, {}, None),
            ("negative size", BAD_SIZE, {"first": -1}, None),
            ("size over the limit", BAD_SIZE, {"first": 10**6}, None),
        ],
        monkeypatch,
    )

    # then: the same errors, at the same paths, and the same nulls
    assert found == [], _listed(found)
    bad = await api.post(BAD_TIMELINE)
    assert bad["data"] is None  # a non-null timeline failed: its nulls reach the root field
    assert {error["extensions"]["code"] for error in bad["errors"]} == {"INVALID_CURSOR"}
    negative = await api.post(BAD_SIZE, {"first": -1})
    assert {error["extensions"]["code"] for error in negative["errors"]} == {"INVALID_PAGE_SIZE"}


async def test_the_business_day_is_yerevans_on_both_paths(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installments are due, overdue or upcoming by the Yerevan date: late in the UTC evening it
    is already tomorrow there. Both paths read one clock, `core.clock`."""
    # given: installments due on the UTC date and on the Yerevan date of a late-evening moment
    moment = datetime.combine(datetime.now(UTC).date(), time(21, 30), UTC)
    utc_day, yerevan_day = moment.date(), clock.business_date(moment)
    assert yerevan_day == utc_day + timedelta(days=1)
    booking = await _booked(api, CREATE_COURSE, course_input(**_three_months(90000)))
    due_dates = [(utc_day, 0), (yerevan_day, 0), (yerevan_day + timedelta(days=1), 0)]
    for sequence, (due, grace) in enumerate(due_dates, start=1):
        await db.execute(
            "UPDATE installments SET due_date = $1, grace_days = $2"
            " WHERE booking_id = $3 AND sequence = $4",
            due,
            grace,
            local(booking),
            sequence,
        )
    callers = _callers(api)  # tokens issued by the real clock, before it is moved

    # when: the clock reads that moment, and the schedule is listed with the path on and off
    monkeypatch.setattr(clock, "now", lambda: moment)
    found = await _compare(
        callers,
        [
            ("schedule at 21:30 UTC", SCHEDULE, {}, RENDERED),
            ("next due at 21:30 UTC", NEXT_DUE, {}, None),
            ("bench at 21:30 UTC", BENCH, {}, RENDERED),
        ],
        monkeypatch,
    )

    # then: the same statuses and next due date on both paths: Yerevan's
    assert found == [], _listed(found)
    operator = callers["operator"]
    node = (await operator.data(SCHEDULE))["bookings"]["edges"][0]["node"]
    assert [line["status"] for line in node["schedule"]] == ["OVERDUE", "DUE", "UPCOMING"]
    node = (await operator.data(NEXT_DUE))["bookings"]["edges"][0]["node"]
    assert node["nextDueDate"] == utc_day.isoformat()


async def test_the_next_due_payment_is_rendered(
    api: Api, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """nextDueDate and nextDueAmount are among the fields a list renders in SQL."""
    # given: a course on three installments, the first paid, and a cancelled tour
    course = await _booked(api, CREATE_COURSE, course_input(**_three_months(90000)))
    await pay(client, await link_for(api, course))
    tour = await _booked(api, CREATE_TOUR, tour_input(depositAmount="20000.00"))
    await _payload(
        api, CANCEL, {"bookingId": tour, "reason": "changed plans", "cause": "CUSTOMER_REQUEST"}
    )

    # when: the next due payment is listed with the JSON path on and off
    found = await _compare(api, [("next due", NEXT_DUE, {}, RENDERED)], monkeypatch)

    # then: the same answers, and the page was rendered in SQL
    assert found == [], _listed(found)


async def _seed_plain(api: Api, count: int) -> list[str]:
    documents = [
        (CREATE_CLINIC, clinic_input),
        (CREATE_COURSE, course_input),
        (CREATE_TOUR, lambda: tour_input(depositAmount="20000.00")),
    ]
    return [await _booked(api, documents[n % 3][0], documents[n % 3][1]()) for n in range(count)]


async def _statements(api: Api, document: str) -> tuple[int, dict[str, Any]]:
    """How many statements a request sends (the JSON path's goes through the engine too)."""
    with api.count_statements() as statements:
        data = await api.data(document)
    return len(statements), data


async def test_a_rendered_page_costs_fewer_statements_whatever_its_size(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a tenant with 3 bookings, and one with 20
    small, large = api, api.for_tenant(f"t-{uuid.uuid4().hex[:12]}")
    await _seed_plain(small, 3)
    await _seed_plain(large, 20)

    # when: the bench query lists each, with the JSON path on and off
    counted, paths = {}, {}
    for size, caller in ((3, small), (20, large)):
        await caller.data(BENCH)  # warm: the tenant and the caller are known
        with _pages_taken() as taken:
            counted[size, "on"], on = await _statements(caller, BENCH)
        with monkeypatch.context() as patch:
            patch.setattr(json_nodes, "ENABLED", False)
            counted[size, "off"], off = await _statements(caller, BENCH)
        assert _differences(on, off) == []
        assert len(on["bookings"]["edges"]) == size
        paths[size] = taken.path

    # then: the page was rendered, with fewer statements, and as many for 20 bookings as for 3
    print(f"statements: {counted}")
    assert paths == {3: RENDERED, 20: RENDERED}
    assert counted[3, "on"] == counted[20, "on"] == 2  # the page, then its nodes
    assert counted[3, "off"] == counted[20, "off"] > 2


async def test_another_tenants_bookings_never_appear(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: two tenants, each with bookings of every vertical
    other = api.for_tenant(f"t-{uuid.uuid4().hex[:12]}")
    ours = await _seed_plain(api, 4)
    theirs = await _seed_plain(other, 5)

    for tenant, expected in ((api, ours), (other, theirs)):
        # when: each tenant lists its bookings with the JSON path on and off
        found = await _compare(tenant, [("bench", BENCH, {}, RENDERED)], monkeypatch)

        # then: the same answers, and each tenant sees exactly its own bookings
        assert found == [], _listed(found)
        for role in ROLES:
            listed = (await tenant.as_role(role).data(BENCH))["bookings"]
            assert listed["totalCount"] == len(expected)
            assert sorted(edge["node"]["id"] for edge in listed["edges"]) == sorted(expected)
    assert not set(ours) & set(theirs)


async def _get(api: Api, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    """A query sent as a GET request (the same endpoint, the query in the URL)."""
    response = await api.client.get(
        "/graphql",
        params={"query": document, "variables": json.dumps(variables)},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_get_request_answers_the_same(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # given: bookings of every vertical
    await _seed_plain(api, 4)

    for document, variables in ((BENCH, {}), (DIRECTIVES, {"money": True, "noIds": False})):
        # when: the list is asked for by GET with the JSON path on, and by POST with it off
        with _pages_taken() as taken:
            on = await _get(api, document, variables)
        with monkeypatch.context() as patch:
            patch.setattr(json_nodes, "ENABLED", False)
            off = await api.post(document, variables)

        # then: the same answer
        assert _differences(on, off) == [], _listed(_differences(on, off))
        assert len(on["data"]["bookings"]["edges"]) == 4
        assert taken.path == RENDERED


async def test_pages_listed_at_the_same_time_answer_the_same(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: bookings of every vertical, and the answer of the path switched off
    await _seed_plain(api, 6)
    with monkeypatch.context() as patch:
        patch.setattr(json_nodes, "ENABLED", False)
        expected = await api.post(BENCH)

    # when: eight requests list them at once, each rendered
    with _pages_taken() as taken:
        answers = await asyncio.gather(*(api.post(BENCH) for _ in range(8)))

    # then: every one is the same answer
    assert taken.rendered == 8
    for answer in answers:
        assert _differences(answer, expected) == []


async def _over_websocket(url: str, api: Api, document: str) -> dict[str, Any]:
    """A query's answer sent over a websocket (graphql-transport-ws)."""
    async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {api.token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": document}}))
        async with asyncio.timeout(10):
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "next":
                    return message["payload"]
    raise AssertionError("the socket closed before an answer")


async def test_a_query_over_a_websocket_answers_the_same(
    api: Api, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: bookings of every vertical, and the answer over HTTP with the JSON path off
    await _seed_plain(api, 4)
    with monkeypatch.context() as patch:
        patch.setattr(json_nodes, "ENABLED", False)
        expected = await api.post(BENCH)

    # when: the same query is sent over a websocket, the JSON path on
    async with serve(app) as url:
        with _pages_taken() as taken:
            answer = await _over_websocket(url, api, BENCH)

    # then: the same answer, rendered
    assert _differences(answer, expected) == [], _listed(_differences(answer, expected))
    assert taken.path == RENDERED
