from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from payable.db.columns import created_at_field, id_field


class Tenant(SQLModel, table=True):
    __tablename__ = "tenants"

    id: uuid.UUID = id_field()
    slug: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = created_at_field()
