"""Refusals of webhook endpoints and deliveries (codes are part of the API)."""

from __future__ import annotations

import enum

from payable.core.errors import Refusal


@enum.unique
class WebhookRefusal(Refusal):
    INVALID_URL = "the URL must be http:// or https:// with a host and no credentials"
    URL_NOT_RESOLVABLE = "the URL's host does not resolve"
    URL_NOT_ALLOWED = "the URL points to a loopback, link-local or private address"
    UNKNOWN_EVENT_TYPE = "not a deliverable event type"
    ENDPOINT_INACTIVE = "the endpoint is deleted or disabled"
    DELIVERY_IN_FLIGHT = "an attempt is being sent right now"
