"""What a vertical plugs into the core: its kind, its detail table and its reference prefix."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import SQLModel

from payable.bookings.enums import BookingKind


@dataclass(frozen=True, slots=True)
class Vertical:
    kind: BookingKind
    detail_model: type[SQLModel]  # one row per booking, primary key ``booking_id``
    reference_prefix: str
