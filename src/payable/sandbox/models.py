from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, DateTime, Integer, String, Text
from sqlmodel import Field, SQLModel

from payable.db.columns import (
    created_at_field,
    currency_field,
    id_field,
    money_field,
    updated_at_field,
)


class SandboxOrder(SQLModel, table=True):
    """The sandbox gateway's own record of an order (what a real gateway keeps on its side)."""

    __tablename__ = "sandbox_orders"

    id: uuid.UUID = id_field()
    order_number: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    currency: str = currency_field()
    amount: Decimal = money_field()
    captured: Decimal = money_field(zero_default=True)
    refunded: Decimal = money_field(zero_default=True)
    state: str = Field(sa_column=Column(String(16), nullable=False))
    captured_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    description: str = Field(sa_column=Column(Text, nullable=False))
    return_url: str = Field(sa_column=Column(Text, nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # How many status lookups the gateway answered: lets tests see work done once, not twice.
    lookups: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
