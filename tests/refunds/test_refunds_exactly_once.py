"""Refunds: split across payments, decided by someone other than the requester, and sent to the
gateway exactly once, even when the answer is lost or the process is killed mid-refund.

Both sides are read back: our ``refunds``/``bookings`` rows and the sandbox's own
``sandbox_orders``/``sandbox_operations`` ledger.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from payable.core.principal import Role
from payable.core.tokens import issue
from payable.refunds import workers as refund_workers
from tests.api import Api
from tests.bookings.factories import days_from_now
from tests.conftest import JWT_SECRET
from tests.money.factories import (
    ACCEPT_HELD,
    APPROVE_REFUND,
    REQUEST_REFUND,
    RETURN_HELD,
    booking,
    clinic,
    codes,
    events,
    expire_here,
    link_for,
    local,
    pay,
    payments,
    sandbox_order,
    sandbox_refunds,
    tour,
)
from tests.payments.factories import CREATE_REQUEST
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input

# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def accountant(api: Api) -> Api:
    return api.as_role(Role.ACCOUNTANT, sub="anna@accounts")


async def _paid_clinic(api: Api, client: httpx.AsyncClient) -> tuple[str, str]:
    """A 15000 appointment paid through the sandbox: (booking id, sandbox order id)."""
    booking_id = await clinic(api)
    link = await link_for(api, booking_id)
    await pay(client, link)
    assert (await booking(api, booking_id))["amountPaid"]["amount"] == "15000.00"
    return booking_id, link["providerOrderId"]


async def _request(api: Api, booking_id: str, amount: str) -> dict[str, Any]:
    variables = {"input": {"bookingId": booking_id, "amount": amount, "reason": "customer asked"}}
    return (await api.data(REQUEST_REFUND, variables))["requestRefund"]


async def _approve(api: Api, refund_id: str) -> dict[str, Any]:
    return (await api.data(APPROVE_REFUND, {"id": refund_id}))["approveRefund"]


async def _refund_row(db: asyncpg.Connection, refund_id: str) -> asyncpg.Record:
    return await db.fetchrow(
        "SELECT status, amount, failure, approved_by, attempted_at FROM refunds WHERE id = $1",
        local(refund_id),
    )


async def _refund_tasks(db: asyncpg.Connection, booking_id: str) -> list[tuple[str, str]]:
    rows = await db.fetch(
        "SELECT kind, status FROM review_tasks WHERE booking_id = $1 AND kind LIKE 'REFUND%'"
        " ORDER BY created_at",
        local(booking_id),
    )
    return [(r["kind"], r["status"]) for r in rows]


async def _settle(api: Api) -> int:
    """One round of the refund worker, as the server runs it."""
    return await refund_workers.settle_open(api.app.state.db, api.app.state.providers)


# --- Split across payments --------------------------------------------------------------------


async def test_a_refund_larger_than_one_payment_is_split_newest_first_and_approved_together(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, accountant: Api
) -> None:
    """80000 of a 30000 deposit + 70000 balance: one request, two refunds (70000 of the balance,
    then 10000 of the deposit); one approval sends both; the sandbox shows both.

    Fails before: refused REFUND_EXCEEDS_REFUNDABLE (a refund was capped to one payment), and
    `RefundPayload.refunds` did not exist.
    """
    booking_id = await tour(
        api, price={"amount": "100000.00", "currency": "AMD"}, depositAmount="30000.00"
    )
    deposit = await link_for(api, booking_id)
    await pay(client, deposit)
    balance = await link_for(api, booking_id)
    await pay(client, balance)
    assert (deposit["amount"]["amount"], balance["amount"]["amount"]) == ("30000.00", "70000.00")
    node = await booking(api, booking_id)
    by_order = {p["amount"]["amount"]: p["id"] for p in node["payments"]}

    asked = await _request(api, booking_id, "80000.00")

    assert asked["errors"] == []
    assert [(r["amount"]["amount"], r["payment"]["id"], r["status"]) for r in asked["refunds"]] == [
        ("70000.00", by_order["70000.00"], "REQUESTED"),
        ("10000.00", by_order["30000.00"], "REQUESTED"),
    ]
    assert asked["refund"]["id"] == asked["refunds"][0]["id"]

    approved = await _approve(accountant, asked["refund"]["id"])

    assert approved["errors"] == []
    assert [(r["amount"]["amount"], r["status"]) for r in approved["refunds"]] == [
        ("70000.00", "SUCCEEDED"),
        ("10000.00", "SUCCEEDED"),
    ]
    assert await sandbox_refunds(db, balance["providerOrderId"]) == [Decimal("70000.00")]
    assert await sandbox_refunds(db, deposit["providerOrderId"]) == [Decimal("10000.00")]
    assert (await sandbox_order(db, balance["providerOrderId"]))["refunded"] == Decimal("70000.00")
    assert (await sandbox_order(db, deposit["providerOrderId"]))["refunded"] == Decimal("10000.00")
    after = await booking(api, booking_id)
    assert after["amountRefunded"] == {"amount": "80000.00"}
    assert after["amountPaid"]["amount"] == "100000.00"
    assert [e["actor"] for e in events(after, "REFUND_APPROVED")] == ["anna@accounts"] * 2
    assert len(events(after, "REFUND_SUCCEEDED")) == 2
    assert codes(await _request(api, booking_id, "20000.01")) == ["REFUND_EXCEEDS_REFUNDABLE"]


# --- Four eyes --------------------------------------------------------------------------------


async def test_the_requester_cannot_approve_their_own_refund_unless_the_tenant_allows_it(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """An admin requests and approves with the same `sub`: APPROVER_IS_REQUESTER, nothing
    changes; once the tenant switches the rule off, the same approval goes through.

    Fails before: the same admin could request and approve (SUCCEEDED at once).
    """
    booking_id, order_id = await _paid_clinic(api, client)
    boss = api.as_role(Role.ADMIN, sub="boss@clinic")
    refund_id = (await _request(boss, booking_id, "5000.00"))["refund"]["id"]
    events_before = len(events(await booking(api, booking_id)))

    refused = await _approve(boss, refund_id)

    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("APPROVER_IS_REQUESTER", "refundId")
    ]
    row = await _refund_row(db, refund_id)
    assert (row["status"], row["approved_by"], row["attempted_at"]) == ("REQUESTED", None, None)
    assert await sandbox_refunds(db, order_id) == []
    after = await booking(api, booking_id)
    assert len(events(after)) == events_before
    assert after["amountRefunded"] == {"amount": "0.00"}

    await db.execute("UPDATE tenants SET refund_four_eyes = false WHERE slug = $1", api.tenant)
    allowed = await _approve(boss, refund_id)

    assert allowed["errors"] == []
    assert (allowed["refund"]["status"], allowed["refund"]["approvedBy"]) == (
        "SUCCEEDED",
        "boss@clinic",
    )
    assert await sandbox_refunds(db, order_id) == [Decimal("5000.00")]


# --- Lost answers and crashes -----------------------------------------------------------------


async def test_a_lost_answer_is_settled_by_asking_the_gateway_never_by_sending_again(
    api: Api,
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
    accountant: Api,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sandbox refunds, then the answer is lost: PROCESSING with a REFUND_UNCONFIRMED task;
    approving again is REFUND_NOT_PENDING; the worker later asks the sandbox and records
    SUCCEEDED, closing the task. The sandbox refunded once.

    Fails before: the refund stayed PROCESSING for ever: nothing asked the gateway, so the 4000
    it had refunded never reached amountRefunded and the task never closed.
    """
    booking_id, order_id = await _paid_clinic(api, client)
    refund_id = (await _request(api, booking_id, "4000.00"))["refund"]["id"]
    monkeypatch.setattr(api.app.state.providers.sandbox, "refund_answer", "lose")

    first = await _approve(accountant, refund_id)

    assert first["errors"] == []
    assert (first["refund"]["status"], first["refund"]["failure"]) == (
        "PROCESSING",
        "PROVIDER_UNAVAILABLE",
    )
    assert await _refund_tasks(db, booking_id) == [("REFUND_UNCONFIRMED", "OPEN")]
    assert await sandbox_refunds(db, order_id) == [Decimal("4000.00")]
    assert (await booking(api, booking_id))["amountRefunded"] == {"amount": "0.00"}

    again = await _approve(accountant, refund_id)

    assert codes(again) == ["REFUND_NOT_PENDING"]
    assert await sandbox_refunds(db, order_id) == [Decimal("4000.00")]

    monkeypatch.setattr(api.app.state.providers.sandbox, "refund_answer", "answer")
    assert await _settle(api) >= 0
    assert (await _refund_row(db, refund_id))["status"] == "PROCESSING"  # too recent to judge

    await db.execute(
        "UPDATE refunds SET attempted_at = attempted_at - interval '3 minutes' WHERE id = $1",
        local(refund_id),
    )
    assert await _settle(api) >= 1

    row = await _refund_row(db, refund_id)
    assert (row["status"], row["failure"]) == ("SUCCEEDED", None)
    assert await _refund_tasks(db, booking_id) == [("REFUND_UNCONFIRMED", "RESOLVED")]
    after = await booking(api, booking_id)
    assert after["amountRefunded"] == {"amount": "4000.00"}
    assert [r["status"] for r in after["refunds"]] == ["SUCCEEDED"]
    assert await sandbox_refunds(db, order_id) == [Decimal("4000.00")]
    assert (await sandbox_order(db, order_id))["refunded"] == Decimal("4000.00")


async def test_a_refund_behind_one_of_unknown_outcome_waits_and_is_sent_once_after_it(
    api: Api,
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
    accountant: Api,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 4000 refund's answer is lost (PROCESSING); a 3000 refund of the same payment approved
    meanwhile is not sent next to it (the gateway's total would no longer tell them apart). The
    worker settles the first from the sandbox's total, then sends the second: 4000 + 3000 at
    the sandbox, one operation each.

    Fails before: nothing settled PROCESSING refunds, and the second was sent at once beside
    the unknown one.
    """
    booking_id, order_id = await _paid_clinic(api, client)
    first = (await _request(api, booking_id, "4000.00"))["refund"]["id"]
    second = (await _request(api, booking_id, "3000.00"))["refund"]["id"]
    monkeypatch.setattr(api.app.state.providers.sandbox, "refund_answer", "lose")
    assert (await _approve(accountant, first))["refund"]["status"] == "PROCESSING"
    monkeypatch.setattr(api.app.state.providers.sandbox, "refund_answer", "answer")

    waiting = await _approve(accountant, second)

    assert waiting["errors"] == []
    assert waiting["refund"]["status"] == "APPROVED"
    assert (await _refund_row(db, second))["attempted_at"] is None
    assert await sandbox_refunds(db, order_id) == [Decimal("4000.00")]

    await db.execute(
        "UPDATE refunds SET attempted_at = attempted_at - interval '3 minutes',"
        " decided_at = decided_at - interval '3 minutes' WHERE booking_id = $1",
        local(booking_id),
    )
    for _ in range(3):
        await _settle(api)

    assert [(await _refund_row(db, r))["status"] for r in (first, second)] == ["SUCCEEDED"] * 2
    assert await sandbox_refunds(db, order_id) == [Decimal("4000.00"), Decimal("3000.00")]
    assert (await sandbox_order(db, order_id))["refunded"] == Decimal("7000.00")
    assert (await booking(api, booking_id))["amountRefunded"] == {"amount": "7000.00"}


async def test_returning_held_money_again_after_a_lost_answer_asks_and_never_resends(
    api: Api,
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
    accountant: Api,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """returnHeldPayment whose answer is lost: PROCESSING, the payment still HELD. Asked again,
    the same refund comes back, settled by asking the sandbox (SUCCEEDED, payment RETURNED),
    and nothing is sent: one REFUND operation of the whole amount.

    Fails before: held money could not be returned at all (no `returnHeldPayment`).
    """
    booking_id = await clinic(api)
    link = await link_for(api, booking_id)
    await expire_here(db, link["id"])
    await pay(client, link)
    payment_id = (await booking(api, booking_id))["payments"][0]["id"]
    decision = {"input": {"paymentId": payment_id, "reason": "late, sent back"}}
    monkeypatch.setattr(api.app.state.providers.sandbox, "refund_answer", "lose")

    returned = (await accountant.data(RETURN_HELD, decision))["returnHeldPayment"]

    assert (returned["refund"]["status"], returned["refund"]["failure"]) == (
        "PROCESSING",
        "PROVIDER_UNAVAILABLE",
    )
    assert await payments(db, booking_id) == [("HELD", "LATE_PAYMENT", Decimal("15000.00"))]
    assert await sandbox_refunds(db, link["providerOrderId"]) == [Decimal("15000.00")]

    # Found by the money model: accepting money whose return may already have reached the
    # gateway would count money the payer is getting back.
    accepted = (await accountant.data(ACCEPT_HELD, decision))["acceptHeldPayment"]
    assert codes(accepted) == ["PAYMENT_BEING_RETURNED"]
    assert await payments(db, booking_id) == [("HELD", "LATE_PAYMENT", Decimal("15000.00"))]

    monkeypatch.setattr(api.app.state.providers.sandbox, "refund_answer", "answer")
    repeated = (await accountant.data(RETURN_HELD, decision))["returnHeldPayment"]

    assert repeated["errors"] == []
    assert repeated["refund"]["id"] == returned["refund"]["id"]
    assert repeated["refund"]["status"] == "SUCCEEDED"
    assert await payments(db, booking_id) == [("RETURNED", "LATE_PAYMENT", Decimal("15000.00"))]
    assert await sandbox_refunds(db, link["providerOrderId"]) == [Decimal("15000.00")]
    assert (await sandbox_order(db, link["providerOrderId"]))["refunded"] == Decimal("15000.00")
    after = await booking(api, booking_id)
    assert (after["amountPaid"]["amount"], after["amountHeld"]["amount"]) == ("0.00", "0.00")
    assert after["amountRefunded"] == {"amount": "0.00"}
    assert len(events(after, "HELD_PAYMENT_RETURNED")) == 1
    open_tasks = await db.fetchval(
        "SELECT count(*) FROM review_tasks WHERE booking_id = $1 AND status = 'OPEN'",
        local(booking_id),
    )
    assert open_tasks == 0
    again = (await accountant.data(RETURN_HELD, decision))["returnHeldPayment"]
    assert codes(again) == ["PAYMENT_NOT_HELD"]


async def test_an_approved_refund_that_never_reached_the_gateway_fails_and_frees_its_money(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """An APPROVED refund stamped as handed over 3 minutes ago that the gateway does not show
    (the process died between the stamp and the send): the worker records FAILED
    NOT_AT_GATEWAY with a REFUND_FAILED task, sends nothing, and the money is refundable again.

    Fails before: there was no `attempted_at` and no worker settling refunds; such a refund
    stayed APPROVED for ever, its money blocked.
    """
    booking_id, order_id = await _paid_clinic(api, client)
    refund_id = (await _request(api, booking_id, "15000.00"))["refund"]["id"]
    await db.execute(
        "UPDATE refunds SET status = 'APPROVED', approved_by = 'anna@accounts',"
        " decided_at = now() - interval '3 minutes', attempted_at = now() - interval '3 minutes'"
        " WHERE id = $1",
        local(refund_id),
    )

    assert await _settle(api) >= 1

    row = await _refund_row(db, refund_id)
    assert (row["status"], row["failure"]) == ("FAILED", "NOT_AT_GATEWAY")
    assert await _refund_tasks(db, booking_id) == [("REFUND_FAILED", "OPEN")]
    assert await sandbox_refunds(db, order_id) == []
    assert (await sandbox_order(db, order_id))["refunded"] == Decimal("0.00")
    after = await booking(api, booking_id)
    assert after["amountRefunded"] == {"amount": "0.00"}
    assert [e["reason"] for e in events(after, "REFUND_FAILED")] == ["NOT_AT_GATEWAY"]
    assert (await _request(api, booking_id, "15000.00"))["errors"] == []


async def test_fifteen_concurrent_approvals_on_one_payment_refund_exactly_their_sum(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, accountant: Api
) -> None:
    """15 separate refunds of 1000 on one 15000 payment, approved at once: all SUCCEEDED, each
    stamped as handed over, the sandbox refunded exactly 15000 in 15 operations.

    Fails before: only on `attempted_at` (absent); this guards the new rule of one refund per
    payment at the gateway at a time (a unique index) from turning concurrency into failures.
    """
    booking_id, order_id = await _paid_clinic(api, client)
    ids = [(await _request(api, booking_id, "1000.00"))["refund"]["id"] for _ in range(15)]

    answers = await asyncio.gather(*(_approve(accountant, refund_id) for refund_id in ids))

    assert [a["errors"] for a in answers] == [[]] * 15
    assert [a["refund"]["status"] for a in answers] == ["SUCCEEDED"] * 15
    rows = await db.fetch(
        "SELECT status, attempted_at IS NOT NULL AS sent FROM refunds WHERE booking_id = $1",
        local(booking_id),
    )
    assert sorted((r["status"], r["sent"]) for r in rows) == [("SUCCEEDED", True)] * 15
    assert await sandbox_refunds(db, order_id) == [Decimal("1000.00")] * 15
    assert (await sandbox_order(db, order_id))["refunded"] == Decimal("15000.00")
    assert (await booking(api, booking_id))["amountRefunded"] == {"amount": "15000.00"}


# --- A real crash: kill -9 mid-refund -----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(database_url: str, port: int, **knobs: str) -> subprocess.Popen[bytes]:
    inherited = {k: v for k, v in os.environ.items() if k != "PAYABLE_SANDBOX_REFUND_ANSWER"}
    env = inherited | {
        "DATABASE_URL": database_url,
        "PAYABLE_ENV": "development",
        "PAYABLE_JWT_SECRET": JWT_SECRET,
        "PAYABLE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        **knobs,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "payable", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    process.wait()
    pytest.fail("payable serve did not become ready")


class _Served:
    """GraphQL over real TCP to a `payable serve` process."""

    def __init__(self, port: int, tenant: str) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.tenant = tenant

    def post(self, query: str, variables: dict[str, Any], *, role: Role, sub: str) -> Any:
        token = issue(
            secret=JWT_SECRET, tenant=self.tenant, role=role, sub=sub, ttl=timedelta(hours=1)
        )
        response = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
            timeout=3,
        )
        body = response.json()
        assert "errors" not in body, body
        return next(iter(body["data"].values()))


async def test_crash_kill_9_mid_refund_then_restart_refunds_exactly_once(
    database_url: str, db: asyncpg.Connection
) -> None:
    """`payable serve` whose sandbox refunds and then hangs; approveRefund hangs, the process is
    killed with SIGKILL after the gateway refunded and before our books knew. Restarted: a
    second approval sends nothing (REFUND_NOT_PENDING); once the send is older than two
    minutes, the server's own worker asks the sandbox and records SUCCEEDED. The sandbox
    refunded the amount once, and our books equal the gateway's.

    Fails before: the crash left the refund REQUESTED, and approving it again refunded again
    (the sandbox would show two REFUND operations, 10000 for a 5000 refund).
    """
    tenant = f"crash-{uuid.uuid4().hex[:10]}"
    port = _free_port()
    process = _serve(
        database_url,
        port,
        PAYABLE_SANDBOX_REFUND_ANSWER="hang",
        PAYABLE_WORKERS_ENABLED="false",
    )
    try:
        served = _Served(port, tenant)
        staff = {"role": Role.OPERATOR, "sub": "olga@front"}
        money = {"role": Role.ACCOUNTANT, "sub": "anna@accounts"}
        created = served.post(CREATE_CLINIC, {"input": clinic_input()}, **staff)
        booking_id = created["booking"]["id"]
        link = served.post(CREATE_REQUEST, {"input": {"bookingId": booking_id}}, **staff)
        link = link["paymentRequest"]
        page = urlsplit(link["paymentUrl"]).path
        paid = httpx.post(f"{served.base}{page}", data={"outcome": "approve"}, timeout=5)
        assert paid.status_code == 303
        variables = {"input": {"bookingId": booking_id, "amount": "5000.00", "reason": "asked"}}
        refund_id = served.post(REQUEST_REFUND, variables, **staff)["refund"]["id"]
        order_id = link["providerOrderId"]

        with pytest.raises(httpx.ReadTimeout):
            served.post(APPROVE_REFUND, {"id": refund_id}, **money)
        for _ in range(50):  # the sandbox refunded; its answer never comes
            if await sandbox_refunds(db, order_id):
                break
            await asyncio.sleep(0.1)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert await sandbox_refunds(db, order_id) == [Decimal("5000.00")]
    row = await _refund_row(db, refund_id)
    assert row["status"] == "APPROVED" and row["attempted_at"] is not None  # handed over, unknown

    process = _serve(
        database_url,
        port,
        PAYABLE_WORKERS_ENABLED="true",
        PAYABLE_WORKER_INTERVAL_SECONDS="0.2",
    )
    try:
        again = served.post(APPROVE_REFUND, {"id": refund_id}, **money)
        assert codes(again) == ["REFUND_NOT_PENDING"]
        await asyncio.sleep(0.5)  # a few worker rounds: too recent to judge, nothing is sent
        assert (await _refund_row(db, refund_id))["status"] == "APPROVED"
        assert await sandbox_refunds(db, order_id) == [Decimal("5000.00")]

        await db.execute(
            "UPDATE refunds SET attempted_at = attempted_at - interval '3 minutes' WHERE id = $1",
            local(refund_id),
        )
        for _ in range(100):
            if (await _refund_row(db, refund_id))["status"] != "APPROVED":
                break
            await asyncio.sleep(0.1)
        node = served.post(
            "query($id: ID!) { node(id: $id) { ... on PayableBooking {"
            " amountPaid { amount } amountRefunded { amount } refunds { status amount { amount } }"
            " } } }",
            {"id": booking_id},
            **money,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)

    assert (await _refund_row(db, refund_id))["status"] == "SUCCEEDED"
    assert node["amountRefunded"] == {"amount": "5000.00"}
    assert node["amountPaid"] == {"amount": "15000.00"}
    assert node["refunds"] == [{"status": "SUCCEEDED", "amount": {"amount": "5000.00"}}]
    assert await sandbox_refunds(db, order_id) == [Decimal("5000.00")]
    gateway = await sandbox_order(db, order_id)
    ours = await db.fetchval(
        "SELECT sum(amount) FROM refunds WHERE booking_id = $1 AND status = 'SUCCEEDED'",
        local(booking_id),
    )
    assert gateway["refunded"] == ours == Decimal("5000.00")


CANCEL_DEPARTURE = """mutation($input: CancelTourDepartureInput!) {
  cancelTourDeparture(input: $input) {
    errors { code field message }
    bookings { id status }
    refunds { id status amount { amount } payment { id } } } }"""


async def test_a_cancelled_departure_requests_each_bookings_quoted_refund_in_the_same_call(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, accountant: Api
) -> None:
    """Weather cancels a departure: one call cancels both bookings and requests what each one's
    policy quotes (the whole of it, split across a booking's payments); one approval per
    booking's request sends them, and the sandbox refunded exactly what was paid.

    Fails before: `requestRefunds` and `DeparturePayload.refunds` did not exist, and a refund
    spanning a deposit and a balance was refused.
    """
    date = days_from_now(40)
    both_paid = await tour(
        api,
        tourDate=date,
        packageId="garni",
        price={"amount": "100000.00", "currency": "AMD"},
        depositAmount="30000.00",
    )
    deposit_only = await tour(
        api,
        tourDate=date,
        packageId="garni",
        price={"amount": "50000.00", "currency": "AMD"},
        depositAmount="20000.00",
    )
    for link in [await link_for(api, both_paid), await link_for(api, deposit_only)]:
        await pay(client, link)
    await pay(client, await link_for(api, both_paid))

    answer = (
        await api.data(
            CANCEL_DEPARTURE,
            {
                "input": {
                    "packageId": "garni",
                    "tourDate": date,
                    "reason": "storm warning",
                    "cause": "WEATHER",
                    "requestRefunds": True,
                }
            },
        )
    )["cancelTourDeparture"]

    assert answer["errors"] == []
    assert {b["status"] for b in answer["bookings"]} == {"CANCELLED"}
    asked = sorted((r["amount"]["amount"], r["status"]) for r in answer["refunds"])
    assert asked == [
        ("20000.00", "REQUESTED"),
        ("30000.00", "REQUESTED"),
        ("70000.00", "REQUESTED"),
    ]
    for booking_id in (both_paid, deposit_only):
        node = await booking(api, booking_id)
        first = next(
            r
            for r in answer["refunds"]
            if r["payment"]["id"] in {p["id"] for p in node["payments"]}
        )
        approved = await _approve(accountant, first["id"])
        assert approved["errors"] == []
        assert {r["status"] for r in approved["refunds"]} == {"SUCCEEDED"}
        after = await booking(api, booking_id)
        assert after["amountRefunded"]["amount"] == after["amountPaid"]["amount"]
    refunded = await db.fetchval(
        "SELECT sum(o.amount) FROM sandbox_operations o JOIN payment_requests r"
        " ON r.provider_order_id = o.order_id::text WHERE o.operation = 'REFUND'"
        " AND r.booking_id = ANY($1::uuid[])",
        [local(both_paid), local(deposit_only)],
    )
    assert refunded == Decimal("120000.00")
