from __future__ import annotations

import enum
import uuid
from datetime import date

from sqlalchemy import Boolean, CheckConstraint, Column, Date, ForeignKey, String, text
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel

from payable.db.columns import text_in

KIND = "COURSE_ENROLLMENT"  # the public BookingKind value of this vertical


class AccessStatus(enum.StrEnum):
    NONE = "NONE"
    GRANTED = "GRANTED"
    SUSPENDED = "SUSPENDED"
    REVOKED = "REVOKED"


# What a manager may force access to; it holds until lifted (override to NONE).
OVERRIDES = (AccessStatus.GRANTED.value, AccessStatus.REVOKED.value)


class CourseEnrollment(SQLModel, table=True):
    __tablename__ = "course_enrollments"
    __table_args__ = (
        CheckConstraint("period_end >= period_start", name="period_order"),
        CheckConstraint(text_in("access_status", list(AccessStatus)), name="access_status"),
        CheckConstraint(
            "access_override IS NULL OR " + text_in("access_override", list(OVERRIDES)),
            name="access_override",
        ),
    )

    booking_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("bookings.id"), primary_key=True)
    )
    student_id: str = Field(sa_column=Column(String(128), nullable=False))
    course_id: str = Field(sa_column=Column(String(128), nullable=False))
    group_id: str = Field(sa_column=Column(String(128), nullable=False))
    period_start: date = Field(sa_column=Column(Date, nullable=False))
    period_end: date = Field(sa_column=Column(Date, nullable=False))
    # Derived (see ``access``): what money, dates and the two layers below give. Stored so it
    # can be read and filtered; it changes only through ``access.sync``, with an event.
    access_status: str = Field(
        default=AccessStatus.NONE.value, sa_column=Column(String(16), nullable=False)
    )
    # The layers people set on top of the money: a pause, and a manager's override.
    paused: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )
    access_override: str | None = Field(default=None, sa_column=Column(String(16)))
