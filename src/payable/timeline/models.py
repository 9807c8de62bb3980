from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKeyConstraint,
    Identity,
    Index,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from payable.db.columns import created_at_field, id_field, tenant_field


class BookingEvent(SQLModel, table=True):
    """One change to a booking. The database refuses UPDATE and DELETE on this table."""

    __tablename__ = "booking_events"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "booking_id"], ["bookings.tenant_id", "bookings.id"]),
        Index("ix_booking_events_booking_sequence", "booking_id", "sequence"),
        Index("ix_booking_events_tenant_sequence", "tenant_id", "sequence"),
    )

    id: uuid.UUID = id_field()
    # Global and strictly increasing: the resume cursor for subscriptions.
    sequence: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, Identity(always=True), nullable=False, unique=True),
    )
    # The writing transaction's id. Sequences are taken before commit, so transactions can
    # commit out of sequence order; readers only go up to the oldest transaction still open.
    txid: int = Field(
        sa_column=Column(
            BigInteger, nullable=False, server_default=text("(pg_current_xact_id())::text::bigint")
        )
    )
    tenant_id: uuid.UUID = tenant_field()
    booking_id: uuid.UUID = Field()
    type: str = Field(sa_column=Column(String(64), nullable=False))
    actor: str = Field(sa_column=Column(String(128), nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(Text))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    occurred_at: datetime = created_at_field()
