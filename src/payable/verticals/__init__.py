"""The booking verticals. Each is one package plugging its details and rules into the core."""

from __future__ import annotations

from payable.bookings.enums import BookingKind
from payable.verticals.base import Vertical
from payable.verticals.clinic import VERTICAL as CLINIC
from payable.verticals.course import VERTICAL as COURSE
from payable.verticals.tour import VERTICAL as TOUR

VERTICALS: dict[BookingKind, Vertical] = {v.kind: v for v in (CLINIC, COURSE, TOUR)}
