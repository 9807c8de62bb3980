"""Helpers for payment tests: links, the sandbox page, and what the database holds."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api import Api

CREATE_REQUEST = """mutation($input: CreatePaymentRequestInput!, $key: String) {
  createPaymentRequest(input: $input, idempotencyKey: $key) {
    errors { code field message }
    paymentRequest { id status amount { amount currency } paymentUrl expiresAt provider
                     providerOrderId installment { id sequence } booking { id } }
  } }"""

REFRESH = """mutation($id: ID!) {
  refreshPaymentStatus(paymentRequestId: $id) {
  errors { code message } paymentRequest { id status } } }"""

CANCEL_REQUEST = """mutation($input: CancelPaymentRequestInput!) {
  cancelPaymentRequest(input: $input) {
  errors { code field message } paymentRequest { id status } } }"""

BOOKING = """query($id: ID!) { node(id: $id) { ... on PayableBooking {
  id status paymentStatus amountPaid { amount currency } balanceDue { amount }
  schedule { id sequence amountPaid { amount } status activePaymentRequest { id } }
  paymentRequests { id status } payments { id amount { amount currency } provider providerReference
  verifiedBy verifiedAt paymentRequest { id } }
  timeline(first: 50) { edges { node { type actor data } } }
  ... on CourseEnrollment { accessStatus } } } }"""


async def request_link(api: Api, booking_id: str, **extra: Any) -> dict[str, Any]:
    data = await api.data(CREATE_REQUEST, {"input": {"bookingId": booking_id, **extra}})
    payload = data["createPaymentRequest"]
    assert payload["errors"] == [], payload["errors"]
    return payload["paymentRequest"]


async def pay_on_page(
    client: httpx.AsyncClient, payment_url: str, outcome: str = "approve"
) -> httpx.Response:
    """What the customer's browser does on the sandbox's hosted page."""
    page = await client.get(payment_url)
    assert page.status_code == 200 and 'value="approve"' in page.text
    return await client.post(payment_url, data={"outcome": outcome})


async def booking(api: Api, booking_id: str) -> dict[str, Any]:
    return (await api.data(BOOKING, {"id": booking_id}))["node"]


def event_types(node: dict[str, Any]) -> list[str]:
    return [edge["node"]["type"] for edge in node["timeline"]["edges"]]
