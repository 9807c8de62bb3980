"""A seat in a workshop session: the test-only fourth vertical's detail table.

It lives in its own metadata, so the app's (and the migrations') schema never lists it: the
fixture creates it for the test and drops it afterwards.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Column, Date, ForeignKey, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from payable.bookings.models import Booking

KIND = "WORKSHOP_SEAT"


class WorkshopBase(SQLModel, registry=registry()):
    pass


class WorkshopSeat(WorkshopBase, table=True):
    __tablename__ = "test_workshop_seats"

    booking_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey(Booking.__table__.c.id), primary_key=True)
    )
    session_id: str = Field(sa_column=Column(String(64), nullable=False))
    session_date: date = Field(sa_column=Column(Date, nullable=False))
    seat: str = Field(sa_column=Column(String(8), nullable=False))
