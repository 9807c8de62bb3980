from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from payable.db.columns import created_at_field, id_field, tenant_field


class Customer(SQLModel, table=True):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_ref"),
        UniqueConstraint("tenant_id", "id"),  # target of tenant-consistent foreign keys
    )

    id: uuid.UUID = id_field()
    tenant_id: uuid.UUID = tenant_field()
    external_ref: str = Field(sa_column=Column(String(128), nullable=False))
    created_at: datetime = created_at_field()
