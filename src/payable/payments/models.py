from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from payable.db.columns import (
    created_at_field,
    currency_field,
    id_field,
    money_field,
    tenant_field,
    text_in,
    updated_at_field,
)
from payable.payments.enums import PaymentRequestStatus, PaymentState, VerifiedBy


class PaymentRequest(SQLModel, table=True):
    """A payment link for one installment: amount, currency, provider order and expiry."""

    __tablename__ = "payment_requests"
    __table_args__ = (
        ForeignKeyConstraint(["booking_id", "currency"], ["bookings.id", "bookings.currency"]),
        ForeignKeyConstraint(["tenant_id", "booking_id"], ["bookings.tenant_id", "bookings.id"]),
        ForeignKeyConstraint(
            ["installment_id", "booking_id"], ["installments.id", "installments.booking_id"]
        ),
        UniqueConstraint("provider", "provider_order_id"),
        UniqueConstraint("id", "booking_id"),
        CheckConstraint(text_in("status", list(PaymentRequestStatus)), name="status"),
        CheckConstraint("amount > 0", name="amount_positive"),
        # At most one active link per installment.
        Index(
            "uq_payment_requests_active_installment",
            "installment_id",
            unique=True,
            postgresql_where=text("status = 'PENDING'"),
        ),
    )

    id: uuid.UUID = id_field()
    tenant_id: uuid.UUID = tenant_field()
    booking_id: uuid.UUID = Field(index=True)
    installment_id: uuid.UUID = Field(index=True)
    currency: str = currency_field()
    amount: Decimal = money_field()
    status: str = Field(sa_column=Column(String(32), nullable=False))
    provider: str = Field(sa_column=Column(String(32), nullable=False))
    provider_order_id: str | None = Field(default=None, sa_column=Column(String(128)))
    payment_url: str = Field(sa_column=Column(Text, nullable=False))
    return_url: str | None = Field(default=None, sa_column=Column(Text))
    # Wallets: the form our payment page posts to the wallet ({"action", "fields": [[name,
    # value], ...]}), kept exactly as built, since the wallet signs the strings it received.
    payment_form: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # The gateway's last error code (e.g. PROVIDER_UNAVAILABLE) while the link stays pending.
    last_error: str | None = Field(default=None, sa_column=Column(String(64)))
    # When the server last looked the order up at the gateway (poller bookkeeping).
    checked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    # Withdrawn here (e.g. re-priced) but not yet cancelled at the gateway: a worker does that.
    reverse_pending: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()

    def status_at(self, now: datetime) -> PaymentRequestStatus:
        """EXPIRED as soon as the expiry passes, before the sweeper has recorded it."""
        return request_status_at(self, now)


def request_status_at(request: Any, now: datetime) -> PaymentRequestStatus:
    """A payment request's status at ``now``, for an entity or a read-only row alike."""
    status = PaymentRequestStatus(request.status)
    if status is PaymentRequestStatus.PENDING and request.expires_at <= now:
        return PaymentRequestStatus.EXPIRED
    return status


class Payment(SQLModel, table=True):
    """Money the server verified itself (signed callback or status lookup), or holds for review."""

    __tablename__ = "payments"
    __table_args__ = (
        ForeignKeyConstraint(["booking_id", "currency"], ["bookings.id", "bookings.currency"]),
        ForeignKeyConstraint(["tenant_id", "booking_id"], ["bookings.tenant_id", "bookings.id"]),
        ForeignKeyConstraint(
            ["payment_request_id", "booking_id"],
            ["payment_requests.id", "payment_requests.booking_id"],
        ),
        UniqueConstraint("provider", "provider_reference"),
        UniqueConstraint("id", "booking_id"),
        CheckConstraint(text_in("verified_by", list(VerifiedBy)), name="verified_by"),
        CheckConstraint(text_in("state", list(PaymentState)), name="state"),
        CheckConstraint("state <> 'HELD' OR held_reason IS NOT NULL", name="held_has_reason"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: uuid.UUID = id_field()
    tenant_id: uuid.UUID = tenant_field()
    booking_id: uuid.UUID = Field(index=True)
    payment_request_id: uuid.UUID = Field(index=True)
    currency: str = currency_field()
    amount: Decimal = money_field()
    state: str = Field(sa_column=Column(String(32), nullable=False))
    held_reason: str | None = Field(default=None, sa_column=Column(String(32)))
    provider: str = Field(sa_column=Column(String(32), nullable=False))
    provider_reference: str = Field(sa_column=Column(String(128), nullable=False))
    verified_by: str = Field(sa_column=Column(String(32), nullable=False))
    verified_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # When the gateway captured it, where the gateway says (whether the link was live then).
    captured_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime = created_at_field()
