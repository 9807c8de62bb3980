"""Helpers for the money-path tests: held money, re-priced links, refunds sent exactly once.

Our side is read back from ``payments``/``refunds``/``bookings``/``review_tasks``; the gateway's
side from the sandbox's own ``sandbox_orders`` and ``sandbox_operations`` ledger.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import httpx

from payable.core.ids import from_global_id
from payable.providers.base import OrderState
from payable.sandbox.callbacks import callback_body
from payable.sandbox.signing import signed_headers
from tests.api import Api
from tests.conftest import SANDBOX_SECRET
from tests.payments.factories import CREATE_REQUEST, pay_on_page, request_link
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

BOOKING = """query($id: ID!) { node(id: $id) { ... on PayableBooking {
  id status paymentStatus price { amount } amountPaid { amount currency }
  amountHeld { amount currency } amountRefunded { amount } balanceDue { amount }
  schedule { sequence amountDue { amount } amountPaid { amount } status }
  paymentRequests { id status amount { amount } }
  payments { id state heldReason amount { amount currency } capturedAt verifiedBy }
  refunds { id status amount { amount } failure }
  timeline(first: 100) { edges { node { type actor reason data } } } } } }"""

REFUND_FIELDS = """errors { code field message }
  refund { id status amount { amount currency } requestedBy approvedBy failure
           providerRefundReference payment { id } }
  refunds { id status amount { amount } payment { id } }"""

REQUEST_REFUND = (
    "mutation($input: RequestRefundInput!) { requestRefund(input: $input) { "
    + REFUND_FIELDS
    + " } }"
)
APPROVE_REFUND = "mutation($id: ID!) { approveRefund(refundId: $id) { " + REFUND_FIELDS + " } }"
ACCEPT_HELD = """mutation($input: HeldPaymentInput!) { acceptHeldPayment(input: $input) {
  errors { code field message } payment { id state heldReason amount { amount } } } }"""
RETURN_HELD = (
    "mutation($input: HeldPaymentInput!) { returnHeldPayment(input: $input) { "
    + REFUND_FIELDS
    + " } }"
)
RESOLVE_TASK = """mutation($input: ResolveTaskInput!) { resolveTask(input: $input) {
  errors { code field message } task { id status } } }"""
DISCOUNT = """mutation($input: ApplyDiscountInput!) { applyDiscount(input: $input) {
  errors { code field message } booking { id price { amount } } } }"""
PARTICIPANTS = """mutation($input: AdjustTourParticipantsInput!) {
  adjustTourParticipants(input: $input) {
  errors { code field message } booking { id price { amount } } } }"""
CANCEL = """mutation($input: CancelBookingInput!) { cancelBooking(input: $input) {
  errors { code field message } booking { id status } } }"""


def local(global_id: str) -> uuid.UUID:
    return from_global_id(global_id)[1]


def local_order(link: dict[str, Any]) -> uuid.UUID:
    """The sandbox order behind a link."""
    return uuid.UUID(link["providerOrderId"])


async def clinic(api: Api, price: str = "15000.00") -> str:
    variables = {"input": clinic_input(price={"amount": price, "currency": "AMD"})}
    payload = (await api.data(CREATE_CLINIC, variables))["createClinicAppointment"]
    assert payload["errors"] == [], payload["errors"]
    return payload["booking"]["id"]


async def tour(api: Api, **overrides: Any) -> str:
    payload = (await api.data(CREATE_TOUR, {"input": tour_input(**overrides)}))["createTourBooking"]
    assert payload["errors"] == [], payload["errors"]
    return payload["booking"]["id"]


async def booking(api: Api, booking_id: str) -> dict[str, Any]:
    return (await api.data(BOOKING, {"id": booking_id}))["node"]


def events(node: dict[str, Any], *types: str) -> list[dict[str, Any]]:
    found = [edge["node"] for edge in node["timeline"]["edges"]]
    return [e for e in found if not types or e["type"] in types]


def event_data(event: dict[str, Any]) -> dict[str, Any]:
    data = event["data"]
    return json.loads(data) if isinstance(data, str) else data


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def link_for(api: Api, booking_id: str, **extra: Any) -> dict[str, Any]:
    return await request_link(api, booking_id, **extra)


async def create_link(api: Api, booking_id: str) -> dict[str, Any]:
    """createPaymentRequest's whole payload (errors included)."""
    return (await api.data(CREATE_REQUEST, {"input": {"bookingId": booking_id}}))[
        "createPaymentRequest"
    ]


async def expire_here(db: asyncpg.Connection, request_id: str) -> None:
    """The link's expiry passes in our books only: the sandbox page still takes the money."""
    await db.execute(
        "UPDATE payment_requests SET expires_at = now() - interval '1 minute' WHERE id = $1",
        local(request_id),
    )


async def pay(client: httpx.AsyncClient, link: dict[str, Any]) -> None:
    answer = await pay_on_page(client, link["paymentUrl"])
    assert answer.status_code == 303, answer.text


async def signed_callback(client: httpx.AsyncClient, order_id: str) -> httpx.Response:
    body = callback_body(order_id, OrderState.PAID)
    return await client.post(
        "/webhooks/sandbox", content=body, headers=signed_headers(SANDBOX_SECRET, body)
    )


async def payments(db: asyncpg.Connection, booking_id: str) -> list[tuple[Any, ...]]:
    rows = await db.fetch(
        "SELECT state, held_reason, amount FROM payments WHERE booking_id = $1 ORDER BY created_at",
        local(booking_id),
    )
    return [tuple(r) for r in rows]


async def tasks(db: asyncpg.Connection, booking_id: str) -> list[tuple[Any, ...]]:
    rows = await db.fetch(
        "SELECT kind, status, resolved_by FROM review_tasks WHERE booking_id = $1"
        " ORDER BY created_at",
        local(booking_id),
    )
    return [tuple(r) for r in rows]


async def request_status(db: asyncpg.Connection, request_id: str) -> str:
    return await db.fetchval("SELECT status FROM payment_requests WHERE id = $1", local(request_id))


async def sandbox_order(db: asyncpg.Connection, order_id: str) -> asyncpg.Record:
    return await db.fetchrow(
        "SELECT state, amount, captured, refunded FROM sandbox_orders WHERE id = $1",
        uuid.UUID(order_id),
    )


async def sandbox_refunds(db: asyncpg.Connection, order_id: str) -> list[Decimal]:
    """The gateway's ledger: every REFUND it made on the order."""
    rows = await db.fetch(
        "SELECT amount FROM sandbox_operations WHERE order_id = $1 AND operation = 'REFUND'"
        " ORDER BY at",
        uuid.UUID(order_id),
    )
    return [r["amount"] for r in rows]


async def audit(db: asyncpg.Connection, api: Api, operation: str) -> list[tuple[Any, ...]]:
    tenant = await db.fetchval("SELECT id FROM tenants WHERE slug = $1", api.tenant)
    rows = await db.fetch(
        "SELECT actor, role, outcome FROM audit_log WHERE tenant_id = $1 AND operation = $2",
        tenant,
        operation,
    )
    return [tuple(r) for r in rows]
