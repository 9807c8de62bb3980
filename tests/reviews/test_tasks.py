"""Review tasks that close themselves, and tasks that can always be resolved."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import httpx

from payable.bookings import due_reminders as reminders
from payable.core import clock
from payable.core.ids import from_global_id
from tests.api import Api
from tests.payments.factories import pay_on_page, request_link
from tests.reconciliation.test_reconciliation import HEADER, _stranger, upload
from tests.verticals.course.factories import CREATE_COURSE, course_input

TASKS = """{ tasks(status: null) { id kind status resolvedBy resolution booking { id } } }"""
SUMMARY = """query($date: Date!) { dailySummary(date: $date) { openTasks } }"""
RESOLVE = """mutation($input: ResolveTaskInput!) { resolveTask(input: $input) {
  errors { code field } task { id status resolvedBy resolution booking { id } } } }"""
CANCEL = """mutation($input: CancelBookingInput!) { cancelBooking(input: $input) {
  errors { code } } }"""
TIMELINE = """query($id: ID!) { node(id: $id) { ... on PayableBooking {
  timeline(first: 50) { edges { node { type actor reason data } } } } } }"""


async def _course_due_yesterday(api: Api) -> str:
    """Month 1 due yesterday with 3 grace days (due, not overdue); month 2 next month."""
    today = clock.today()
    months = [
        {"amount": "30000.00", "dueDate": (today - timedelta(days=1)).isoformat(), "graceDays": 3},
        {"amount": "30000.00", "dueDate": (today + timedelta(days=30)).isoformat()},
    ]
    payload = (
        await api.data(
            CREATE_COURSE,
            {
                "input": course_input(
                    installments=months, price={"amount": "60000.00", "currency": "AMD"}
                )
            },
        )
    )["createCourseEnrollment"]
    assert payload["errors"] == []
    return payload["booking"]["id"]


async def _tasks(api: Api) -> list[dict[str, Any]]:
    return (await api.data(TASKS))["tasks"]


async def _open_tasks(api: Api) -> int:
    summary = await api.data(SUMMARY, {"date": clock.today().isoformat()})
    return summary["dailySummary"]["openTasks"]


async def _resolutions(api: Api, booking_id: str) -> list[dict[str, Any]]:
    edges = (await api.data(TIMELINE, {"id": booking_id}))["node"]["timeline"]["edges"]
    return [e["node"] for e in edges if e["node"]["type"] == "TASK_RESOLVED"]


async def test_a_reminder_closes_itself_when_the_installment_is_paid(
    api: Api, app: Any, client: httpx.AsyncClient
) -> None:
    # Given a reminder raised for month 1
    course = await _course_due_yesterday(api)
    await reminders.remind(db=app.state.db, today=clock.today())
    raised = await _tasks(api)
    open_before = await _open_tasks(api)

    # When month 1 is paid
    await pay_on_page(client, (await request_link(api, course))["paymentUrl"])

    # Then the reminder is closed by the system, and the summary no longer counts it
    assert [(t["kind"], t["status"]) for t in raised] == [("REMINDER", "OPEN")]
    assert open_before == 1
    (task,) = await _tasks(api)
    assert (task["status"], task["resolvedBy"]) == ("RESOLVED", "system")
    assert task["resolution"] == "nothing is owed on the installment any more"
    assert await _open_tasks(api) == 0
    (closed,) = await _resolutions(api, course)
    assert closed["actor"] == "system"
    assert (closed["reason"], json.loads(closed["data"])["taskId"]) == (
        task["resolution"],
        str(from_global_id(task["id"])[1]),
    )


async def test_a_reminder_closes_itself_when_the_booking_is_cancelled(api: Api, app: Any) -> None:
    course = await _course_due_yesterday(api)
    await reminders.remind(db=app.state.db, today=clock.today())

    cancel = {"bookingId": course, "reason": "changed plans", "cause": "CUSTOMER_REQUEST"}
    assert (await api.data(CANCEL, {"input": cancel}))["cancelBooking"]["errors"] == []

    (task,) = await _tasks(api)
    assert (task["status"], task["resolvedBy"]) == ("RESOLVED", "system")
    assert task["resolution"] == "the booking is cancelled"
    assert await _open_tasks(api) == 0


async def test_a_worker_that_listed_an_installment_before_it_was_paid_raises_nothing(
    api: Api, app: Any, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    # Given a worker round that listed month 1 as due, then month 1 was paid
    course = await _course_due_yesterday(api)
    tenant = await db.fetchval("SELECT id FROM tenants WHERE slug = $1", api.tenant)
    listed = await db.fetchrow(
        "SELECT i.id, i.due_date FROM installments i JOIN bookings b ON b.id = i.booking_id"
        " WHERE b.tenant_id = $1 AND i.sequence = 1",
        tenant,
    )
    await pay_on_page(client, (await request_link(api, course))["paymentUrl"])

    # When that round gets to it
    async with app.state.db.session() as session, session.begin():
        raised = await reminders._remind_once(
            session,
            tenant,
            from_global_id(course)[1],
            listed["id"],
            reminders.DUE_SOON,
            listed["due_date"],
            clock.today(),
        )

    # Then it checks again and raises nothing: no reminder row, no task
    assert raised == 0
    assert await _tasks(api) == []
    assert await db.fetchval("SELECT count(*) FROM reminders WHERE tenant_id = $1", tenant) == 0


async def test_a_task_without_a_booking_can_be_resolved(api: Api) -> None:
    # Given a stranger's payment in the gateway's report: a task with no booking
    accountant = api.as_role("accountant")
    await upload(accountant, (HEADER + _stranger("7000.00")).encode())
    (task,) = await _tasks(api)
    open_before = await _open_tasks(api)

    # When an accountant resolves it
    resolved = (
        await accountant.data(
            RESOLVE, {"input": {"taskId": task["id"], "resolution": "returned to the payer"}}
        )
    )["resolveTask"]
    again = (
        await accountant.data(RESOLVE, {"input": {"taskId": task["id"], "resolution": "again"}})
    )["resolveTask"]

    # Then it is resolved, by whom and how; a second time is refused
    assert task["booking"] is None and task["status"] == "OPEN" and open_before == 1
    assert resolved["errors"] == []
    assert resolved["task"] == {
        "id": task["id"],
        "status": "RESOLVED",
        "resolvedBy": "accountant-user",
        "resolution": "returned to the payer",
        "booking": None,
    }
    assert again["errors"] == [{"code": "TASK_RESOLVED", "field": "taskId"}]
    assert await _open_tasks(api) == 0


async def test_a_task_is_found_by_its_id_in_its_own_tenant_only(api: Api, app: Any) -> None:
    # Given a reminder task of tenant A
    course = await _course_due_yesterday(api)
    await reminders.remind(db=app.state.db, today=clock.today())
    (task,) = await _tasks(api)
    query = """query($id: ID!) { node(id: $id) { id __typename
      ... on ReviewTask { kind status booking { id } } } }"""

    # When A and another tenant look it up by its global id
    mine = await api.data(query, {"id": task["id"]})
    theirs = await api.for_tenant(f"t-{uuid.uuid4().hex[:12]}").data(query, {"id": task["id"]})

    # Then A finds it, the other gets null as for an unknown id
    assert mine["node"] == {
        "id": task["id"],
        "__typename": "ReviewTask",
        "kind": "REMINDER",
        "status": "OPEN",
        "booking": {"id": course},
    }
    assert theirs["node"] is None
