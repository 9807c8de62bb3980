from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKeyConstraint, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from payable.db.columns import created_at_field, id_field, tenant_field


class BookingEvent(SQLModel, table=True):
    """One change to a booking. The database refuses UPDATE (but the sequence at commit),
    DELETE and TRUNCATE on this table."""

    __tablename__ = "booking_events"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "booking_id"], ["bookings.tenant_id", "bookings.id"]),
        Index("ix_booking_events_booking_sequence", "booking_id", "sequence"),
        Index("ix_booking_events_tenant_sequence", "tenant_id", "sequence"),
    )

    id: uuid.UUID = id_field()
    # Global, strictly increasing, and drawn at commit (by a trigger), so that within a tenant
    # it follows commit order: the resume cursor for subscriptions. NULL until commit.
    sequence: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True, unique=True)
    )
    tenant_id: uuid.UUID = tenant_field()
    booking_id: uuid.UUID = Field()
    type: str = Field(sa_column=Column(String(64), nullable=False))
    actor: str = Field(sa_column=Column(String(128), nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(Text))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    occurred_at: datetime = created_at_field()
