"""The callback inbox: every callback that arrives is kept, keyed by the gateway's event id."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlmodel import Field, SQLModel

from payable.db.columns import created_at_field, id_field, text_in


class CallbackStatus(enum.StrEnum):
    RECEIVED = "RECEIVED"
    PROCESSED = "PROCESSED"
    REJECTED = "REJECTED"  # did not verify: kept as a record that it arrived
    FAILED = "FAILED"  # verified but processing failed; the gateway's retry runs it again


class ProviderCallback(SQLModel, table=True):
    __tablename__ = "provider_callbacks"
    __table_args__ = (
        CheckConstraint(text_in("status", list(CallbackStatus)), name="status"),
        # Duplicates of one notification share a row and are processed once.
        Index(
            "uq_provider_callbacks_event",
            "provider",
            "event_id",
            unique=True,
            postgresql_where=text("event_id IS NOT NULL"),
        ),
    )

    id: uuid.UUID = id_field()
    provider: str = Field(sa_column=Column(String(32), nullable=False))
    event_id: str | None = Field(default=None, sa_column=Column(String(200)))
    provider_order_id: str | None = Field(default=None, sa_column=Column(String(128)))
    signature_valid: bool = Field(sa_column=Column(Boolean, nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    deliveries: int = Field(
        default=1, sa_column=Column(Integer, nullable=False, server_default="1")
    )
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(Text))
    received_at: datetime = created_at_field()
    processed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
