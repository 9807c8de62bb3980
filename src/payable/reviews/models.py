from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

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
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlmodel import Field, SQLModel

from payable.db.columns import created_at_field, id_field, tenant_field, text_in


class TaskKind(enum.StrEnum):
    LATE_PAYMENT = "LATE_PAYMENT"  # money for an expired or cancelled request
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"  # amount or currency differs from the request
    UNCLEAR_PAYMENT = "UNCLEAR_PAYMENT"  # the gateway says something we cannot map
    REFUND_FAILED = "REFUND_FAILED"  # the gateway refused an approved refund
    REFUND_UNCONFIRMED = "REFUND_UNCONFIRMED"  # the gateway did not answer: did it happen?
    OVERRIDE_REQUEST = "OVERRIDE_REQUEST"  # someone asks a manager to make an exception
    RECONCILIATION = "RECONCILIATION"  # the gateway's report and our books differ
    REMINDER = "REMINDER"  # an installment is due soon or overdue
    WEBHOOK_DISABLED = "WEBHOOK_DISABLED"  # a receiver answered 410 Gone: its endpoint stopped


class TaskStatus(enum.StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


class ReviewTask(SQLModel, table=True):
    __tablename__ = "review_tasks"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "booking_id"], ["bookings.tenant_id", "bookings.id"]),
        CheckConstraint(text_in("kind", list(TaskKind)), name="kind"),
        CheckConstraint(text_in("status", list(TaskStatus)), name="status"),
        Index(
            "ix_review_tasks_open",
            "tenant_id",
            "booking_id",
            postgresql_where=text("status = 'OPEN'"),
        ),
    )

    id: uuid.UUID = id_field()
    tenant_id: uuid.UUID = tenant_field()
    # None for money no booking of ours explains (e.g. a stranger's payment in a report).
    booking_id: uuid.UUID | None = Field(default=None, sa_column=Column(UUID(as_uuid=True)))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    payment_request_id: uuid.UUID | None = Field(default=None, sa_column=Column(UUID(as_uuid=True)))
    payment_id: uuid.UUID | None = Field(default=None, sa_column=Column(UUID(as_uuid=True)))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    created_at: datetime = created_at_field()
    resolved_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    resolved_by: str | None = Field(default=None, sa_column=Column(String(128)))
    resolution: str | None = Field(default=None, sa_column=Column(Text))
