from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from payable.db.columns import created_at_field, id_field, tenant_field


class CancellationPolicy(SQLModel, table=True):
    """A named policy of one booking kind; its terms live in numbered versions."""

    __tablename__ = "cancellation_policies"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        UniqueConstraint("tenant_id", "id"),
        ForeignKeyConstraint(["kind"], ["booking_kinds.kind"]),
        # One default policy per tenant and booking kind.
        Index(
            "uq_cancellation_policies_default",
            "tenant_id",
            "kind",
            unique=True,
            postgresql_where=text("is_default"),
        ),
    )

    id: uuid.UUID = id_field()
    tenant_id: uuid.UUID = tenant_field()
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    code: str = Field(sa_column=Column(String(64), nullable=False))
    is_default: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    created_at: datetime = created_at_field()


class PolicyVersion(SQLModel, table=True):
    """Immutable terms of one version of a policy; published, never edited."""

    __tablename__ = "cancellation_policy_versions"
    __table_args__ = (
        UniqueConstraint("policy_id", "version"),
        UniqueConstraint("tenant_id", "id"),
        ForeignKeyConstraint(
            ["tenant_id", "policy_id"],
            ["cancellation_policies.tenant_id", "cancellation_policies.id"],
        ),
        CheckConstraint("version > 0", name="version_positive"),
        CheckConstraint("free_cancellation_hours >= 0", name="hours_not_negative"),
        CheckConstraint(
            "late_cancellation_refund_percent BETWEEN 0 AND 100", name="late_percent_range"
        ),
        CheckConstraint("no_show_refund_percent BETWEEN 0 AND 100", name="no_show_percent_range"),
    )

    id: uuid.UUID = id_field()
    tenant_id: uuid.UUID = tenant_field()
    policy_id: uuid.UUID = Field(index=True)
    version: int = Field(sa_column=Column(Integer, nullable=False))
    free_cancellation_hours: int = Field(sa_column=Column(Integer, nullable=False))
    late_cancellation_refund_percent: int = Field(sa_column=Column(Integer, nullable=False))
    no_show_refund_percent: int = Field(sa_column=Column(Integer, nullable=False))
    published_by: str = Field(sa_column=Column(String(128), nullable=False))
    published_at: datetime = created_at_field()
