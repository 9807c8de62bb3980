"""The sandbox as a gateway adapter: orders, status lookups, refunds, reversals, callbacks.

It keeps its orders in its own table and works in its own transactions, as a remote
gateway would: nothing it does rolls back with the caller.
"""

from __future__ import annotations

import asyncio
import enum
import json
import uuid
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Literal

from sqlalchemy import select, update

from payable.core.money import Currency, Money
from payable.db.engine import Database
from payable.providers.base import (
    CallbackEvent,
    CreatedOrder,
    InvalidCallback,
    OrderRequest,
    OrderState,
    OrderStatus,
    ProviderError,
    ProviderUnavailable,
    RefundResult,
)
from payable.sandbox import signing
from payable.sandbox.models import SandboxOrder
from payable.sandbox.operations import SandboxOperation


class SandboxState(enum.StrEnum):
    CREATED = "CREATED"
    CHALLENGE = "CHALLENGE"  # 3-D Secure in progress: not paid
    PAID = "PAID"
    DECLINED = "DECLINED"
    REVERSED = "REVERSED"
    REFUNDED = "REFUNDED"


# What the sandbox does with a refund's answer: give it, lose it after refunding (as a dropped
# connection would), or never give it (so a test can kill the caller mid-refund).
RefundAnswer = Literal["answer", "lose", "hang"]

_REPORTED = {
    SandboxState.CREATED: OrderState.PENDING,
    SandboxState.CHALLENGE: OrderState.PENDING,
    SandboxState.PAID: OrderState.PAID,
    SandboxState.DECLINED: OrderState.DECLINED,
    SandboxState.REVERSED: OrderState.REVERSED,
    SandboxState.REFUNDED: OrderState.REFUNDED,
}


class SandboxGateway:
    name = "sandbox"
    supports_status_lookup = True
    signs_callbacks = True
    max_session: timedelta | None = None  # its page stays open as long as the link (up to 7 days)

    def __init__(
        self,
        db: Database,
        *,
        public_url: str,
        secrets: list[str],
        refund_answer: RefundAnswer = "answer",
    ) -> None:
        self.db = db
        self.public_url = public_url.rstrip("/")
        self.secrets = secrets
        self.refund_answer = refund_answer

    async def close(self) -> None:
        await self.db.dispose()

    def page_url(self, order_id: uuid.UUID | str) -> str:
        return f"{self.public_url}/sandbox/pay/{order_id}"

    async def create_order(self, order: OrderRequest) -> CreatedOrder:
        async with self.db.session() as session, session.begin():
            existing = await session.scalar(
                select(SandboxOrder).where(SandboxOrder.order_number == order.order_number)
            )
            if existing is not None:
                raise ProviderError("ORDER_NUMBER_USED", "order number already used")
            row = SandboxOrder(
                order_number=order.order_number,
                currency=order.amount.currency.value,
                amount=order.amount.amount,
                state=SandboxState.CREATED.value,
                description=order.description,
                return_url=order.return_url,
                expires_at=order.expires_at,
            )
            session.add(row)
        return CreatedOrder(provider_order_id=str(row.id), payment_url=self.page_url(row.id))

    async def order_status(self, provider_order_id: str) -> OrderStatus:
        async with self.db.session() as session, session.begin():
            row = await session.scalar(
                update(SandboxOrder)
                .where(SandboxOrder.id == _order_id(provider_order_id))
                .values(lookups=SandboxOrder.lookups + 1)
                .returning(SandboxOrder)
            )
            if row is None:
                raise ProviderError("UNKNOWN_ORDER", "no such order")
            return status_of(row)

    async def refund(
        self, provider_order_id: str, amount: Money, *, reference: str | None = None
    ) -> RefundResult:
        result = await self._refund(provider_order_id, amount, reference)
        if self.refund_answer == "lose":
            raise ProviderUnavailable("sandbox: the refund was made, its answer lost")
        if self.refund_answer == "hang":
            await asyncio.Event().wait()
        return result

    async def _refund(
        self, provider_order_id: str, amount: Money, reference: str | None
    ) -> RefundResult:
        async with self.db.session() as session, session.begin():
            row = await self._locked(session, provider_order_id)
            if reference is not None:
                done = await session.scalar(
                    select(SandboxOperation.reference).where(
                        SandboxOperation.order_id == row.id,
                        SandboxOperation.reference == f"SBX-R-{reference}",
                    )
                )
                if done is not None:  # the same refund asked again: answered, not repeated
                    return RefundResult(done)
            if row.currency != amount.currency.value:
                raise ProviderError("CURRENCY_MISMATCH", "refund currency differs from the order")
            if row.captured - row.refunded < amount.amount:
                raise ProviderError("EXCEEDS_CAPTURED", "refund exceeds the captured amount")
            row.refunded += amount.amount
            row.state = SandboxState.REFUNDED.value
            made = f"SBX-R-{reference or uuid.uuid4().hex[:12]}"
            session.add(
                SandboxOperation(
                    order_id=row.id,
                    operation="REFUND",
                    reference=made,
                    currency=row.currency,
                    amount=amount.amount,
                )
            )
            return RefundResult(made)

    async def reverse(self, provider_order_id: str) -> None:
        async with self.db.session() as session, session.begin():
            row = await self._locked(session, provider_order_id)
            if row.state not in (SandboxState.CREATED, SandboxState.CHALLENGE):
                raise ProviderError("NOT_REVERSIBLE", f"order is {row.state}")
            row.state = SandboxState.REVERSED.value

    def verify_callback(
        self, *, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> CallbackEvent:
        signing.verify(self.secrets, headers, body)
        try:
            payload = json.loads(body)
            return CallbackEvent(
                event_id=str(payload["event_id"]),
                provider_order_id=str(payload["order_id"]),
                state=OrderState(payload["state"]),
            )
        except (ValueError, KeyError, TypeError):
            raise InvalidCallback("callback body is not a sandbox event") from None

    async def _locked(self, session, provider_order_id: str) -> SandboxOrder:  # type: ignore[no-untyped-def]
        row = await session.scalar(
            select(SandboxOrder)
            .where(SandboxOrder.id == _order_id(provider_order_id))
            .with_for_update()
        )
        if row is None:
            raise ProviderError("UNKNOWN_ORDER", "no such order")
        return row


def status_of(row: SandboxOrder) -> OrderStatus:
    paid = row.captured > 0
    state = SandboxState(row.state)
    return OrderStatus(
        provider_order_id=str(row.id),
        state=_REPORTED[state],
        amount=Money(row.captured if paid else row.amount, Currency(row.currency)),
        provider_reference=payment_reference(row.id),
        refunded=Money(row.refunded, Currency(row.currency)) if row.refunded > Decimal(0) else None,
        detail=state.value,
        captured_at=row.captured_at,
    )


def payment_reference(order_id: uuid.UUID) -> str:
    """The sandbox's id of the money movement of an order (what a bank's approval id is)."""
    return f"SBX-{order_id.hex[:16]}"


def _order_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ProviderError("UNKNOWN_ORDER", "no such order") from None
