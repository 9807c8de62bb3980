from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
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
from payable.refunds.enums import RefundStatus


class Refund(SQLModel, table=True):
    __tablename__ = "refunds"
    __table_args__ = (
        ForeignKeyConstraint(["booking_id", "currency"], ["bookings.id", "bookings.currency"]),
        ForeignKeyConstraint(["tenant_id", "booking_id"], ["bookings.tenant_id", "bookings.id"]),
        ForeignKeyConstraint(["payment_id", "booking_id"], ["payments.id", "payments.booking_id"]),
        CheckConstraint(text_in("status", list(RefundStatus)), name="status"),
        CheckConstraint("amount > 0", name="amount_positive"),
        # One refund per payment handed to the gateway and unsettled at a time, so what the
        # gateway says it refunded on the order settles an interrupted one without doubt.
        Index(
            "uq_refunds_in_flight_payment",
            "payment_id",
            unique=True,
            postgresql_where=text(
                "status IN ('APPROVED', 'PROCESSING') AND attempted_at IS NOT NULL"
            ),
        ),
    )

    id: uuid.UUID = id_field()
    tenant_id: uuid.UUID = tenant_field()
    booking_id: uuid.UUID = Field(index=True)
    payment_id: uuid.UUID = Field(index=True)
    # The refunds one request created (one per payment when it spans several).
    group_id: uuid.UUID = Field(
        default_factory=uuid.uuid4,
        sa_column=Column(
            UUID(as_uuid=True),
            nullable=False,
            index=True,
            server_default=text("gen_random_uuid()"),
        ),
    )
    currency: str = currency_field()
    amount: Decimal = money_field()
    status: str = Field(sa_column=Column(String(32), nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    requested_by: str = Field(sa_column=Column(String(128), nullable=False))
    approved_by: str | None = Field(default=None, sa_column=Column(String(128)))
    provider_refund_reference: str | None = Field(default=None, sa_column=Column(String(128)))
    decided_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    # Committed just before the gateway is called: from then on only asking the gateway settles it.
    attempted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    failure: str | None = Field(default=None, sa_column=Column(String(64)))  # the gateway's code
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
