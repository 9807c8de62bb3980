"""Payment requests: one link per installment, for what it still owes, refused without side effects.

Every test goes through the real app over HTTP and checks the real PostgreSQL rows behind it.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from payable.core.ids import from_global_id, to_global_id
from tests.api import CREATE_CLINIC, CREATE_COURSE, Api, clinic_input, course_input
from tests.payments_api import (
    CANCEL_REQUEST,
    CREATE_REQUEST,
    REFRESH,
    booking,
    event_types,
    pay_on_page,
    request_link,
)

MONTHS = [
    {"amount": "30000.00", "dueDate": "2030-02-01"},
    {"amount": "30000.00", "dueDate": "2030-03-01"},
    {"amount": "30000.00", "dueDate": "2030-04-01"},
]


# --- helpers ----------------------------------------------------------------------------------


def _uuid(global_id: str) -> uuid.UUID:
    return from_global_id(global_id)[1]


async def _clinic(api: Api) -> str:
    payload = (await api.data(CREATE_CLINIC, {"input": clinic_input()}))["createClinicAppointment"]
    assert payload["errors"] == []
    return payload["booking"]["id"]


async def _course(api: Api) -> str:
    data = await api.data(CREATE_COURSE, {"input": course_input(installments=MONTHS)})
    payload = data["createCourseEnrollment"]
    assert payload["errors"] == []
    return payload["booking"]["id"]


async def _create(api: Api, booking_id: str, **extra: Any) -> dict[str, Any]:
    """The createPaymentRequest payload (errors included)."""
    data = await api.data(CREATE_REQUEST, {"input": {"bookingId": booking_id, **extra}})
    return data["createPaymentRequest"]


async def _footprint(db: asyncpg.Connection, booking_id: str) -> tuple[int, int, int]:
    """Rows a link would write: payment requests and events of the booking, all sandbox orders."""
    local = _uuid(booking_id)
    return (
        await db.fetchval("SELECT count(*) FROM payment_requests WHERE booking_id = $1", local),
        await db.fetchval("SELECT count(*) FROM booking_events WHERE booking_id = $1", local),
        await db.fetchval("SELECT count(*) FROM sandbox_orders"),
    )


async def _events(db: asyncpg.Connection, booking_id: str) -> list[tuple[str, str, str | None]]:
    """(type, actor, paymentRequestId) of the booking's events, in order."""
    rows = await db.fetch(
        "SELECT type, actor, data->>'paymentRequestId' AS request FROM booking_events"
        " WHERE booking_id = $1 ORDER BY sequence",
        _uuid(booking_id),
    )
    return [(r["type"], r["actor"], r["request"]) for r in rows]


async def _request_row(db: asyncpg.Connection, request_id: str) -> asyncpg.Record:
    return await db.fetchrow("SELECT * FROM payment_requests WHERE id = $1", _uuid(request_id))


async def _payments(db: asyncpg.Connection, booking_id: str) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM payments WHERE booking_id = $1 ORDER BY created_at", _uuid(booking_id)
    )


def _errors(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


# --- creating a link --------------------------------------------------------------------------


async def test_link_asks_for_what_the_earliest_unpaid_installment_owes(
    api: Api, db: asyncpg.Connection
) -> None:
    """Rule: amount = what the installment still owes; default installment = earliest unpaid."""
    booking_id = await _course(api)

    before = datetime.now(UTC)
    link = await request_link(api, booking_id, expiresInMinutes=30)

    assert link["status"] == "PENDING"
    assert link["amount"] == {"amount": "30000.00", "currency": "AMD"}
    assert link["installment"]["sequence"] == 1
    assert link["booking"]["id"] == booking_id
    assert link["provider"] == "sandbox"
    assert link["paymentUrl"] == f"http://payable.test/sandbox/pay/{link['providerOrderId']}"
    expires_at = datetime.fromisoformat(link["expiresAt"])
    expected = before + timedelta(minutes=30)
    assert expected - timedelta(seconds=5) <= expires_at <= expected + timedelta(seconds=30)
    order = await db.fetchrow(
        "SELECT * FROM sandbox_orders WHERE id = $1", uuid.UUID(link["providerOrderId"])
    )
    assert order["order_number"] == str(_uuid(link["id"]))
    assert order["amount"] == 30000 and order["state"] == "CREATED"


async def test_link_records_an_event_and_makes_the_booking_pending(
    api: Api, db: asyncpg.Connection
) -> None:
    """Rule: a new link is a PAYMENT_REQUESTED event, the booking is PENDING, the installment
    shows the link as its active one."""
    booking_id = await _course(api)

    link = await request_link(api, booking_id)

    after = await booking(api, booking_id)
    assert after["paymentStatus"] == "PENDING"
    assert after["status"] == "AWAITING_PAYMENT"
    assert event_types(after) == ["CREATED", "PAYMENT_REQUESTED"]
    assert [i["activePaymentRequest"] for i in after["schedule"]] == [
        {"id": link["id"]},
        None,
        None,
    ]
    assert (await _events(db, booking_id))[-1] == (
        "PAYMENT_REQUESTED",
        "tester",
        str(_uuid(link["id"])),
    )


async def test_explicit_installment_gets_its_own_link(api: Api) -> None:
    """Rule: installmentId picks the installment, whatever is due first."""
    booking_id = await _course(api)
    third = (await booking(api, booking_id))["schedule"][2]

    link = await request_link(api, booking_id, installmentId=third["id"])

    assert link["installment"] == {"id": third["id"], "sequence": 3}
    assert link["amount"]["amount"] == "30000.00"
    schedule = (await booking(api, booking_id))["schedule"]
    assert [i["activePaymentRequest"] for i in schedule] == [None, None, {"id": link["id"]}]


async def test_amount_is_what_is_left_after_the_first_installment_is_paid(
    api: Api, client: httpx.AsyncClient
) -> None:
    """Rule: after the first installment is paid, the default link is for the next one."""
    booking_id = await _course(api)
    first = await request_link(api, booking_id)
    await pay_on_page(client, first["paymentUrl"])

    second = await request_link(api, booking_id)

    assert second["id"] != first["id"]
    assert second["installment"]["sequence"] == 2
    assert second["amount"]["amount"] == "30000.00"


async def test_second_call_returns_the_active_link_and_creates_no_order(
    api: Api, db: asyncpg.Connection
) -> None:
    """Rule: while a link is active, the same link is returned and nothing new is created."""
    booking_id = await _clinic(api)
    first = await request_link(api, booking_id)
    footprint = await _footprint(db, booking_id)

    second = await request_link(api, booking_id)

    assert second["id"] == first["id"]
    assert second["providerOrderId"] == first["providerOrderId"]
    assert await _footprint(db, booking_id) == footprint


async def test_twenty_concurrent_calls_make_one_link_and_one_gateway_order(
    api: Api, db: asyncpg.Connection
) -> None:
    """Rule: at most one active link per installment, even when callers race."""
    booking_id = await _clinic(api)
    orders_before = await db.fetchval("SELECT count(*) FROM sandbox_orders")

    answers = await asyncio.gather(
        *(api.data(CREATE_REQUEST, {"input": {"bookingId": booking_id}}) for _ in range(20))
    )

    payloads = [a["createPaymentRequest"] for a in answers]
    assert all(p["errors"] == [] for p in payloads), payloads
    ids = {p["paymentRequest"]["id"] for p in payloads}
    assert len(ids) == 1
    request_id = _uuid(ids.pop())
    rows = await db.fetch(
        "SELECT id FROM payment_requests WHERE booking_id = $1", _uuid(booking_id)
    )
    assert [r["id"] for r in rows] == [request_id]
    orders = await db.fetch(
        "SELECT order_number FROM sandbox_orders WHERE order_number = $1", str(request_id)
    )
    assert len(orders) == 1
    assert await db.fetchval("SELECT count(*) FROM sandbox_orders") == orders_before + 1
    assert [t for t, _, _ in await _events(db, booking_id)].count("PAYMENT_REQUESTED") == 1


# --- refusals ---------------------------------------------------------------------------------


async def test_fully_paid_booking_is_refused(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Rule: nothing is due on a paid booking: BOOKING_PAID, nothing written."""
    booking_id = await _clinic(api)
    link = await request_link(api, booking_id)
    await pay_on_page(client, link["paymentUrl"])
    footprint = await _footprint(db, booking_id)

    payload = await _create(api, booking_id)

    assert _errors(payload) == ["BOOKING_PAID"]
    assert payload["paymentRequest"] is None
    assert await _footprint(db, booking_id) == footprint


async def test_paid_installment_is_refused(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Rule: a paid installment gets no link: INSTALLMENT_PAID, nothing written."""
    booking_id = await _course(api)
    link = await request_link(api, booking_id)
    await pay_on_page(client, link["paymentUrl"])
    footprint = await _footprint(db, booking_id)

    payload = await _create(api, booking_id, installmentId=link["installment"]["id"])

    assert _errors(payload) == ["INSTALLMENT_PAID"]
    assert payload["errors"][0]["field"] == "installmentId"
    assert await _footprint(db, booking_id) == footprint


async def test_installment_of_another_booking_is_not_found(
    api: Api, db: asyncpg.Connection
) -> None:
    """Rule: an installment must belong to the booking named: NOT_FOUND otherwise."""
    booking_id = await _course(api)
    other = await _course(api)
    foreign = (await booking(api, other))["schedule"][0]["id"]
    footprint = await _footprint(db, booking_id)

    payload = await _create(api, booking_id, installmentId=foreign)

    assert _errors(payload) == ["NOT_FOUND"]
    assert await _footprint(db, booking_id) == footprint


async def test_unknown_installment_is_not_found(api: Api, db: asyncpg.Connection) -> None:
    """Rule: unknown installment ids are NOT_FOUND."""
    booking_id = await _course(api)
    footprint = await _footprint(db, booking_id)

    payload = await _create(
        api, booking_id, installmentId=to_global_id("Installment", uuid.uuid4())
    )

    assert _errors(payload) == ["NOT_FOUND"]
    assert await _footprint(db, booking_id) == footprint


async def test_another_tenants_booking_is_not_found(api: Api, db: asyncpg.Connection) -> None:
    """Rule: tenants never see each other's bookings: NOT_FOUND, nothing written."""
    booking_id = await _clinic(api)
    stranger = api.for_tenant(f"t-{uuid.uuid4().hex[:12]}")
    footprint = await _footprint(db, booking_id)

    payload = await _create(stranger, booking_id)

    assert _errors(payload) == ["NOT_FOUND"]
    assert await _footprint(db, booking_id) == footprint


@pytest.mark.parametrize(
    ("extra", "code", "field"),
    [
        ({"expiresInMinutes": 0}, "INVALID_EXPIRY", "expiresInMinutes"),
        ({"expiresInMinutes": 7 * 24 * 60 + 1}, "INVALID_EXPIRY", "expiresInMinutes"),
        ({"returnUrl": "javascript:x"}, "INVALID_RETURN_URL", "returnUrl"),
    ],
)
async def test_invalid_input_is_refused(
    api: Api, db: asyncpg.Connection, extra: dict[str, Any], code: str, field: str
) -> None:
    """Rule: expiry must be 1 minute to 7 days and returnUrl an http(s) URL."""
    booking_id = await _clinic(api)
    footprint = await _footprint(db, booking_id)

    payload = await _create(api, booking_id, **extra)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]
    assert await _footprint(db, booking_id) == footprint


@pytest.mark.parametrize("role", ["integrator", "accountant"])
async def test_roles_that_may_not_request_payment_are_forbidden(
    api: Api, db: asyncpg.Connection, role: str
) -> None:
    """Rule: only staff (admin, operator, support) create payment links."""
    booking_id = await _clinic(api)
    footprint = await _footprint(db, booking_id)

    payload = await _create(api.as_role(role), booking_id)

    assert _errors(payload) == ["FORBIDDEN"]
    assert await _footprint(db, booking_id) == footprint


async def test_cancelled_booking_is_closed(api: Api, db: asyncpg.Connection) -> None:
    """Rule: a cancelled booking takes no money: BOOKING_CLOSED, nothing written."""
    booking_id = await _clinic(api)
    await db.execute("UPDATE bookings SET status = 'CANCELLED' WHERE id = $1", _uuid(booking_id))
    footprint = await _footprint(db, booking_id)

    payload = await _create(api, booking_id)

    assert _errors(payload) == ["BOOKING_CLOSED"]
    assert await _footprint(db, booking_id) == footprint


# --- expiry and cancellation ------------------------------------------------------------------


async def test_expired_link_is_expired_and_replaced(api: Api, db: asyncpg.Connection) -> None:
    """Rule: a link past its expiry is not active: the next call expires it and makes a new one."""
    booking_id = await _clinic(api)
    old = await request_link(api, booking_id)
    await db.execute(
        "UPDATE payment_requests SET expires_at = now() - interval '1 minute' WHERE id = $1",
        _uuid(old["id"]),
    )

    new = await request_link(api, booking_id)

    assert new["id"] != old["id"]
    assert new["providerOrderId"] != old["providerOrderId"]
    assert (await _request_row(db, old["id"]))["status"] == "EXPIRED"
    assert (await _request_row(db, new["id"]))["status"] == "PENDING"
    assert [(t, r) for t, _, r in await _events(db, booking_id)] == [
        ("CREATED", None),
        ("PAYMENT_REQUESTED", str(_uuid(old["id"]))),
        ("PAYMENT_EXPIRED", str(_uuid(old["id"]))),
        ("PAYMENT_REQUESTED", str(_uuid(new["id"]))),
    ]
    after = await booking(api, booking_id)
    assert after["paymentStatus"] == "PENDING"
    assert after["schedule"][0]["activePaymentRequest"] == {"id": new["id"]}


async def test_link_past_its_expiry_reads_expired_before_any_sweep(
    api: Api, db: asyncpg.Connection
) -> None:
    """Rule: a link reads EXPIRED as soon as expiresAt passes, and is no installment's active
    link, even before the sweeper has recorded the expiry."""
    booking_id = await _clinic(api)
    link = await request_link(api, booking_id)
    await db.execute(
        "UPDATE payment_requests SET expires_at = now() - interval '1 minute' WHERE id = $1",
        _uuid(link["id"]),
    )

    after = await booking(api, booking_id)

    assert after["paymentRequests"] == [{"id": link["id"], "status": "EXPIRED"}]
    assert after["schedule"][0]["activePaymentRequest"] is None
    assert (await _request_row(db, link["id"]))["status"] == "PENDING"  # nothing written yet


async def test_replacing_an_expired_link_first_records_money_paid_on_it(
    api: Api,
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
    app: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rule: a link is only replaced once the gateway says it was not paid."""
    monkeypatch.setattr(app.state.settings, "sandbox_callback", "drop")
    booking_id = await _clinic(api)
    old = await request_link(api, booking_id)
    await pay_on_page(client, old["paymentUrl"])
    await db.execute(
        "UPDATE payment_requests SET expires_at = now() - interval '1 minute' WHERE id = $1",
        _uuid(old["id"]),
    )

    await _create(api, booking_id)

    assert [p["payment_request_id"] for p in await _payments(db, booking_id)] == [_uuid(old["id"])]


async def test_cancel_requires_a_reason(api: Api, db: asyncpg.Connection) -> None:
    """Rule: cancelling a link needs a reason: REASON_REQUIRED, nothing changes."""
    booking_id = await _clinic(api)
    link = await request_link(api, booking_id)

    data = await api.data(
        CANCEL_REQUEST, {"input": {"paymentRequestId": link["id"], "reason": "  "}}
    )

    assert _errors(data["cancelPaymentRequest"]) == ["REASON_REQUIRED"]
    assert (await _request_row(db, link["id"]))["status"] == "PENDING"
    order = await db.fetchval(
        "SELECT state FROM sandbox_orders WHERE id = $1", uuid.UUID(link["providerOrderId"])
    )
    assert order == "CREATED"


async def test_cancelled_link_is_reversed_at_the_gateway_and_can_be_replaced(
    api: Api, db: asyncpg.Connection
) -> None:
    """Rule: cancel withdraws the link and its gateway order; a new link can then be made."""
    booking_id = await _clinic(api)
    link = await request_link(api, booking_id)

    data = await api.data(
        CANCEL_REQUEST,
        {"input": {"paymentRequestId": link["id"], "reason": "customer changed their mind"}},
    )

    payload = data["cancelPaymentRequest"]
    assert payload["errors"] == []
    assert payload["paymentRequest"] == {"id": link["id"], "status": "CANCELLED"}
    state = await db.fetchval(
        "SELECT state FROM sandbox_orders WHERE id = $1", uuid.UUID(link["providerOrderId"])
    )
    assert state == "REVERSED"
    event = await db.fetchrow(
        "SELECT actor, reason, data->>'reversedAtGateway' AS reversed FROM booking_events"
        " WHERE booking_id = $1 AND type = 'PAYMENT_REQUEST_CANCELLED'",
        _uuid(booking_id),
    )
    assert dict(event) == {
        "actor": "tester",
        "reason": "customer changed their mind",
        "reversed": "true",
    }
    assert (await booking(api, booking_id))["paymentStatus"] == "UNPAID"

    again = await request_link(api, booking_id)

    assert again["id"] != link["id"] and again["status"] == "PENDING"


# --- what the customer does on the sandbox page -----------------------------------------------


async def test_declined_card_fails_the_link_and_a_new_one_can_be_paid(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Rule: a decline fails the link (nothing paid); the booking waits for a new link."""
    booking_id = await _clinic(api)
    link = await request_link(api, booking_id)

    answer = await pay_on_page(client, link["paymentUrl"], outcome="decline")

    assert answer.status_code == 303
    assert (await _request_row(db, link["id"]))["status"] == "FAILED"
    declined = await booking(api, booking_id)
    assert declined["paymentStatus"] == "UNPAID"
    assert declined["status"] == "AWAITING_PAYMENT"
    assert declined["payments"] == []
    assert event_types(declined)[-1] == "PAYMENT_FAILED"

    retry = await request_link(api, booking_id)
    await pay_on_page(client, retry["paymentUrl"])

    paid = await booking(api, booking_id)
    assert retry["id"] != link["id"]
    assert paid["paymentStatus"] == "PAID" and paid["status"] == "CONFIRMED"
    assert [p["paymentRequest"]["id"] for p in paid["payments"]] == [retry["id"]]


async def test_three_d_secure_is_not_payment_until_completed(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Rule: a 3-D Secure challenge in progress is not money; completing it is."""
    booking_id = await _clinic(api)
    link = await request_link(api, booking_id)

    challenged = await pay_on_page(client, link["paymentUrl"], outcome="approve_3ds")
    refreshed = await api.data(REFRESH, {"id": link["id"]})

    assert challenged.status_code == 303
    assert refreshed["refreshPaymentStatus"] == {
        "errors": [],
        "paymentRequest": {"id": link["id"], "status": "PENDING"},
    }
    assert await _payments(db, booking_id) == []
    assert (await booking(api, booking_id))["paymentStatus"] == "PENDING"

    completed = await pay_on_page(client, link["paymentUrl"], outcome="approve")

    assert completed.status_code == 303
    after = await booking(api, booking_id)
    assert after["paymentStatus"] == "PAID"
    assert after["paymentRequests"] == [{"id": link["id"], "status": "PAID"}]
    assert len(after["payments"]) == 1


# --- the return page --------------------------------------------------------------------------


async def test_return_before_paying_shows_confirming_and_marks_nothing_paid(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Rule: the browser's return proves nothing; only what the gateway says counts."""
    booking_id = await _clinic(api)
    link = await request_link(api, booking_id)

    page = await client.get(f"/payments/return/{_uuid(link['id'])}")

    assert page.status_code == 200
    assert "being confirmed" in page.text
    assert await _payments(db, booking_id) == []
    assert (await _request_row(db, link["id"]))["status"] == "PENDING"
    assert (await booking(api, booking_id))["paymentStatus"] == "PENDING"


async def test_return_after_paying_verifies_by_lookup(
    api: Api,
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
    app: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rule: a return prompts a server-side status lookup, whose answer the page shows."""
    monkeypatch.setattr(app.state.settings, "sandbox_callback", "drop")
    booking_id = await _clinic(api)
    link = await request_link(api, booking_id, returnUrl="https://clinic.example/done")
    answer = await pay_on_page(client, link["paymentUrl"])
    assert await _payments(db, booking_id) == []  # the callback was lost

    page = await client.get(answer.headers["location"])

    assert answer.headers["location"] == f"http://payable.test/payments/return/{_uuid(link['id'])}"
    assert page.status_code == 200
    assert "Payment confirmed" in page.text
    assert 'href="https://clinic.example/done"' in page.text
    payments = await _payments(db, booking_id)
    assert [(p["verified_by"], p["state"], p["amount"]) for p in payments] == [
        ("STATUS_LOOKUP", "VERIFIED", 15000)
    ]
    assert (await _request_row(db, link["id"]))["status"] == "PAID"


@pytest.mark.parametrize("path", [f"/payments/return/{uuid.uuid4()}", "/payments/return/nope"])
async def test_return_for_an_unknown_request_is_404(client: httpx.AsyncClient, path: str) -> None:
    """Rule: an unknown return URL is a 404."""
    page = await client.get(path)

    assert page.status_code == 404


# --- refreshPaymentStatus ---------------------------------------------------------------------


async def test_refresh_verifies_a_lost_callback_by_lookup(
    api: Api,
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
    app: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rule: refreshPaymentStatus asks the gateway and records the money it reports."""
    monkeypatch.setattr(app.state.settings, "sandbox_callback", "drop")
    booking_id = await _clinic(api)
    link = await request_link(api, booking_id)
    await pay_on_page(client, link["paymentUrl"])

    data = await api.as_role("accountant").data(REFRESH, {"id": link["id"]})

    assert data["refreshPaymentStatus"] == {
        "errors": [],
        "paymentRequest": {"id": link["id"], "status": "PAID"},
    }
    after = await booking(api, booking_id)
    assert after["paymentStatus"] == "PAID" and after["status"] == "CONFIRMED"
    assert [p["verifiedBy"] for p in after["payments"]] == ["STATUS_LOOKUP"]
    assert [t for t, _, _ in await _events(db, booking_id)].count("PAYMENT_VERIFIED") == 1


async def test_refresh_of_another_tenants_request_is_not_found(
    api: Api, db: asyncpg.Connection
) -> None:
    """Rule: tenants never reach each other's payment requests."""
    booking_id = await _clinic(api)
    link = await request_link(api, booking_id)
    stranger = api.for_tenant(f"t-{uuid.uuid4().hex[:12]}")

    data = await stranger.data(REFRESH, {"id": link["id"]})

    assert _errors(data["refreshPaymentStatus"]) == ["NOT_FOUND"]
    assert (await _request_row(db, link["id"]))["checked_at"] is None


async def test_refresh_is_forbidden_to_integrators(api: Api, db: asyncpg.Connection) -> None:
    """Rule: integrators may not make the server call the gateway."""
    booking_id = await _clinic(api)
    link = await request_link(api, booking_id)

    data = await api.as_role("integrator").data(REFRESH, {"id": link["id"]})

    assert _errors(data["refreshPaymentStatus"]) == ["FORBIDDEN"]
    assert (await _request_row(db, link["id"]))["checked_at"] is None
