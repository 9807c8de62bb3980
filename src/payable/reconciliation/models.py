from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, Column, Date, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlmodel import Field, SQLModel

from payable.db.columns import (
    created_at_field,
    currency_field,
    id_field,
    money_field,
    tenant_field,
    text_in,
)


class Operation(enum.StrEnum):
    PAYMENT = "PAYMENT"
    REFUND = "REFUND"
    REVERSAL = "REVERSAL"


class ExceptionKind(enum.StrEnum):
    MISSING_HERE = "MISSING_HERE"  # at the gateway, not here: money arrived, booking not updated
    MISSING_AT_PROVIDER = "MISSING_AT_PROVIDER"  # verified here, absent from the report
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"  # amount or currency differs
    STATUS_MISMATCH = "STATUS_MISMATCH"  # e.g. refunded or reversed there, not here
    CLOSED_BOOKING = "CLOSED_BOOKING"  # money on a cancelled booking or an expired link


class ProviderReport(SQLModel, table=True):
    """One imported report file; the same file twice is one report."""

    __tablename__ = "provider_reports"
    __table_args__ = (UniqueConstraint("tenant_id", "provider", "sha256"),)

    id: uuid.UUID = id_field()
    tenant_id: uuid.UUID = tenant_field()
    provider: str = Field(sa_column=Column(String(32), nullable=False))
    report_date: date = Field(sa_column=Column(Date, nullable=False))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    lines: int = Field(sa_column=Column(Integer, nullable=False))
    imported_by: str = Field(sa_column=Column(String(128), nullable=False))
    imported_at: datetime = created_at_field()


class ReportLine(SQLModel, table=True):
    """One operation the gateway reports. Keyed by its reference: re-imports change nothing."""

    __tablename__ = "provider_report_lines"
    __table_args__ = (
        UniqueConstraint("tenant_id", "provider", "operation", "reference"),
        CheckConstraint(text_in("operation", list(Operation)), name="operation"),
    )

    id: uuid.UUID = id_field()
    tenant_id: uuid.UUID = tenant_field()
    report_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), nullable=False, index=True))
    provider: str = Field(sa_column=Column(String(32), nullable=False))
    report_date: date = Field(sa_column=Column(Date, nullable=False, index=True))
    operation: str = Field(sa_column=Column(String(16), nullable=False))
    provider_order_id: str = Field(sa_column=Column(String(128), nullable=False))
    reference: str = Field(sa_column=Column(String(128), nullable=False))
    currency: str = currency_field()
    amount: Decimal = money_field()
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ReconciliationException(SQLModel, table=True):
    """A difference between the report and our books; each raises one review task."""

    __tablename__ = "reconciliation_exceptions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "provider", "kind", "reference"),
        CheckConstraint(text_in("kind", list(ExceptionKind)), name="kind"),
    )

    id: uuid.UUID = id_field()
    tenant_id: uuid.UUID = tenant_field()
    provider: str = Field(sa_column=Column(String(32), nullable=False))
    report_date: date = Field(sa_column=Column(Date, nullable=False, index=True))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    reference: str = Field(sa_column=Column(String(128), nullable=False))
    booking_id: uuid.UUID | None = Field(default=None, sa_column=Column(UUID(as_uuid=True)))
    task_id: uuid.UUID | None = Field(default=None, sa_column=Column(UUID(as_uuid=True)))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    created_at: datetime = created_at_field()
