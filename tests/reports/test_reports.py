"""Daily summary, accounting export, month close and reminders, through the API."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx

from payable.bookings import due_reminders as reminders
from payable.core import clock
from tests.api import Api
from tests.payments.factories import booking, pay_on_page, request_link
from tests.verticals.course.factories import CREATE_COURSE, course_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

SUMMARY = """query($date: Date!) { dailySummary(date: $date) {
  date openTasks
  verticals { kind payments bookingsPaid depositsPaid captured { amount currency } refunds
              refunded { amount currency } cancellations weatherCancellations noShows
              unpaidBalance { amount currency } installmentsDue installmentsOverdue }
  reminders { bookingReference overdue installment { id label } }
  toursFullyPaid { packageId tourDate bookings } } }"""
MONTH = """query($month: String!) { monthClose(month: $month) {
  month exceptionsOpened exceptionsClosed exceptionsOpen
  totals { kind captured { amount currency } refunded { amount currency } } } }"""
CANCEL = (
    """mutation($input: CancelBookingInput!) { cancelBooking(input: $input) { errors { code } } }"""
)
REQUEST_REFUND = """mutation($input: RequestRefundInput!) { requestRefund(input: $input) {
  errors { code } refund { id } } }"""
APPROVE = (
    """mutation($id: ID!) { approveRefund(refundId: $id) { errors { code } refund { status } } }"""
)


async def _create(api: Api, document: str, data: dict[str, Any]) -> str:
    payload = next(iter((await api.data(document, {"input": data})).values()))
    assert payload["errors"] == []
    return payload["booking"]["id"]


async def _paid_day(api: Api, client: httpx.AsyncClient) -> dict[str, str]:
    """A tour paid in full (deposit + balance), a course with one of three months paid and a
    1000.00 refund, and a tour cancelled for weather."""
    tour = await _create(
        api, CREATE_TOUR, tour_input(packageId="aragats", depositAmount="40000.00")
    )
    for _ in range(2):
        await pay_on_page(client, (await request_link(api, tour))["paymentUrl"])
    today = clock.today()
    months = [
        {"amount": "30000.00", "dueDate": (today + timedelta(days=30 * n)).isoformat()}
        for n in range(3)
    ]
    course = await _create(api, CREATE_COURSE, course_input(installments=months))
    await pay_on_page(client, (await request_link(api, course))["paymentUrl"])
    refund = (
        await api.data(
            REQUEST_REFUND,
            {"input": {"bookingId": course, "amount": "1000.00", "reason": "goodwill"}},
        )
    )["requestRefund"]["refund"]
    approved = await api.as_role("accountant").data(APPROVE, {"id": refund["id"]})
    assert approved["approveRefund"]["refund"]["status"] == "SUCCEEDED"
    weather = await _create(api, CREATE_TOUR, tour_input(packageId="sevan"))
    cancelled = await api.data(
        CANCEL, {"input": {"bookingId": weather, "reason": "storm", "cause": "WEATHER"}}
    )
    assert cancelled["cancelBooking"]["errors"] == []
    return {"tour": tour, "course": course, "weather": weather}


def _vertical(summary: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(v for v in summary["verticals"] if v["kind"] == kind)


async def test_daily_summary_counts_the_day_per_vertical(
    api: Api, client: httpx.AsyncClient
) -> None:
    await _paid_day(api, client)

    summary = (await api.as_role("accountant").data(SUMMARY, {"date": clock.today().isoformat()}))[
        "dailySummary"
    ]

    tours, courses = _vertical(summary, "TOUR_BOOKING"), _vertical(summary, "COURSE_ENROLLMENT")
    assert (tours["payments"], tours["bookingsPaid"], tours["depositsPaid"]) == (2, 1, 1)
    assert tours["captured"] == [{"amount": "120000.00", "currency": "AMD"}]
    assert tours["weatherCancellations"] == 1 and tours["cancellations"] == 0
    assert (courses["payments"], courses["depositsPaid"], courses["refunds"]) == (1, 1, 1)
    assert courses["refunded"] == [{"amount": "1000.00", "currency": "AMD"}]
    assert courses["unpaidBalance"] == [{"amount": "60000.00", "currency": "AMD"}]
    assert {"packageId": "aragats", "tourDate": "2030-06-01", "bookings": 1} in summary[
        "toursFullyPaid"
    ]


async def test_export_totals_match_the_daily_summary(api: Api, client: httpx.AsyncClient) -> None:
    await _paid_day(api, client)
    accountant = api.as_role("accountant")
    day = clock.today().isoformat()

    response = await client.get(
        f"/exports/accounting.csv?from={day}&to={day}",
        headers={"Authorization": f"Bearer {accountant.token}"},
    )
    summary = (await accountant.data(SUMMARY, {"date": day}))["dailySummary"]

    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(response.text)))
    exported_in = sum(Decimal(r["amount"]) for r in lines if r["type"] == "PAYMENT")
    exported_out = -sum(Decimal(r["amount"]) for r in lines if r["type"] == "REFUND")
    summed_in = sum(Decimal(m["amount"]) for v in summary["verticals"] for m in v["captured"])
    summed_out = sum(Decimal(m["amount"]) for v in summary["verticals"] for m in v["refunded"])
    assert (
        (exported_in, exported_out)
        == (summed_in, summed_out)
        == (Decimal("150000.00"), Decimal("1000.00"))
    )
    assert {r["kind"] for r in lines} == {"TOUR_BOOKING", "COURSE_ENROLLMENT"}
    assert all(r["booking_reference"] and r["provider_reference"] for r in lines)


async def test_export_is_for_accountants_and_admins_only(
    api: Api, client: httpx.AsyncClient
) -> None:
    day = clock.today().isoformat()
    for role, status in (("operator", 403), ("support", 403), ("integrator", 403), ("admin", 200)):
        caller = api.as_role(role)
        response = await client.get(
            f"/exports/accounting.csv?from={day}&to={day}",
            headers={"Authorization": f"Bearer {caller.token}"},
        )
        assert response.status_code == status, role
    anonymous = await client.get(f"/exports/accounting.csv?from={day}&to={day}")
    assert anonymous.status_code == 401


async def test_month_close_totals_by_vertical_and_currency(
    api: Api, client: httpx.AsyncClient
) -> None:
    await _paid_day(api, client)

    closed = (
        await api.as_role("accountant").data(MONTH, {"month": clock.today().strftime("%Y-%m")})
    )["monthClose"]

    totals = {t["kind"]: t for t in closed["totals"]}
    assert totals["TOUR_BOOKING"]["captured"] == {"amount": "120000.00", "currency": "AMD"}
    assert totals["COURSE_ENROLLMENT"]["refunded"] == {"amount": "1000.00", "currency": "AMD"}


async def test_reminders_once_per_installment_and_period_with_two_workers(
    api: Api, app: Any, db: asyncpg.Connection, client: httpx.AsyncClient
) -> None:
    # Given a course whose month 2 is overdue (due 10 days ago, 5 grace days), access open
    today = clock.today()
    months = [
        {"amount": "30000.00", "dueDate": (today - timedelta(days=40)).isoformat()},
        {"amount": "30000.00", "dueDate": (today - timedelta(days=10)).isoformat(), "graceDays": 5},
        {"amount": "30000.00", "dueDate": (today + timedelta(days=2)).isoformat()},
    ]
    course = await _create(api, CREATE_COURSE, course_input(installments=months))
    await pay_on_page(client, (await request_link(api, course))["paymentUrl"])

    # When two workers run the reminders at once, then again
    first = await asyncio.gather(
        *(reminders.remind(db=app.state.db, today=today) for _ in range(2))
    )
    again = await reminders.remind(db=app.state.db, today=today)

    # Then one reminder per installment and period, a task each, access suspended once
    tenant = await db.fetchval("SELECT id FROM tenants WHERE slug = $1", api.tenant)
    rows = await db.fetch(
        "SELECT r.period, t.kind FROM reminders r JOIN review_tasks t ON t.id = r.task_id"
        " WHERE r.tenant_id = $1 ORDER BY r.period",
        tenant,
    )
    assert sum(first) >= 2 and again == 0  # other tenants' installments count too
    assert [tuple(r) for r in rows] == [("DUE_SOON", "REMINDER"), ("OVERDUE", "REMINDER")]
    after = await booking(api, course)
    assert after["accessStatus"] == "SUSPENDED"
    assert after["paymentStatus"] == "DEPOSIT_PAID"  # a reminder is not a review of the money
    types = [e["node"]["type"] for e in after["timeline"]["edges"]]
    assert types.count("ACCESS_SUSPENDED") == 1 and types.count("REMINDER_RAISED") == 2
    summary = (await api.data(SUMMARY, {"date": today.isoformat()}))["dailySummary"]
    assert [r["overdue"] for r in summary["reminders"]] == [True]
    queue = await api.data(
        '{ tasks(kinds: ["REMINDER"]) { kind } reviews: tasks(kinds: ["LATE_PAYMENT"]) { kind } }'
    )
    assert [t["kind"] for t in queue["tasks"]] == ["REMINDER", "REMINDER"] and queue[
        "reviews"
    ] == []
    assert date.fromisoformat(summary["date"]) == today


async def test_cli_export_writes_the_same_csv_as_http(
    api: Api, client: httpx.AsyncClient, database_url: str
) -> None:
    await _paid_day(api, client)
    day = clock.today().isoformat()
    accountant = api.as_role("accountant")
    over_http = await client.get(
        f"/exports/accounting.csv?from={day}&to={day}",
        headers={"Authorization": f"Bearer {accountant.token}"},
    )

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "payable",
        "export",
        "--tenant",
        api.tenant,
        "--from",
        day,
        "--to",
        day,
        env=os.environ | {"DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()

    assert process.returncode == 0, err.decode()
    assert out.decode() == over_http.text
