"""The reminders raised: one row per installment and period, so none is raised twice."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel

from payable.db.columns import created_at_field, id_field, tenant_field


class Reminder(SQLModel, table=True):
    """One reminder per installment and period (due soon, overdue): workers never repeat it."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("installment_id", "period"),)

    id: uuid.UUID = id_field()
    tenant_id: uuid.UUID = tenant_field()
    installment_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("installments.id"), nullable=False)
    )
    period: str = Field(sa_column=Column(String(16), nullable=False))  # DUE_SOON or OVERDUE
    task_id: uuid.UUID | None = Field(default=None, sa_column=Column(UUID(as_uuid=True)))
    created_at: datetime = created_at_field()
