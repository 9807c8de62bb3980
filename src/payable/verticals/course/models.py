from __future__ import annotations

import enum
import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, String
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel

from payable.db.columns import text_in


class AccessStatus(enum.StrEnum):
    NONE = "NONE"
    GRANTED = "GRANTED"
    SUSPENDED = "SUSPENDED"
    REVOKED = "REVOKED"


class CourseEnrollment(SQLModel, table=True):
    __tablename__ = "course_enrollments"
    __table_args__ = (
        CheckConstraint("period_end >= period_start", name="period_order"),
        CheckConstraint(text_in("access_status", list(AccessStatus)), name="access_status"),
    )

    booking_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("bookings.id"), primary_key=True)
    )
    student_id: str = Field(sa_column=Column(String(128), nullable=False))
    course_id: str = Field(sa_column=Column(String(128), nullable=False))
    group_id: str = Field(sa_column=Column(String(128), nullable=False))
    period_start: date = Field(sa_column=Column(Date, nullable=False))
    period_end: date = Field(sa_column=Column(Date, nullable=False))
    # Access opens only after verified payment.
    access_status: str = Field(
        default=AccessStatus.NONE.value, sa_column=Column(String(16), nullable=False)
    )
