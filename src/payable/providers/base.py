"""The one interface every gateway adapter implements, and the facts it reports.

Adapters translate; they decide nothing. Whether money counts is decided by the payments
domain from an ``OrderStatus`` that the server itself fetched or a callback whose signature
the adapter verified.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from payable.core.money import Money

# Gateways whose money is test money: it never moved, whatever their ledger says.
TEST_GATEWAYS = frozenset({"sandbox"})


def is_test_money(provider: str) -> bool:
    return provider in TEST_GATEWAYS


class OrderState(enum.StrEnum):
    PENDING = "PENDING"  # registered, customer not done (3-D Secure in progress included)
    PAID = "PAID"  # captured / deposited: money moved
    DECLINED = "DECLINED"
    REVERSED = "REVERSED"  # authorisation cancelled before capture
    REFUNDED = "REFUNDED"  # fully or partly refunded after capture
    EXPIRED = "EXPIRED"


@dataclass(frozen=True, slots=True)
class OrderRequest:
    order_number: str  # ours, unique per merchant: the payment request id
    amount: Money
    description: str
    return_url: str  # where the browser comes back (unverified)
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class CreatedOrder:
    provider_order_id: str
    payment_url: str


@dataclass(frozen=True, slots=True)
class OrderStatus:
    provider_order_id: str
    state: OrderState
    amount: Money | None  # what the gateway says was captured (PAID) or asked (otherwise)
    provider_reference: str  # the gateway's id of the money movement (approval / payment id)
    refunded: Money | None = None  # everything refunded on the order so far
    detail: str | None = None  # the gateway's own code, for people and logs
    # When the money was captured, where the gateway says: whether the link was live then.
    captured_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RefundResult:
    provider_refund_reference: str


@dataclass(frozen=True, slots=True)
class CallbackEvent:
    """A callback whose authenticity the adapter checked. Still confirmed by a status lookup."""

    event_id: str  # the gateway's id of this notification: duplicates share it
    provider_order_id: str
    state: OrderState | None  # what the callback claims, when it says


class ProviderError(Exception):
    """The gateway refused: ``code`` is its own code; ``retryable`` if trying later may help."""

    def __init__(self, code: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable


class ProviderUnavailable(ProviderError):
    """Timeout, connection failure or a system error at the gateway: nothing is known."""

    def __init__(self, message: str) -> None:
        super().__init__("PROVIDER_UNAVAILABLE", message, retryable=True)


class InvalidCallback(Exception):
    """A callback that does not verify (signature, checksum, time window or shape)."""


class Provider(Protocol):
    name: str
    # Whether the gateway answers status lookups, so a callback can be confirmed server-side.
    supports_status_lookup: bool
    # Whether it sends signed server-to-server callbacks (else /webhooks/<name> does not exist).
    signs_callbacks: bool
    # How long the gateway's own payment page stays open (None: as long as we ask). A link
    # never outlives it: past it the customer can no longer pay, whatever the link says.
    max_session: timedelta | None

    async def create_order(self, order: OrderRequest) -> CreatedOrder: ...

    async def order_status(self, provider_order_id: str) -> OrderStatus: ...

    async def refund(
        self, provider_order_id: str, amount: Money, *, reference: str | None = None
    ) -> RefundResult:
        """Refund part of a captured order. ``reference`` is ours and stable for one refund;
        gateways that take one use it to refuse a second refund with the same reference."""
        ...

    async def reverse(self, provider_order_id: str) -> None: ...

    def verify_callback(
        self, *, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> CallbackEvent: ...
