from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Integer, String
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel

KIND = "TOUR_BOOKING"  # the public BookingKind value of this vertical


class TourBooking(SQLModel, table=True):
    __tablename__ = "tour_bookings"
    __table_args__ = (CheckConstraint("participant_count >= 1", name="participants_positive"),)

    booking_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("bookings.id"), primary_key=True)
    )
    tour_date: date = Field(sa_column=Column(Date, nullable=False, index=True))
    package_id: str = Field(sa_column=Column(String(128), nullable=False, index=True))
    participant_count: int = Field(sa_column=Column(Integer, nullable=False))
    manager_reference: str | None = Field(default=None, sa_column=Column(String(128)))
    source_channel: str | None = Field(default=None, sa_column=Column(String(64)))
