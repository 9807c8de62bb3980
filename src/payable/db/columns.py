"""Column helpers shared by every table, so money and time are stored one way everywhere."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, DateTime, ForeignKey, Numeric, String, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel

# Stable constraint names, so migrations can refer to them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MONEY = Numeric(14, 2)


def id_field() -> Any:
    return Field(default_factory=uuid.uuid4, sa_column=Column(UUID(as_uuid=True), primary_key=True))


def ref_field(target: str, *, nullable: bool = False, index: bool = True) -> Any:
    """A uuid foreign key to ``target`` (``table.column``)."""
    return Field(
        default=None if nullable else ...,
        sa_column=Column(UUID(as_uuid=True), ForeignKey(target), nullable=nullable, index=index),
    )


def tenant_field() -> Any:
    return ref_field("tenants.id")


def money_field(*, zero_default: bool = False) -> Any:
    """An amount; ``zero_default`` for running totals such as amount_paid."""
    if zero_default:
        return Field(
            default=Decimal("0.00"),
            sa_column=Column(MONEY, nullable=False, server_default=text("0")),
        )
    return Field(sa_column=Column(MONEY, nullable=False))


def currency_field() -> Any:
    return Field(sa_column=Column(String(3), nullable=False))


def created_at_field() -> Any:
    return Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def updated_at_field() -> Any:
    return Field(
        default=None,
        sa_column=Column(
            DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
        ),
    )


def text_in(column: str, values: list[str] | tuple[str, ...]) -> str:
    """SQL for a CHECK that ``column`` holds one of ``values`` (enums are text plus a check)."""
    listed = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({listed})"
