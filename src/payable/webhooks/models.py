"""Webhook endpoints (one cursor each on the tenant's timeline) and their deliveries."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlmodel import Field, SQLModel

from payable.db.columns import created_at_field, id_field, tenant_field, text_in


class DeliveryStatus(enum.StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (UniqueConstraint("tenant_id", "id"),)

    id: uuid.UUID = id_field()
    tenant_id: uuid.UUID = tenant_field()
    url: str = Field(sa_column=Column(Text, nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text))
    # BookingEvent.type values to deliver; empty: every type an integrator may see.
    event_types: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String(64)), nullable=False, server_default=text("'{}'")),
    )
    # Signs every request; shown to the admin once, at creation.
    secret: str = Field(sa_column=Column(Text, nullable=False))
    active: bool = Field(
        default=True, sa_column=Column(Boolean, nullable=False, server_default=text("true"))
    )
    # The last timeline sequence turned into deliveries: the planner resumes after it, so an
    # event committed while no server ran is still delivered.
    cursor: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default=text("0"))
    )
    disabled_reason: str | None = Field(default=None, sa_column=Column(Text))
    deleted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime = created_at_field()


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint, and how its attempts went."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "endpoint_id"], ["webhook_endpoints.tenant_id", "webhook_endpoints.id"]
        ),
        UniqueConstraint("endpoint_id", "event_id"),  # at most one delivery per event and endpoint
        CheckConstraint(text_in("status", list(DeliveryStatus)), name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        # The worker's claim: due pending deliveries, and the earlier ones of the same booking.
        Index(
            "ix_webhook_deliveries_pending",
            "endpoint_id",
            "booking_id",
            "sequence",
            postgresql_where=text("status = 'PENDING'"),
        ),
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'PENDING'"),
        ),
        Index("ix_webhook_deliveries_tenant_created", "tenant_id", "created_at"),
    )

    id: uuid.UUID = id_field()
    tenant_id: uuid.UUID = tenant_field()
    endpoint_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), nullable=False))
    # No foreign key: booking_events is append-only, and its TRUNCATE guard (a trigger) must
    # stay the first thing that refuses.
    event_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), nullable=False))
    booking_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), nullable=False))
    sequence: int = Field(sa_column=Column(BigInteger, nullable=False))  # the event's
    status: str = Field(sa_column=Column(String(16), nullable=False))
    attempts: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default=text("0"))
    )
    last_response_status: int | None = Field(default=None, sa_column=Column(Integer))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    next_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    # While an attempt is in flight: no other worker claims the delivery before this.
    locked_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    # Retries go on for the retry window from here (creation, or an admin's retry).
    retry_from: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    )
    delivered_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime = created_at_field()
