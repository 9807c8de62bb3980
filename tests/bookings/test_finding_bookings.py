"""`bookings(filter:)`: each filter returns exactly the bookings it names, within the tenant."""

from __future__ import annotations

from typing import Any

import asyncpg
from graphql import build_schema

from payable.graphql.schema import schema
from tests.api import Api
from tests.api_layer.test_schema import CONTRACT, _gaps
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.verticals.course.factories import CREATE_COURSE, course_input
from tests.verticals.tour.factories import CREATE_TOUR
from tests.verticals.tour.factories import tour_input as tour

FIND = """query($filter: BookingFilter, $kind: BookingKind, $status: BookingStatus) {
  bookings(first: 100, filter: $filter, kind: $kind, status: $status) {
    totalCount edges { node { id reference } } } }"""

CANCEL = """mutation($input: CancelBookingInput!) { cancelBooking(input: $input) {
  errors { code } } }"""


async def _create(api: Api, document: str, data: dict[str, Any]) -> dict[str, str]:
    payload = next(iter((await api.data(document, {"input": data})).values()))
    assert payload["errors"] == []
    return {"id": payload["booking"]["id"], "reference": payload["booking"]["reference"]}


async def _seed(api: Api) -> dict[str, dict[str, str]]:
    """Six bookings, named by letter; days are Yerevan days (UTC+4)."""
    return {
        # 21:30 UTC on the 10th is 01:30 on the 11th in Yerevan: its service day is the 11th.
        "A": await _create(
            api,
            CREATE_CLINIC,
            clinic_input(
                customerRef="patient-a",
                crmReference="crm-1",
                specialistId="dr-a",
                branchId="north",
                serviceId="consultation",
                slotStart="2030-03-10T21:30:00+00:00",
                slotEnd="2030-03-10T22:00:00+00:00",
            ),
        ),
        "B": await _create(
            api,
            CREATE_CLINIC,
            clinic_input(
                customerRef="patient-b",
                specialistId="dr-b",
                branchId="south",
                serviceId="xray",
                slotStart="2030-03-10T10:00:00+00:00",
                slotEnd="2030-03-10T10:30:00+00:00",
            ),
        ),
        "C": await _create(
            api,
            CREATE_COURSE,
            course_input(customerRef="student-c", groupId="evening", periodStart="2030-03-11"),
        ),
        "D": await _create(
            api,
            CREATE_COURSE,
            course_input(
                customerRef="student-d",
                groupId="morning",
                periodStart="2030-04-01",
                periodEnd="2030-06-30",
            ),
        ),
        "E": await _create(
            api,
            CREATE_TOUR,
            tour(
                packageId="dilijan",
                tourDate="2030-03-11",
                sourceChannel="instagram",
                managerReference="mgr-1",
            ),
        ),
        "F": await _create(
            api,
            CREATE_TOUR,
            tour(packageId="sevan", tourDate="2030-03-12", sourceChannel="web"),
        ),
    }


async def _found(api: Api, filter: dict[str, Any], **arguments: Any) -> list[str]:
    data = await api.data(FIND, {"filter": filter, **arguments})
    found = data["bookings"]
    assert found["totalCount"] == len(found["edges"])
    return [edge["node"]["id"] for edge in found["edges"]]


def _letters(seeded: dict[str, dict[str, str]], ids: list[str]) -> set[str]:
    by_id = {b["id"]: letter for letter, b in seeded.items()}
    assert all(i in by_id for i in ids), "a booking that is not this tenant's came back"
    return {by_id[i] for i in ids}


CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({"customerRef": "patient-a"}, {"A"}),
    ({"customerRef": "nobody"}, set()),
    ({"crmReference": "crm-1"}, {"A"}),
    ({"specialistId": "dr-a"}, {"A"}),
    ({"branchId": "south"}, {"B"}),
    ({"serviceId": "xray"}, {"B"}),
    ({"courseId": "python"}, {"C", "D"}),
    ({"groupId": "evening"}, {"C"}),
    ({"packageId": "dilijan"}, {"E"}),
    ({"tourDate": "2030-03-12"}, {"F"}),
    ({"sourceChannel": "instagram"}, {"E"}),
    ({"managerReference": "mgr-1"}, {"E"}),
    # the service day, in Yerevan: A's slot is on the 10th in UTC but the 11th here
    ({"serviceFrom": "2030-03-11", "serviceTo": "2030-03-11"}, {"A", "C", "E"}),
    ({"serviceTo": "2030-03-10"}, {"B"}),
    ({"serviceFrom": "2030-03-12"}, {"D", "F"}),
    ({"serviceFrom": "2030-03-12", "serviceTo": "2030-03-11"}, set()),
    # combinations narrow
    ({"courseId": "python", "serviceFrom": "2030-03-15"}, {"D"}),
    ({"courseId": "python", "groupId": "morning"}, {"D"}),
    ({"packageId": "dilijan", "tourDate": "2030-03-12"}, set()),
    ({"customerRef": "patient-a", "serviceTo": "2030-03-10"}, set()),
    ({"customerRef": "patient-a", "specialistId": "dr-a", "crmReference": "crm-1"}, {"A"}),
    # two verticals' fields: no booking is both
    ({"specialistId": "dr-a", "packageId": "dilijan"}, set()),
    ({}, {"A", "B", "C", "D", "E", "F"}),
]


async def test_each_filter_returns_exactly_its_bookings(api: Api) -> None:
    # Given six bookings here, and another tenant with the same ids, customers and dates
    seeded = await _seed(api)
    other = api.for_tenant(api.tenant + "-other")
    await _seed(other)

    # When each filter is asked, then exactly its bookings come back, never the other tenant's
    found = {str(f): _letters(seeded, await _found(api, f)) for f, _ in CASES}
    assert found == {str(f): expected for f, expected in CASES}


async def test_reference_finds_one_booking_in_any_case_and_only_in_its_tenant(api: Api) -> None:
    seeded = await _seed(api)
    other = api.for_tenant(api.tenant + "-other")
    theirs = await _seed(other)
    reference = seeded["C"]["reference"]

    assert await _found(api, {"reference": f" {reference.lower()} "}) == [seeded["C"]["id"]]
    assert await _found(api, {"reference": theirs["C"]["reference"]}) == []
    assert await _found(other, {"reference": reference}) == []


async def test_filter_combines_with_kind_and_status(api: Api) -> None:
    seeded = await _seed(api)
    cancelled = await api.data(
        CANCEL,
        {"input": {"bookingId": seeded["E"]["id"], "reason": "ill", "cause": "CUSTOMER_REQUEST"}},
    )
    assert cancelled["cancelBooking"]["errors"] == []
    day = {"serviceFrom": "2030-03-11", "serviceTo": "2030-03-11"}

    assert _letters(seeded, await _found(api, day, kind="TOUR_BOOKING")) == {"E"}
    assert _letters(seeded, await _found(api, day, kind="CLINIC_APPOINTMENT")) == {"A"}
    assert _letters(seeded, await _found(api, day, status="CANCELLED")) == {"E"}
    assert _letters(seeded, await _found(api, day, status="AWAITING_PAYMENT")) == {"A", "C"}
    assert await _found(api, {"specialistId": "dr-a"}, kind="TOUR_BOOKING") == []


# The part of contract/additions.graphql this capability introduces, exactly as written there.
ADDITIONS = """
extend interface PayableBooking { nextDueDate: Date  nextDueAmount: Money }
extend type ClinicAppointment { nextDueDate: Date  nextDueAmount: Money }
extend type CourseEnrollment { nextDueDate: Date  nextDueAmount: Money }
extend type TourBooking { nextDueDate: Date  nextDueAmount: Money }
input BookingFilter {
  reference: String  customerRef: String  crmReference: String
  serviceFrom: Date  serviceTo: Date
  specialistId: ID  branchId: ID  serviceId: ID
  courseId: ID  groupId: ID
  packageId: ID  tourDate: Date  sourceChannel: String  managerReference: String
}
"""


def test_the_schema_has_the_contract_additions_for_finding_bookings() -> None:
    contract = build_schema(CONTRACT.read_text() + ADDITIONS)
    ours = schema._schema

    assert _gaps(contract, ours) == set()
    assert str(ours.query_type.fields["bookings"].args["filter"].type) == "BookingFilter"


# Each filter, and the columns an index must lead with to answer it within the tenant (course
# and tour rows carry no tenant: their index finds the rows, the booking's tenant is checked).
INDEXED = {
    "reference": [("bookings", ["tenant_id", "reference"])],
    "customerRef": [
        ("customers", ["tenant_id", "external_ref"]),
        ("bookings", ["tenant_id", "customer_id"]),
    ],
    "crmReference": [("bookings", ["tenant_id", "crm_reference"])],
    "serviceFrom/serviceTo": [
        ("clinic_appointments", ["tenant_id", "slot_start"]),
        ("course_enrollments", ["period_start"]),
        ("tour_bookings", ["tour_date"]),
    ],
    "specialistId": [("clinic_appointments", ["tenant_id", "specialist_id"])],
    "branchId": [("clinic_appointments", ["tenant_id", "branch_id"])],
    "serviceId": [("clinic_appointments", ["tenant_id", "service_id"])],
    "courseId": [("course_enrollments", ["course_id"])],
    "groupId": [("course_enrollments", ["group_id"])],
    "packageId + tourDate": [("tour_bookings", ["package_id", "tour_date"])],
    "sourceChannel": [("tour_bookings", ["source_channel"])],
    "managerReference": [("tour_bookings", ["manager_reference"])],
}


async def test_every_filter_has_an_index_behind_it(db: asyncpg.Connection) -> None:
    rows = await db.fetch(
        """SELECT t.relname AS table,
                  array_agg(a.attname ORDER BY k.position) AS columns
           FROM pg_index i
           JOIN pg_class t ON t.oid = i.indrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
           CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
           GROUP BY i.indexrelid, t.relname"""
    )
    indexes = [(r["table"], list(r["columns"])) for r in rows]

    def indexed(table: str, leading: list[str]) -> bool:
        return any(t == table and columns[: len(leading)] == leading for t, columns in indexes)

    missing = {
        name: [(table, leading) for table, leading in needs if not indexed(table, leading)]
        for name, needs in INDEXED.items()
    }
    assert {name: gaps for name, gaps in missing.items() if gaps} == {}


PAGE = """query($filter: BookingFilter, $after: String) {
  bookings(first: 1, after: $after, filter: $filter) {
    totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }"""


async def test_a_filtered_list_pages_through_its_own_bookings(api: Api) -> None:
    seeded = await _seed(api)
    python = {"courseId": "python"}

    first = (await api.data(PAGE, {"filter": python}))["bookings"]
    after = first["pageInfo"]["endCursor"]
    second = (await api.data(PAGE, {"filter": python, "after": after}))["bookings"]

    # newest first: D was created after C
    assert [e["node"]["id"] for e in first["edges"]] == [seeded["D"]["id"]]
    assert [e["node"]["id"] for e in second["edges"]] == [seeded["C"]["id"]]
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"]) == (2, True)
    assert (second["totalCount"], second["pageInfo"]["hasNextPage"]) == (2, False)
