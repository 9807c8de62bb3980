"""Course access follows the money both ways; a pause and an override are layers on top.

Each change of access is one event with the value read before the change as ``old``.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx

from payable.bookings import due_reminders as reminders
from payable.core import clock
from tests.api import Api
from tests.payments.factories import pay_on_page, request_link
from tests.verticals.course.factories import CREATE_COURSE, course_input

CHANGE = "errors { code field message } booking { id }"
PAUSE = "mutation($input: EnrollmentChangeInput!) { pauseEnrollment(input: $input) { %s } }"
RESUME = "mutation($input: EnrollmentChangeInput!) { resumeEnrollment(input: $input) { %s } }"
OVERRIDE = "mutation($input: OverrideAccessInput!) { overrideAccess(input: $input) { %s } }"
CANCEL = "mutation($input: CancelBookingInput!) { cancelBooking(input: $input) { %s } }"
DISCOUNT = "mutation($input: ApplyDiscountInput!) { applyDiscount(input: $input) { %s } }"
REQUEST_REFUND = """mutation($input: RequestRefundInput!) { requestRefund(input: $input) {
  errors { code } refund { id } } }"""
APPROVE = """mutation($id: ID!) { approveRefund(refundId: $id) { errors { code }
  refund { status } } }"""

BOOKING = """query($id: ID!) { node(id: $id) { ... on CourseEnrollment {
  accessStatus timeline(first: 50) { edges { node { type actor reason data } } } } } }"""
ACCESS_EVENTS = ("ACCESS_GRANTED", "ACCESS_SUSPENDED", "ACCESS_RESTORED", "ACCESS_REVOKED")


def _day(offset: int) -> str:
    return (clock.today() + timedelta(days=offset)).isoformat()


async def _course(api: Api, *months: tuple[int, int]) -> str:
    """A course of 30000.00 installments, each (due in days from today, grace days)."""
    lines = [
        {"amount": "30000.00", "dueDate": _day(due), "graceDays": grace} for due, grace in months
    ]
    price = f"{30000 * len(lines)}.00"
    payload = (
        await api.data(
            CREATE_COURSE,
            {"input": course_input(installments=lines, price={"amount": price, "currency": "AMD"})},
        )
    )["createCourseEnrollment"]
    assert payload["errors"] == []
    return payload["booking"]["id"]


async def _pay_next(api: Api, client: httpx.AsyncClient, course: str) -> None:
    await pay_on_page(client, (await request_link(api, course))["paymentUrl"])


async def booking(api: Api, course: str) -> dict[str, Any]:
    return (await api.data(BOOKING, {"id": course}))["node"]


async def _change(api: Api, document: str, data: dict[str, Any]) -> list[str]:
    payload = next(iter((await api.data(document % CHANGE, {"input": data})).values()))
    return [e["code"] for e in payload["errors"]]


def _events(node: dict[str, Any], *types: str) -> list[dict[str, Any]]:
    return [
        {**e["node"], "data": json.loads(e["node"]["data"])}
        for e in node["timeline"]["edges"]
        if e["node"]["type"] in types
    ]


def _access(event: dict[str, Any]) -> tuple[str, str, str]:
    data = event["data"]
    return event["type"], data["old"]["accessStatus"], data["new"]["accessStatus"]


async def test_paying_the_first_installment_while_the_second_is_past_grace_suspends(
    api: Api, client: httpx.AsyncClient
) -> None:
    # Given month 2 is 10 days overdue with 5 grace days
    course = await _course(api, (-40, 0), (-10, 5), (20, 0))

    # When only month 1 is paid
    await _pay_next(api, client, course)

    # Then access is SUSPENDED, never GRANTED
    after = await booking(api, course)
    assert after["accessStatus"] == "SUSPENDED"
    assert [_access(e) for e in _events(after, *ACCESS_EVENTS)] == [
        ("ACCESS_SUSPENDED", "NONE", "SUSPENDED")
    ]


async def test_paying_the_overdue_installment_restores_access_with_an_event(
    api: Api, client: httpx.AsyncClient
) -> None:
    # Given month 1 paid and month 2 past its grace days: suspended
    course = await _course(api, (-40, 0), (-10, 5), (20, 0))
    await _pay_next(api, client, course)
    assert (await booking(api, course))["accessStatus"] == "SUSPENDED"

    # When month 2 is paid
    await _pay_next(api, client, course)

    # Then access is back, and the timeline says so once, as the system, with old and new
    after = await booking(api, course)
    assert after["accessStatus"] == "GRANTED"
    events = _events(after, *ACCESS_EVENTS)
    assert [_access(e) for e in events] == [
        ("ACCESS_SUSPENDED", "NONE", "SUSPENDED"),
        ("ACCESS_RESTORED", "SUSPENDED", "GRANTED"),
    ]
    assert events[1]["actor"] == "system"


async def test_the_day_tick_suspends_once_an_installment_passes_its_grace_days(
    api: Api, app: Any, client: httpx.AsyncClient
) -> None:
    # Given month 1 paid and month 2 due in 5 days with 2 grace days: granted
    course = await _course(api, (0, 0), (5, 2))
    await _pay_next(api, client, course)
    assert (await booking(api, course))["accessStatus"] == "GRANTED"

    # When the worker's day tick runs on the last day of grace, then the day after it
    today = clock.today()
    await reminders.remind(db=app.state.db, today=today + timedelta(days=7))
    on_last_grace_day = (await booking(api, course))["accessStatus"]
    await reminders.remind(db=app.state.db, today=today + timedelta(days=8))

    # Then access is suspended only then, with one event
    after = await booking(api, course)
    assert on_last_grace_day == "GRANTED" and after["accessStatus"] == "SUSPENDED"
    assert [_access(e) for e in _events(after, *ACCESS_EVENTS)] == [
        ("ACCESS_GRANTED", "NONE", "GRANTED"),
        ("ACCESS_SUSPENDED", "GRANTED", "SUSPENDED"),
    ]


async def test_a_full_refund_suspends_access_the_money_no_longer_covers(
    api: Api, client: httpx.AsyncClient
) -> None:
    # Given month 1 (past due) paid: granted
    course = await _course(api, (-3, 0), (20, 0))
    await _pay_next(api, client, course)

    # When all of it is refunded
    refund = (
        await api.data(
            REQUEST_REFUND,
            {"input": {"bookingId": course, "amount": "30000.00", "reason": "left the course"}},
        )
    )["requestRefund"]["refund"]
    approved = await api.as_role("accountant").data(APPROVE, {"id": refund["id"]})
    assert approved["approveRefund"]["refund"]["status"] == "SUCCEEDED"

    # Then access is suspended, by the system, in the refund's transaction
    after = await booking(api, course)
    assert after["accessStatus"] == "SUSPENDED"
    assert [_access(e) for e in _events(after, *ACCESS_EVENTS)] == [
        ("ACCESS_GRANTED", "NONE", "GRANTED"),
        ("ACCESS_SUSPENDED", "GRANTED", "SUSPENDED"),
    ]


async def test_a_discount_that_clears_the_overdue_line_restores_access(
    api: Api, client: httpx.AsyncClient
) -> None:
    # Given month 1 paid, month 2 overdue: suspended
    course = await _course(api, (-40, 0), (-10, 0))
    await _pay_next(api, client, course)

    # When a manager takes month 2 off the price
    assert (
        await _change(
            api, DISCOUNT, {"bookingId": course, "amount": "30000.00", "reason": "scholarship"}
        )
        == []
    )

    # Then nothing past grace is unpaid any more: access restored
    after = await booking(api, course)
    assert after["accessStatus"] == "GRANTED"
    assert _access(_events(after, *ACCESS_EVENTS)[-1]) == (
        "ACCESS_RESTORED",
        "SUSPENDED",
        "GRANTED",
    )


async def test_pause_and_resume_record_what_was_before_and_what_is_after(
    api: Api, client: httpx.AsyncClient
) -> None:
    # Given a paid-up course: granted
    course = await _course(api, (0, 0), (30, 0))
    await _pay_next(api, client, course)

    # When it is paused, then resumed
    assert await _change(api, PAUSE, {"bookingId": course, "reason": "travelling"}) == []
    paused = (await booking(api, course))["accessStatus"]
    assert await _change(api, PAUSE, {"bookingId": course, "reason": "again"}) == ["ALREADY_PAUSED"]
    assert await _change(api, RESUME, {"bookingId": course, "reason": "back home"}) == []

    # Then each layer event has old != new, read before the change, and access follows it
    after = await booking(api, course)
    assert paused == "SUSPENDED" and after["accessStatus"] == "GRANTED"
    pause, resume = _events(after, "PAUSED", "RESUMED")
    assert (pause["actor"], pause["reason"]) == ("tester", "travelling")
    assert pause["data"]["old"] == {
        "paused": False,
        "accessOverride": None,
        "accessStatus": "GRANTED",
    }
    assert pause["data"]["new"] == {
        "paused": True,
        "accessOverride": None,
        "accessStatus": "SUSPENDED",
    }
    assert resume["data"]["old"]["paused"] is True
    assert resume["data"]["old"]["accessStatus"] == "SUSPENDED"
    assert resume["data"]["new"]["accessStatus"] == "GRANTED"
    changes = _events(after, *ACCESS_EVENTS)
    assert [_access(e) for e in changes] == [
        ("ACCESS_GRANTED", "NONE", "GRANTED"),
        ("ACCESS_SUSPENDED", "GRANTED", "SUSPENDED"),
        ("ACCESS_RESTORED", "SUSPENDED", "GRANTED"),
    ]
    assert [(e["actor"], e["reason"]) for e in changes[1:]] == [
        ("tester", "travelling"),
        ("tester", "back home"),
    ]


async def test_resume_does_not_grant_what_the_money_does_not_cover(
    api: Api, client: httpx.AsyncClient
) -> None:
    # Given a course suspended for an overdue month, then paused
    course = await _course(api, (-40, 0), (-10, 0))
    await _pay_next(api, client, course)
    assert await _change(api, PAUSE, {"bookingId": course, "reason": "holiday"}) == []

    # When it is resumed
    assert await _change(api, RESUME, {"bookingId": course, "reason": "back"}) == []

    # Then it stays suspended: month 2 is still unpaid
    after = await booking(api, course)
    assert after["accessStatus"] == "SUSPENDED"
    assert [_access(e) for e in _events(after, *ACCESS_EVENTS)] == [
        ("ACCESS_SUSPENDED", "NONE", "SUSPENDED")
    ]


async def test_an_override_holds_against_the_money_until_lifted(
    api: Api, client: httpx.AsyncClient
) -> None:
    # Given an unpaid course
    course = await _course(api, (0, 0), (30, 0))

    # When a manager grants access early, the first month is paid, the manager revokes access,
    # then lifts the override
    steps = [
        (OVERRIDE, {"bookingId": course, "accessStatus": "GRANTED", "reason": "pays Friday"}),
        (OVERRIDE, {"bookingId": course, "accessStatus": "REVOKED", "reason": "abuse report"}),
    ]
    assert await _change(api, *steps[0]) == []
    await _pay_next(api, client, course)
    assert await _change(api, *steps[1]) == []
    revoked = (await booking(api, course))["accessStatus"]
    lift = {"bookingId": course, "accessStatus": "NONE", "reason": "cleared"}
    assert await _change(api, OVERRIDE, lift) == []
    assert await _change(api, OVERRIDE, lift) == ["NO_CHANGE"]

    # Then access was what each override said, and back to the money once lifted
    after = await booking(api, course)
    assert revoked == "REVOKED" and after["accessStatus"] == "GRANTED"
    overrides = _events(after, "MANUAL_OVERRIDE")
    assert [
        (o["data"]["old"]["accessOverride"], o["data"]["new"]["accessOverride"]) for o in overrides
    ] == [(None, "GRANTED"), ("GRANTED", "REVOKED"), ("REVOKED", None)]
    assert [
        (o["data"]["old"]["accessStatus"], o["data"]["new"]["accessStatus"]) for o in overrides
    ] == [("NONE", "GRANTED"), ("GRANTED", "REVOKED"), ("REVOKED", "GRANTED")]
    assert [_access(e) for e in _events(after, *ACCESS_EVENTS)] == [
        ("ACCESS_GRANTED", "NONE", "GRANTED"),
        ("ACCESS_REVOKED", "GRANTED", "REVOKED"),
        ("ACCESS_GRANTED", "REVOKED", "GRANTED"),
    ]


async def test_cancelling_revokes_access_once(api: Api, client: httpx.AsyncClient) -> None:
    course = await _course(api, (0, 0), (30, 0))
    await _pay_next(api, client, course)

    cancel = {"bookingId": course, "reason": "moved abroad", "cause": "CUSTOMER_REQUEST"}
    assert await _change(api, CANCEL, cancel) == []

    after = await booking(api, course)
    assert after["accessStatus"] == "REVOKED"
    assert [_access(e) for e in _events(after, *ACCESS_EVENTS)] == [
        ("ACCESS_GRANTED", "NONE", "GRANTED"),
        ("ACCESS_REVOKED", "GRANTED", "REVOKED"),
    ]
