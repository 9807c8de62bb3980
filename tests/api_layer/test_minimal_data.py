"""Minimal data: the gateway sees only what we generate, integrators see no free text, and
refused reads leave the same audit entry as refused mutations."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from gql import gql

from payable.core import clock
from payable.core.principal import Role
from tests.api import Api
from tests.payments.factories import request_link
from tests.timeline.live import client as ws_client
from tests.timeline.live import serve
from tests.verticals.course.factories import CREATE_COURSE, course_input

SECRET = "HIV therapy follow-up"  # what a clinic might type into a label or a reason
MONTHS = [
    {"amount": "45000.00", "dueDate": "2030-02-01", "label": SECRET},
    {"amount": "45000.00", "dueDate": "2030-03-01", "label": "month 2"},
]

CANCEL = """mutation($input: CancelBookingInput!) { cancelBooking(input: $input) {
  errors { code } } }"""

TIMELINE = """query($id: ID!) { node(id: $id) { ... on PayableBooking {
  timeline(first: 20) { edges { node { id type reason data } } } } } }"""

EVENT = """query($id: ID!) { node(id: $id) { ... on BookingEvent { type reason data } } }"""


async def _booking(api: Api) -> dict[str, Any]:
    data = await api.data(CREATE_COURSE, {"input": course_input(installments=MONTHS)})
    payload = data["createCourseEnrollment"]
    assert payload["errors"] == []
    return payload["booking"]


async def _cancelled(api: Api) -> str:
    booking = await _booking(api)
    cancel = {"bookingId": booking["id"], "reason": SECRET, "cause": "CUSTOMER_REQUEST"}
    assert (await api.data(CANCEL, {"input": cancel}))["cancelBooking"]["errors"] == []
    return booking["id"]


async def _events(api: Api, booking_id: str) -> list[dict[str, Any]]:
    node = (await api.data(TIMELINE, {"id": booking_id}))["node"]
    return [edge["node"] for edge in node["timeline"]["edges"]]


# --- The gateway sees a generated description ----------------------------------------------


async def test_the_gateway_sees_the_reference_and_sequence_never_a_label(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    # Given an installment whose label carries a diagnosis
    booking = await _booking(api)

    # When a payment link is opened for it
    link = await request_link(api, booking["id"])

    # Then the gateway's order and its hosted page show "<reference>-1", nothing of the label
    description = await db.fetchval(
        "SELECT description FROM sandbox_orders WHERE id = $1",
        uuid.UUID(link["providerOrderId"]),
    )
    page = await client.get(link["paymentUrl"])
    assert description == f"{booking['reference']}-1"
    assert f"<p>{booking['reference']}-1</p>" in page.text
    assert "HIV" not in page.text


# --- Integrators see types, codes and amounts ----------------------------------------------


async def test_integrators_read_no_reason_and_no_label_on_the_timeline(api: Api) -> None:
    booking_id = await _cancelled(api)

    staff = await _events(api.as_role(Role.ACCOUNTANT), booking_id)
    integrator = await _events(api.as_role(Role.INTEGRATOR), booking_id)

    # Staff read what people wrote
    assert [(e["type"], e["reason"]) for e in staff] == [("CREATED", None), ("CANCELLED", SECRET)]
    created = json.loads(staff[0]["data"])
    assert [line["label"] for line in created["schedule"]] == [SECRET, "month 2"]
    # Integrators get the same events, amounts and codes, with the free text nulled
    assert [(e["type"], e["reason"]) for e in integrator] == [
        ("CREATED", None),
        ("CANCELLED", None),
    ]
    seen = json.loads(integrator[0]["data"])
    assert seen["schedule"] == [
        {"amount": "45000.00", "dueDate": "2030-02-01", "label": None},
        {"amount": "45000.00", "dueDate": "2030-03-01", "label": None},
    ]
    assert seen["price"] == {"amount": "90000.00", "currency": "AMD"}
    assert json.loads(integrator[1]["data"]) == json.loads(staff[1]["data"])
    assert all(SECRET not in json.dumps(e) for e in integrator)


async def test_integrators_read_no_free_text_through_node(api: Api) -> None:
    booking_id = await _cancelled(api)
    events = await _events(api, booking_id)

    as_integrator = [
        (await api.as_role(Role.INTEGRATOR).data(EVENT, {"id": e["id"]}))["node"] for e in events
    ]
    as_support = [
        (await api.as_role(Role.SUPPORT).data(EVENT, {"id": e["id"]}))["node"] for e in events
    ]

    assert [e["reason"] for e in as_support] == [None, SECRET]
    assert SECRET in as_support[0]["data"]
    assert [e["reason"] for e in as_integrator] == [None, None]
    assert all(SECRET not in e["data"] for e in as_integrator)


STREAM = """subscription($after: String) { bookingEvents(after: $after) {
  type reason data } }"""


async def _streamed(url: str, api: Api, count: int) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    async with ws_client(url, api.token) as session:
        request = gql(STREAM)
        request.variable_values = {"after": "0"}
        async for result in session.subscribe(request):
            received.append(result["bookingEvents"])
            if len(received) == count:
                break
    return received


async def test_integrators_read_no_free_text_on_the_live_stream(api: Api, app: Any) -> None:
    await _cancelled(api)

    async with serve(app) as url:
        staff = await _streamed(url, api.as_role(Role.OPERATOR), 2)
        integrator = await _streamed(url, api.as_role(Role.INTEGRATOR), 2)

    assert [(e["type"], e["reason"]) for e in staff] == [("CREATED", None), ("CANCELLED", SECRET)]
    assert SECRET in staff[0]["data"]
    assert [(e["type"], e["reason"]) for e in integrator] == [
        ("CREATED", None),
        ("CANCELLED", None),
    ]
    assert all(SECRET not in e["data"] for e in integrator)


# --- Refused reads are audited --------------------------------------------------------------

DAY = clock.today().isoformat()
REFUSED_QUERIES = [
    ("dailySummary", "query($d: Date!) { dailySummary(date: $d) { date } }", {"d": DAY}),
    ("monthClose", 'query { monthClose(month: "2030-01") { month } }', {}),
    (
        "reconciliation",
        'query($d: Date!) { reconciliation(provider: "sandbox", date: $d) { lines } }',
        {"d": DAY},
    ),
]


async def _audited(db: asyncpg.Connection, api: Api) -> list[tuple[str, ...]]:
    rows = await db.fetch(
        "SELECT a.actor, a.role, a.operation, a.outcome FROM audit_log a"
        " JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = $1 ORDER BY a.at",
        api.tenant,
    )
    return [tuple(r) for r in rows]


@pytest.mark.parametrize(
    ("operation", "query", "variables"), REFUSED_QUERIES, ids=[q[0] for q in REFUSED_QUERIES]
)
async def test_a_refused_query_leaves_one_audit_entry(
    api: Api, db: asyncpg.Connection, operation: str, query: str, variables: dict[str, Any]
) -> None:
    integrator = api.as_role(Role.INTEGRATOR)

    refused = await integrator.post(query, variables)
    allowed = await api.as_role(Role.ADMIN).post(query, variables)

    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert "errors" not in allowed
    assert await _audited(db, api) == [(integrator.sub, "integrator", operation, "FORBIDDEN")]


async def test_a_refused_export_leaves_one_audit_entry(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    operator = api.as_role(Role.OPERATOR)

    def export(caller: Api) -> Any:
        return client.get(
            f"/exports/accounting.csv?from={DAY}&to={DAY}",
            headers={"Authorization": f"Bearer {caller.token}"},
        )

    refused = await export(operator)
    allowed = await export(api.as_role(Role.ACCOUNTANT))

    assert (refused.status_code, allowed.status_code) == (403, 200)
    assert await _audited(db, api) == [(operator.sub, "operator", "accountingExport", "FORBIDDEN")]


REQUEST_OVERRIDE = """mutation($input: RequestOverrideInput!) { requestOverride(input: $input) {
  errors { code } task { id } } }"""
RESOLVE = (
    """mutation($input: ResolveTaskInput!) { resolveTask(input: $input) { errors { code } } }"""
)
TASKS = """{ tasks(status: "RESOLVED", kinds: ["OVERRIDE_REQUEST"]) {
  kind details resolution } }"""


async def test_integrators_read_no_free_text_on_review_tasks(api: Api) -> None:
    booking = await _booking(api)
    requested = await api.data(
        REQUEST_OVERRIDE, {"input": {"bookingId": booking["id"], "request": SECRET}}
    )
    task_id = requested["requestOverride"]["task"]["id"]
    resolved = await api.data(RESOLVE, {"input": {"taskId": task_id, "resolution": SECRET}})
    assert resolved["resolveTask"]["errors"] == []

    [staff] = (await api.as_role(Role.ACCOUNTANT).data(TASKS))["tasks"]
    [integrator] = (await api.as_role(Role.INTEGRATOR).data(TASKS))["tasks"]

    assert (json.loads(staff["details"])["request"], staff["resolution"]) == (SECRET, SECRET)
    assert json.loads(integrator["details"]) == {"request": None, "requestedBy": "tester"}
    assert integrator["resolution"] is None
