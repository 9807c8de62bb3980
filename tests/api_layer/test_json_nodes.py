"""A page of bookings rendered as JSON in PostgreSQL answers exactly what the ordinary path answers.

When every field selected under `bookings { edges { node { ... } } }` is one the JSON path
(`graphql/json_nodes`) knows how to render, the list resolver builds each node's JSON in one
statement and the executor passes it through; anything else falls back to the resolvers and
dataloaders. Every answer here, data and errors alike, is compared with the same request run
with the JSON path switched off, on the same varied data and for each role (what a role may see
differs). The `payable_json_node_pages_total` counter says which path a page took.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
from prometheus_client import REGISTRY

try:  # DEV-ONLY until the feature lands
    from payable.graphql import json_nodes
except ImportError:  # pragma: no cover
    import types

    json_nodes = types.SimpleNamespace(ENABLED=True)  # type: ignore[assignment]
from tests.api import Api
from tests.bookings.factories import BOOKING_FIELDS, days_from_now
from tests.money.factories import expire_here, link_for, pay
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
# three timelines with different arguments under different aliases.
EVERY_FIELD = """query($after: String) { bookings(first: 50) { totalCount
  pageInfo { hasNextPage endCursor }
  edges { cursor node { __typename
  id kind ref: reference crmReference status paymentStatus
  customer { __typename id externalRef }
  price { __typename amount currency } paid: amountPaid { total: amount currency }
  amountRefunded { amount currency } balanceDue { amount currency }
  nextDueDate nextDueAmount { __typename amount currency }
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

# What the JSON path does not render: an event's reason and data depend on the caller's role.
ROLE_DEPENDENT = (
    "query($first: Int) { bookings(first: $first) { totalCount edges { cursor node { "
    + BOOKING_FIELDS
    + " } } pageInfo { hasNextPage endCursor } } }"
)
EVENT_DATA = """{ bookings(first: 50) { edges { node { id reference
  timeline(first: 10) { edges { node { type reason data } } } } } } }"""

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
    """A price split into three monthly installments, the first due today."""
    each = price // 3
    amounts = [each, each, price - 2 * each]
    return {
        "price": {"amount": f"{price}.00", "currency": "AMD"},
        "installments": [
            {
                "amount": f"{amount}.00",
                "dueDate": days_from_now(30 * month),
                "graceDays": month,
                "label": f"month {month + 1}",
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

    # a tour with a deposit: the deposit paid, the balance owed later
    ids["tour_deposit_paid"] = await _booked(
        api,
        CREATE_TOUR,
        tour_input(depositAmount="20000.00", balanceDueDate=days_from_now(40), sourceChannel="web"),
    )
    await pay(client, await link_for(api, ids["tour_deposit_paid"]))

    # an open link, never paid, on an appointment that was moved to another slot
    ids["rescheduled_open_link"] = await _booked(api, CREATE_CLINIC, clinic_input())
    await link_for(api, ids["rescheduled_open_link"], expiresInMinutes=120)
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


# --- the two paths --------------------------------------------------------------------------


def _pages(outcome: str) -> float:
    return REGISTRY.get_sample_value("payable_json_node_pages_total", {"outcome": outcome}) or 0.0


@dataclass
class Taken:
    """How many pages each path rendered while a block ran."""

    rendered: float = 0.0
    fallback: float = 0.0


@contextmanager
def _pages_taken() -> Iterator[Taken]:
    taken = Taken()
    rendered, fallback = _pages("rendered"), _pages("fallback")
    try:
        yield taken
    finally:
        taken.rendered = _pages("rendered") - rendered
        taken.fallback = _pages("fallback") - fallback


def _in_order(value: Any) -> Any:
    """The response with each object's keys as an ordered list: field order is compared too."""
    if isinstance(value, dict):
        return [(key, _in_order(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [_in_order(item) for item in value]
    return value


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
    with monkeypatch.context() as patch:
        patch.setattr(json_nodes, "ENABLED", False)
        off = await api.post(document, variables)
    return Both(on, off, taken)


def _assert_same(both: Both, label: object) -> None:
    assert both.on == both.off, label
    assert _in_order(both.on) == _in_order(both.off), ("field order", label)
    assert both.on.get("data") is not None or both.on.get("errors"), label


def _assert_rendered(both: Both, label: object) -> None:
    if isinstance(json_nodes, __import__("types").SimpleNamespace):
        return  # DEV-ONLY
    assert (both.taken.rendered, both.taken.fallback) == (1, 0), label


def _assert_fell_back(both: Both, label: object) -> None:
    if isinstance(json_nodes, __import__("types").SimpleNamespace):
        return  # DEV-ONLY
    assert (both.taken.rendered, both.taken.fallback) == (0, 1), label


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


# --- the tests ------------------------------------------------------------------------------


async def test_every_answer_is_the_ordinary_paths_answer(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a booking of each vertical, paid, partly paid, refunded, moved, cancelled, expired
    seeded = await _seed_varied(api, client, db)
    after_event = await _event_cursor(api)
    first_page = (await api.data(ARGUMENTS, {"first": 4}))["bookings"]
    assert first_page["pageInfo"]["hasNextPage"] is True

    # the requests the JSON path renders, and those it leaves to the ordinary path
    rendered = [
        ("bench", BENCH, {}),
        ("every field", EVERY_FIELD, {"after": after_event}),
        ("every field, no cursor", EVERY_FIELD, {"after": None}),
        ("first 4", ARGUMENTS, {"first": 4}),
        ("second page", ARGUMENTS, {"first": 4, "after": first_page["pageInfo"]["endCursor"]}),
        ("clinics", ARGUMENTS, {"kind": "CLINIC_APPOINTMENT"}),
        ("tours", ARGUMENTS, {"kind": "TOUR_BOOKING", "first": 2}),
        ("cancelled", ARGUMENTS, {"status": "CANCELLED"}),
        ("partly paid", ARGUMENTS, {"paymentStatus": "DEPOSIT_PAID"}),
        ("paid", ARGUMENTS, {"paymentStatus": "PAID", "status": "CONFIRMED"}),
        ("crm", ARGUMENTS, {"filter": {"crmReference": "CRM-1001"}}),
        ("customer", ARGUMENTS, {"filter": {"customerRef": "patient-7"}}),
        ("specialist", ARGUMENTS, {"filter": {"specialistId": "dr-2"}}),
        ("group", ARGUMENTS, {"filter": {"courseId": "python", "groupId": "morning"}}),
        ("package", ARGUMENTS, {"filter": {"packageId": "dilijan", "sourceChannel": "web"}}),
        ("manager", ARGUMENTS, {"filter": {"managerReference": "M-9"}}),
        ("service days", ARGUMENTS, {"filter": {"serviceFrom": "2030-01-01"}, "first": 3}),
        ("nothing", ARGUMENTS, {"filter": {"reference": "NO-SUCH-REF"}}),
        ("directives on", DIRECTIVES, {"money": True, "noIds": False}),
        ("directives off", DIRECTIVES, {"money": False, "noIds": True}),
    ]
    fallback = [
        ("role-dependent fields", ROLE_DEPENDENT, {"first": 50}),
        ("event data", EVENT_DATA, {}),
    ]
    for role in ROLES:
        caller = api.as_role(role)
        for name, document, variables in rendered + fallback:
            # when: the same request runs with the JSON path on and off
            both = await _both(caller, document, variables, monkeypatch)

            # then: the answers are the same, and they are real answers
            _assert_same(both, (role, name))
            assert "errors" not in both.on, (role, name, both.on["errors"])
            if (name, document, variables) in fallback:
                _assert_fell_back(both, (role, name))
            else:
                _assert_rendered(both, (role, name))

    # and: the answers hold the data set, not an empty page answered the same way twice
    listed = (await api.data(EVERY_FIELD, {"after": after_event}))["bookings"]
    assert listed["totalCount"] == len(seeded.ids)
    assert {edge["node"]["id"] for edge in listed["edges"]} == set(seeded.ids.values())
    statuses = {
        status["status"] for edge in listed["edges"] for status in edge["node"]["paymentRequests"]
    }
    assert statuses >= {"PAID", "PENDING", "EXPIRED"}
    assert {edge["node"]["crmReference"] for edge in listed["edges"]} >= {None, "CRM-1001"}
    assert any(edge["node"]["later"]["edges"] for edge in listed["edges"])


async def test_a_field_error_in_the_list_is_the_same_error(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the varied data set
    await _seed_varied(api, client, db)

    for role in ROLES:
        caller = api.as_role(role)
        for name, document, variables in (
            ("bad cursor", BAD_TIMELINE, {}),
            ("negative size", BAD_SIZE, {"first": -1}),
        ):
            # when: a timeline under the list is asked for with a bad argument
            both = await _both(caller, document, variables, monkeypatch)

            # then: the same errors, at the same paths, and the same nulls
            _assert_same(both, (role, name))
            assert both.on["errors"], (role, name)

    bad = await api.post(BAD_TIMELINE)
    assert bad["data"] is None  # a non-null timeline failed: its nulls reach the root field
    assert {error["extensions"]["code"] for error in bad["errors"]} == {"INVALID_CURSOR"}


async def _seed_plain(api: Api, count: int) -> list[str]:
    documents = [
        (CREATE_CLINIC, clinic_input),
        (CREATE_COURSE, course_input),
        (CREATE_TOUR, lambda: tour_input(depositAmount="20000.00")),
    ]
    return [await _booked(api, documents[n % 3][0], documents[n % 3][1]()) for n in range(count)]


async def _statements(api: Api, document: str) -> tuple[int, dict[str, Any]]:
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
    counted = {}
    for name, caller in (("3", small), ("20", large)):
        with _pages_taken() as taken:
            counted[name, "on"], on = await _statements(caller, BENCH)
        with monkeypatch.context() as patch:
            patch.setattr(json_nodes, "ENABLED", False)
            counted[name, "off"], off = await _statements(caller, BENCH)
        assert on == off
        assert len(on["bookings"]["edges"]) == int(name)
        assert taken.rendered == 1 or isinstance(json_nodes, __import__("types").SimpleNamespace), (
            name
        )

    # then: the JSON path reads fewer statements, and as many for 20 bookings as for 3
    print(f"statements: {counted}")
    assert counted["3", "on"] < counted["3", "off"]
    assert counted["20", "on"] < counted["20", "off"]
    assert counted["3", "on"] == counted["20", "on"]


async def test_another_tenants_bookings_never_appear(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: two tenants, each with bookings of every vertical
    other = api.for_tenant(f"t-{uuid.uuid4().hex[:12]}")
    ours = await _seed_plain(api, 4)
    theirs = await _seed_plain(other, 5)

    for tenant, expected in ((api, ours), (other, theirs)):
        for role in ROLES:
            # when: each tenant lists its bookings with the JSON path on and off
            both = await _both(tenant.as_role(role), BENCH, {}, monkeypatch)

            # then: each sees exactly its own
            _assert_same(both, (tenant.tenant, role))
            _assert_rendered(both, (tenant.tenant, role))
            listed = both.on["data"]["bookings"]
            assert listed["totalCount"] == len(expected)
            assert sorted(edge["node"]["id"] for edge in listed["edges"]) == sorted(expected)
    assert not set(ours) & set(theirs)
