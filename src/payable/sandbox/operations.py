from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, ForeignKey, String
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel

from payable.db.columns import created_at_field, currency_field, id_field, money_field


class SandboxOperation(SQLModel, table=True):
    """The sandbox gateway's ledger of money movements: what its daily report lists."""

    __tablename__ = "sandbox_operations"

    id: uuid.UUID = id_field()
    order_id: uuid.UUID = Field(
        sa_column=Column(
            UUID(as_uuid=True),
            ForeignKey("sandbox_orders.id", onupdate="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    operation: str = Field(sa_column=Column(String(16), nullable=False))  # PAYMENT REFUND REVERSAL
    reference: str = Field(sa_column=Column(String(128), nullable=False, unique=True))
    currency: str = currency_field()
    amount: Decimal = money_field()
    at: datetime = created_at_field()
