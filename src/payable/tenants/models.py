from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Column, String, text
from sqlmodel import Field, SQLModel

from payable.db.columns import created_at_field, id_field


class Tenant(SQLModel, table=True):
    __tablename__ = "tenants"

    id: uuid.UUID = id_field()
    slug: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    # The person who asks for a refund cannot approve it (unless the tenant turns this off).
    refund_four_eyes: bool = Field(
        default=True, sa_column=Column(Boolean, nullable=False, server_default=text("true"))
    )
    created_at: datetime = created_at_field()
