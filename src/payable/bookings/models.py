from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Integer,
    String,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from payable.bookings.enums import BookingStatus, PaymentStatus
from payable.core.money import Currency
from payable.db.columns import (
    created_at_field,
    currency_field,
    id_field,
    money_field,
    tenant_field,
    text_in,
    updated_at_field,
)


class Booking(SQLModel, table=True):
    """Columns every vertical shares; each vertical adds a detail table keyed by ``id``."""

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("tenant_id", "reference"),
        UniqueConstraint("tenant_id", "id"),
        # Children reference (id, currency), so nothing attached to a booking can mix currencies.
        UniqueConstraint("id", "currency"),
        ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "policy_version_id"],
            ["cancellation_policy_versions.tenant_id", "cancellation_policy_versions.id"],
        ),
        # Kinds are the registered verticals' (``bookings.kinds``), not a list fixed here.
        ForeignKeyConstraint(["kind"], ["booking_kinds.kind"]),
        CheckConstraint(text_in("status", list(BookingStatus)), name="status"),
        CheckConstraint(text_in("payment_status", list(PaymentStatus)), name="payment_status"),
        CheckConstraint(text_in("currency", list(Currency)), name="currency"),
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("amount_paid >= 0", name="amount_paid_not_negative"),
        CheckConstraint("amount_refunded >= 0", name="amount_refunded_not_negative"),
        CheckConstraint("amount_refunded <= amount_paid", name="refunds_within_paid"),
    )

    id: uuid.UUID = id_field()
    tenant_id: uuid.UUID = tenant_field()
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    reference: str = Field(sa_column=Column(String(16), nullable=False))
    customer_id: uuid.UUID = Field(index=True)
    crm_reference: str | None = Field(default=None, sa_column=Column(String(128)))
    policy_version_id: uuid.UUID = Field(index=True)
    status: str = Field(sa_column=Column(String(32), nullable=False))
    payment_status: str = Field(sa_column=Column(String(32), nullable=False))
    currency: str = currency_field()
    price: Decimal = money_field()
    amount_paid: Decimal = money_field(zero_default=True)
    amount_refunded: Decimal = money_field(zero_default=True)
    # When the booking was cancelled or marked a no-show, and why: refund quotes need both.
    closed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    close_cause: str | None = Field(default=None, sa_column=Column(String(32)))
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class Installment(SQLModel, table=True):
    """One line of a booking's payment schedule (deposit, balance, month 2, ...)."""

    __tablename__ = "installments"
    __table_args__ = (
        UniqueConstraint("booking_id", "sequence"),
        UniqueConstraint("id", "booking_id"),
        ForeignKeyConstraint(["booking_id", "currency"], ["bookings.id", "bookings.currency"]),
        CheckConstraint("sequence > 0", name="sequence_positive"),
        # Zero and overpaid lines exist only after a price cut (see bookings.pricing).
        CheckConstraint("amount_due >= 0", name="amount_due_not_negative"),
        CheckConstraint("amount_paid >= 0", name="amount_paid_not_negative"),
        CheckConstraint("grace_days >= 0", name="grace_days_not_negative"),
    )

    id: uuid.UUID = id_field()
    booking_id: uuid.UUID = Field(index=True)
    currency: str = currency_field()
    sequence: int = Field(sa_column=Column(Integer, nullable=False))
    label: str = Field(sa_column=Column(String(64), nullable=False))
    amount_due: Decimal = money_field()
    amount_paid: Decimal = money_field(zero_default=True)
    due_date: date = Field(sa_column=Column(Date, nullable=False))
    grace_days: int = Field(default=0, sa_column=Column(Integer, nullable=False))
