from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID, ExcludeConstraint
from sqlmodel import Field, SQLModel

from payable.db.columns import tenant_field

KIND = "CLINIC_APPOINTMENT"  # the public BookingKind value of this vertical


class ClinicSpecialist(SQLModel, table=True):
    """A numeric key per (tenant, specialist id) so the slot exclusion works without btree_gist."""

    __tablename__ = "clinic_specialists"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id"),
        UniqueConstraint("tenant_id", "key", "external_id"),
    )

    key: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(), primary_key=True)
    )
    tenant_id: uuid.UUID = tenant_field()
    external_id: str = Field(sa_column=Column(String(128), nullable=False))


class ClinicAppointment(SQLModel, table=True):
    __tablename__ = "clinic_appointments"
    __table_args__ = (
        # Both the booking and the specialist belong to the appointment's tenant.
        ForeignKeyConstraint(["tenant_id", "booking_id"], ["bookings.tenant_id", "bookings.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "specialist_key", "specialist_id"],
            [
                "clinic_specialists.tenant_id",
                "clinic_specialists.key",
                "clinic_specialists.external_id",
            ],
        ),
        CheckConstraint("slot_end > slot_start", name="slot_order"),
        # No two live appointments of one specialist overlap. Range equality on the numeric key
        # stands in for btree_gist's scalar equality, which embedded servers may not ship.
        ExcludeConstraint(
            (func.int8range(Column("specialist_key"), Column("specialist_key"), text("'[]'")), "="),
            (func.tstzrange(Column("slot_start"), Column("slot_end")), "&&"),
            name="ex_clinic_appointments_specialist_slot",
            using="gist",
            where=text("slot_held"),
        ),
    )

    booking_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("bookings.id"), primary_key=True)
    )
    tenant_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), nullable=False))
    service_id: str = Field(sa_column=Column(String(128), nullable=False))
    specialist_id: str = Field(sa_column=Column(String(128), nullable=False))
    specialist_key: int = Field(sa_column=Column(BigInteger, nullable=False))
    branch_id: str = Field(sa_column=Column(String(128), nullable=False))
    slot_start: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    slot_end: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # False once the appointment no longer holds its slot (cancelled), freeing it for others.
    slot_held: bool = Field(
        default=True, sa_column=Column(Boolean, nullable=False, server_default=text("true"))
    )
