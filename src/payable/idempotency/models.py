from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, PrimaryKeyConstraint, String
from sqlalchemy.dialects.postgresql import UUID
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
    created_at: datetime = created_at_field()
