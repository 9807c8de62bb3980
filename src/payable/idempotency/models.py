"""Stored idempotency keys: a repeated mutation answers as the first one did and changes nothing."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    LargeBinary,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlmodel import Field, SQLModel

from payable.db.columns import created_at_field, tenant_field


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "key"),)

    tenant_id: uuid.UUID = tenant_field()
    key: str = Field(sa_column=Column(String(255), nullable=False))
    operation: str = Field(sa_column=Column(String(64), nullable=False))
    # sha256 of the operation's canonical input: the same key with other input is refused.
    request_hash: str = Field(sa_column=Column(String(64), nullable=False))
    result_id: uuid.UUID | None = Field(default=None, sa_column=Column(UUID(as_uuid=True)))
    # The refusal the operation answered with ({code, field, message}); the key keeps it.
    refusal: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    # sha256 of the HTTP exchange (document, operation name, variables) whose answer is kept;
    # NULL when no answer will be kept, so a repeat does not wait for one.
    fingerprint: str | None = Field(default=None, sa_column=Column(String(64)))
    # The exact first answer (status and body bytes), stored just after the commit.
    response_status: int | None = Field(default=None, sa_column=Column(SmallInteger))
    response_body: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    created_at: datetime = created_at_field()
    # After this the key is forgotten: a request under it runs as new, the sweeper deletes it.
    expires_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
