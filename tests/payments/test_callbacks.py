"""Signed gateway callbacks: kept, verified, processed once, and never trusted on their own word.

Callbacks are POSTed to /webhooks/sandbox as the sandbox gateway would send them; the sandbox's
own orders table plays the gateway's side of the story.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from payable.core.ids import from_global_id
from payable.providers.base import OrderState
from payable.sandbox.callbacks import callback_body
from payable.sandbox.signing import signed_headers
from tests.api import Api
from tests.conftest import SANDBOX_SECRET
from tests.payments.factories import (
    CANCEL_REQUEST,
    REFRESH,
    booking,
    event_types,
    pay_on_page,
    request_link,
)
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input

# --- helpers ----------------------------------------------------------------------------------


def _uuid(global_id: str) -> uuid.UUID:
    return from_global_id(global_id)[1]


@pytest.fixture
def drop_callbacks(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The customer pays, but the sandbox's own callback is lost."""
    monkeypatch.setattr(app.state.settings, "sandbox_callback", "drop")


async def _clinic(api: Api) -> str:
    payload = (await api.data(CREATE_CLINIC, {"input": clinic_input()}))["createClinicAppointment"]
    assert payload["errors"] == []
    return payload["booking"]["id"]


async def _send(
    client: httpx.AsyncClient,
    body: bytes,
    *,
    secret: str = SANDBOX_SECRET,
    now: float | None = None,
    provider: str = "sandbox",
) -> httpx.Response:
    headers = signed_headers(secret, body, now=now)
    return await client.post(f"/webhooks/{provider}", content=body, headers=headers)


async def _inbox(db: asyncpg.Connection, body: bytes) -> list[asyncpg.Record]:
    """The rows of a delivery: by its body, or (refused, bodies not kept) by its digest."""
    digest = hashlib.sha256(body).hexdigest()
    return await db.fetch(
        "SELECT * FROM provider_callbacks WHERE body = $1 OR (body = '' AND error LIKE $2)",
        body,
        f"%{len(body)} bytes, sha256 {digest}",
    )


async def _payments(db: asyncpg.Connection, booking_id: str) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM payments WHERE booking_id = $1 ORDER BY created_at", _uuid(booking_id)
    )


async def _request_status(db: asyncpg.Connection, request_id: str) -> str:
    return await db.fetchval("SELECT status FROM payment_requests WHERE id = $1", _uuid(request_id))


async def _event_count(db: asyncpg.Connection, booking_id: str, type_: str) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM booking_events WHERE booking_id = $1 AND type = $2",
        _uuid(booking_id),
        type_,
    )


async def _reviews(db: asyncpg.Connection, booking_id: str) -> list[tuple[str, str]]:
    rows = await db.fetch(
        "SELECT kind, status FROM review_tasks WHERE booking_id = $1", _uuid(booking_id)
    )
    return [(r["kind"], r["status"]) for r in rows]


async def _paid_but_unheard(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> tuple[str, dict[str, Any]]:
    """A booking whose customer paid at the sandbox while the callback was lost."""
    booking_id = await _clinic(api)
    link = await request_link(api, booking_id)
    await pay_on_page(client, link["paymentUrl"])
    assert await _payments(db, booking_id) == []
    assert await _request_status(db, link["id"]) == "PENDING"
    return booking_id, link


# --- signatures -------------------------------------------------------------------------------


@pytest.mark.usefixtures("drop_callbacks")
async def test_bad_signature_is_kept_as_rejected_and_changes_nothing(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Rule: an unsigned callback is answered 401, kept for the record, and acted on never."""
    booking_id, link = await _paid_but_unheard(api, client, db)
    body = callback_body(link["providerOrderId"], OrderState.PAID)

    response = await _send(client, body, secret="not-the-secret")

    assert response.status_code == 401
    assert [(r["signature_valid"], r["status"], r["event_id"]) for r in await _inbox(db, body)] == [
        (False, "REJECTED", None)
    ]
    assert await _payments(db, booking_id) == []
    assert await _request_status(db, link["id"]) == "PENDING"
    lookups = await db.fetchval(
        "SELECT lookups FROM sandbox_orders WHERE id = $1", uuid.UUID(link["providerOrderId"])
    )
    assert lookups == 0
    assert event_types(await booking(api, booking_id)) == ["CREATED", "PAYMENT_REQUESTED"]


@pytest.mark.usefixtures("drop_callbacks")
@pytest.mark.parametrize("skew", [-301, +301])
async def test_timestamp_outside_the_window_is_rejected(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, skew: int
) -> None:
    """Rule: a correctly signed callback more than five minutes off is a replay: 401."""
    booking_id, link = await _paid_but_unheard(api, client, db)
    body = callback_body(link["providerOrderId"], OrderState.PAID)

    response = await _send(client, body, now=time.time() + skew)

    assert response.status_code == 401
    assert [r["status"] for r in await _inbox(db, body)] == ["REJECTED"]
    assert await _payments(db, booking_id) == []


async def test_missing_signature_headers_are_rejected(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Rule: a callback without signature headers is unsigned: 401."""
    body = callback_body(str(uuid.uuid4()), OrderState.PAID)

    response = await client.post("/webhooks/sandbox", content=body)

    assert response.status_code == 401
    assert [r["status"] for r in await _inbox(db, body)] == ["REJECTED"]


@pytest.mark.usefixtures("drop_callbacks")
async def test_rotated_secret_is_accepted(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Rule: during a rotation, the previous secret still verifies."""
    booking_id, link = await _paid_but_unheard(api, client, db)
    body = callback_body(link["providerOrderId"], OrderState.PAID)

    response = await _send(client, body, secret="previous-sandbox-secret")

    assert response.status_code == 200
    assert [(r["signature_valid"], r["status"]) for r in await _inbox(db, body)] == [
        (True, "PROCESSED")
    ]
    assert [p["verified_by"] for p in await _payments(db, booking_id)] == ["WEBHOOK"]
    assert await _request_status(db, link["id"]) == "PAID"


# --- once, and only on the gateway's word -----------------------------------------------------


@pytest.mark.usefixtures("drop_callbacks")
async def test_fifty_identical_callbacks_record_the_money_once(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Rule: deliveries of one event share an inbox row and are processed once."""
    booking_id, link = await _paid_but_unheard(api, client, db)
    body = callback_body(link["providerOrderId"], OrderState.PAID)

    responses = await asyncio.gather(*(_send(client, body) for _ in range(50)))

    assert [r.status_code for r in responses] == [200] * 50
    assert len(await _payments(db, booking_id)) == 1
    assert await _event_count(db, booking_id, "PAYMENT_VERIFIED") == 1
    inbox = await _inbox(db, body)
    assert [(r["deliveries"], r["status"], r["signature_valid"]) for r in inbox] == [
        (50, "PROCESSED", True)
    ]
    after = await booking(api, booking_id)
    assert after["paymentStatus"] == "PAID"
    assert after["amountPaid"]["amount"] == "15000.00"


async def test_callback_is_only_a_wake_up_call(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Rule: a callback claiming PAID records nothing while the gateway says the order is unpaid."""
    booking_id = await _clinic(api)
    link = await request_link(api, booking_id)
    body = callback_body(link["providerOrderId"], OrderState.PAID)

    response = await _send(client, body)

    assert response.status_code == 200
    assert [r["status"] for r in await _inbox(db, body)] == ["PROCESSED"]
    assert await _payments(db, booking_id) == []
    assert await _request_status(db, link["id"]) == "PENDING"
    after = await booking(api, booking_id)
    assert after["paymentStatus"] == "PENDING"
    assert after["amountPaid"]["amount"] == "0.00"


@pytest.mark.usefixtures("drop_callbacks")
async def test_gateway_that_cannot_answer_gets_the_event_retried(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Rule: if the confirming lookup fails, the delivery is answered 503 and kept FAILED; the
    gateway's retry of the same event then records the money."""
    booking_id, link = await _paid_but_unheard(api, client, db)
    order_id, hidden = uuid.UUID(link["providerOrderId"]), uuid.uuid4()
    body = callback_body(link["providerOrderId"], OrderState.PAID)
    # The gateway loses track of the order for a moment: its status lookup answers UNKNOWN_ORDER.
    await db.execute("UPDATE sandbox_orders SET id = $2 WHERE id = $1", order_id, hidden)

    refused = await _send(client, body)

    assert refused.status_code == 503
    [row] = await _inbox(db, body)
    assert (row["status"], row["error"]) == ("FAILED", "gateway lookup failed: UNKNOWN_ORDER")
    assert await _payments(db, booking_id) == []

    await db.execute("UPDATE sandbox_orders SET id = $2 WHERE id = $1", hidden, order_id)
    retried = await _send(client, body)

    assert retried.status_code == 200
    [row] = await _inbox(db, body)
    assert (row["status"], row["deliveries"], row["error"]) == ("PROCESSED", 2, None)
    assert [p["verified_by"] for p in await _payments(db, booking_id)] == ["WEBHOOK"]
    assert await _request_status(db, link["id"]) == "PAID"


async def test_callback_for_an_unknown_order_is_processed_as_nothing(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Rule: a signed callback for an order no request has is kept and acknowledged."""
    body = callback_body(str(uuid.uuid4()), OrderState.PAID)

    response = await _send(client, body)

    assert response.status_code == 200
    [row] = await _inbox(db, body)
    assert (row["status"], row["error"]) == ("PROCESSED", "no payment request has this order")


async def test_late_decline_never_downgrades_verified_money(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Rule: once money is verified, a later decline from the gateway changes nothing."""
    booking_id = await _clinic(api)
    link = await request_link(api, booking_id)
    await pay_on_page(client, link["paymentUrl"])
    assert await _request_status(db, link["id"]) == "PAID"
    await db.execute(
        "UPDATE sandbox_orders SET state = 'DECLINED' WHERE id = $1",
        uuid.UUID(link["providerOrderId"]),
    )
    body = callback_body(link["providerOrderId"], OrderState.DECLINED)

    response = await _send(client, body)

    assert response.status_code == 200
    assert [r["status"] for r in await _inbox(db, body)] == ["PROCESSED"]
    assert await _request_status(db, link["id"]) == "PAID"
    assert [p["state"] for p in await _payments(db, booking_id)] == ["VERIFIED"]
    after = await booking(api, booking_id)
    assert after["paymentStatus"] == "PAID" and after["status"] == "CONFIRMED"
    assert after["amountPaid"]["amount"] == "15000.00"
    assert "PAYMENT_FAILED" not in event_types(after)


async def test_duplicate_delivery_mode_gives_one_payment(
    api: Api,
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
    app: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rule: the sandbox delivering its callback twice still records the money once."""
    monkeypatch.setattr(app.state.settings, "sandbox_callback", "duplicate")
    booking_id = await _clinic(api)
    link = await request_link(api, booking_id)

    await pay_on_page(client, link["paymentUrl"])

    inbox = await db.fetch(
        "SELECT deliveries, status FROM provider_callbacks WHERE provider_order_id = $1",
        link["providerOrderId"],
    )
    assert [(r["deliveries"], r["status"]) for r in inbox] == [(2, "PROCESSED")]
    assert len(await _payments(db, booking_id)) == 1
    assert await _event_count(db, booking_id, "PAYMENT_VERIFIED") == 1
    assert (await booking(api, booking_id))["paymentStatus"] == "PAID"


# --- money a person must look at --------------------------------------------------------------


@pytest.mark.usefixtures("drop_callbacks")
@pytest.mark.parametrize("via", ["refresh", "callback"])
async def test_amount_mismatch_is_held_for_review(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, via: str
) -> None:
    """Rule: money that is not what was asked is kept, counted nowhere, and reviewed."""
    booking_id, link = await _paid_but_unheard(api, client, db)
    await db.execute(
        "UPDATE sandbox_orders SET captured = captured - 1 WHERE id = $1",
        uuid.UUID(link["providerOrderId"]),
    )

    if via == "refresh":
        data = await api.data(REFRESH, {"id": link["id"]})
        assert data["refreshPaymentStatus"]["errors"] == []
    else:
        body = callback_body(link["providerOrderId"], OrderState.PAID)
        assert (await _send(client, body)).status_code == 200

    assert [(p["state"], p["amount"]) for p in await _payments(db, booking_id)] == [("HELD", 14999)]
    assert await _request_status(db, link["id"]) == "MANUAL_REVIEW"
    assert await _reviews(db, booking_id) == [("AMOUNT_MISMATCH", "OPEN")]
    after = await booking(api, booking_id)
    assert after["paymentStatus"] == "MANUAL_REVIEW"
    assert after["status"] == "AWAITING_PAYMENT"
    assert after["amountPaid"]["amount"] == "0.00"
    assert after["schedule"][0]["amountPaid"]["amount"] == "0.00"
    assert event_types(after)[-1] == "PAYMENT_HELD"
    assert await _event_count(db, booking_id, "PAYMENT_VERIFIED") == 0


@pytest.mark.parametrize("expire_by", ["refresh", "new_link"])
async def test_money_for_an_expired_link_is_held_for_review(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, expire_by: str
) -> None:
    """Rule: money arriving for an expired link is late: recorded, not counted, reviewed."""
    booking_id = await _clinic(api)
    old = await request_link(api, booking_id)
    await db.execute(
        "UPDATE payment_requests SET expires_at = now() - interval '1 minute' WHERE id = $1",
        _uuid(old["id"]),
    )
    if expire_by == "refresh":
        data = await api.data(REFRESH, {"id": old["id"]})
        assert data["refreshPaymentStatus"]["paymentRequest"]["status"] == "EXPIRED"
    else:
        await request_link(api, booking_id)
    assert await _request_status(db, old["id"]) == "EXPIRED"
    if expire_by == "new_link":
        # Opening the next link cancelled the old order at the gateway: it takes no money.
        order = uuid.UUID(old["providerOrderId"])
        assert await db.fetchval("SELECT state FROM sandbox_orders WHERE id = $1", order) == (
            "REVERSED"
        )
        refused = await client.post(old["paymentUrl"], data={"outcome": "approve"})
        assert refused.status_code == 409
        assert await _payments(db, booking_id) == []
        return

    answer = await pay_on_page(client, old["paymentUrl"])

    assert answer.status_code == 303
    payments = await _payments(db, booking_id)
    assert [(p["state"], p["payment_request_id"]) for p in payments] == [("HELD", _uuid(old["id"]))]
    assert await _request_status(db, old["id"]) == "MANUAL_REVIEW"
    assert await _reviews(db, booking_id) == [("LATE_PAYMENT", "OPEN")]
    after = await booking(api, booking_id)
    assert after["paymentStatus"] == "MANUAL_REVIEW"
    assert after["amountPaid"]["amount"] == "0.00"
    assert "PAYMENT_HELD" in event_types(after)


async def test_money_for_a_cancelled_link_is_held_for_review(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Rule: money the gateway captured for a cancelled link is late: held for review."""
    booking_id = await _clinic(api)
    link = await request_link(api, booking_id)
    cancelled = await api.data(
        CANCEL_REQUEST, {"input": {"paymentRequestId": link["id"], "reason": "wrong amount"}}
    )
    assert cancelled["cancelPaymentRequest"]["errors"] == []
    order_id = uuid.UUID(link["providerOrderId"])
    assert await db.fetchval("SELECT state FROM sandbox_orders WHERE id = $1", order_id) == (
        "REVERSED"
    )
    # The gateway captures anyway (a reversal that lost the race with the customer).
    await db.execute(
        "UPDATE sandbox_orders SET state = 'PAID', captured = amount WHERE id = $1", order_id
    )
    body = callback_body(link["providerOrderId"], OrderState.PAID)

    response = await _send(client, body)

    assert response.status_code == 200
    assert [(p["state"], p["amount"]) for p in await _payments(db, booking_id)] == [("HELD", 15000)]
    assert await _request_status(db, link["id"]) == "MANUAL_REVIEW"
    assert await _reviews(db, booking_id) == [("LATE_PAYMENT", "OPEN")]
    details = await db.fetchval(
        "SELECT details FROM review_tasks WHERE booking_id = $1", _uuid(booking_id)
    )
    assert json.loads(details)["requestStatus"] == "CANCELLED"
    after = await booking(api, booking_id)
    assert after["paymentStatus"] == "MANUAL_REVIEW"
    assert after["amountPaid"]["amount"] == "0.00"
    assert after["status"] == "AWAITING_PAYMENT"


# --- routing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["unknown", "ameriabank"])
async def test_providers_that_send_no_callbacks_are_404(
    client: httpx.AsyncClient, db: asyncpg.Connection, provider: str
) -> None:
    """Rule: only gateways that sign callbacks have a webhook; others are 404 and kept nowhere."""
    body = callback_body(str(uuid.uuid4()), OrderState.PAID)

    response = await _send(client, body, provider=provider)

    assert response.status_code == 404
    assert await _inbox(db, body) == []
