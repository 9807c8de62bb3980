"""Webhook documents and helpers shared by the webhook tests."""

from __future__ import annotations

import json
from typing import Any

from tests.api import Api
from tests.money.factories import clinic

ENDPOINT_FIELDS = "id url description eventTypes active createdAt"
CREATE_ENDPOINT = (
    "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {"
    f" endpoint {{ {ENDPOINT_FIELDS} }} secret errors {{ code field message }} }} }}"
)
DELETE_ENDPOINT = (
    "mutation($id: ID!) { deleteWebhookEndpoint(endpointId: $id) {"
    f" endpoint {{ {ENDPOINT_FIELDS} }} secret errors {{ code field message }} }} }}"
)
ENDPOINTS = f"{{ webhookEndpoints {{ {ENDPOINT_FIELDS} }} }}"
DELIVERY_FIELDS = """id status attempts lastResponseStatus lastError nextAttemptAt deliveredAt
  createdAt endpoint { id } event { id type sequence }"""
DELIVERIES = (
    "query($endpointId: ID, $status: WebhookDeliveryStatus, $first: Int) {"
    " webhookDeliveries(endpointId: $endpointId, status: $status, first: $first) {"
    f" {DELIVERY_FIELDS} }} }}"
)
RETRY = (
    "mutation($id: ID!) { retryWebhookDelivery(deliveryId: $id) {"
    f" delivery {{ {DELIVERY_FIELDS} }} errors {{ code field message }} }} }}"
)
CANCEL = """mutation($input: CancelBookingInput!) { cancelBooking(input: $input) {
  errors { code } booking { id status } } }"""
NOTE = """mutation($input: AddNoteInput!) { addNote(input: $input) { errors { code } } }"""


async def endpoint(api: Api, url: str, **extra: Any) -> tuple[dict[str, Any], str]:
    """A new endpoint (as the tenant's admin) and its secret."""
    payload = (await api.as_role("admin").data(CREATE_ENDPOINT, {"input": {"url": url, **extra}}))[
        "createWebhookEndpoint"
    ]
    assert payload["errors"] == [], payload["errors"]
    return payload["endpoint"], payload["secret"]


async def cancel(api: Api, booking_id: str, reason: str = "the customer has the flu") -> None:
    variables = {"input": {"bookingId": booking_id, "reason": reason, "cause": "CUSTOMER_REQUEST"}}
    assert (await api.data(CANCEL, variables))["cancelBooking"]["errors"] == []


async def deliveries(api: Api, **variables: Any) -> list[dict[str, Any]]:
    return (await api.as_role("admin").data(DELIVERIES, variables))["webhookDeliveries"]


def bodies(received: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in received]


__all__ = ["clinic"]
