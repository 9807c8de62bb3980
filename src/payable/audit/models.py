from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from payable.db.columns import created_at_field, id_field, tenant_field


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: uuid.UUID = id_field()
    tenant_id: uuid.UUID = tenant_field()
    actor: str = Field(sa_column=Column(String(128), nullable=False))
    role: str = Field(sa_column=Column(String(32), nullable=False))
    operation: str = Field(sa_column=Column(String(64), nullable=False))  # e.g. approveRefund
    outcome: str = Field(sa_column=Column(String(32), nullable=False))  # e.g. FORBIDDEN
    at: datetime = created_at_field()
