"""Refusals of tour bookings (codes are part of the API)."""

from __future__ import annotations

import enum

from payable.core.errors import Refusal


@enum.unique
class TourRefusal(Refusal):
    INVALID_PARTICIPANT_COUNT = "participantCount must be at least 1"
    INVALID_SCHEDULE = "give a depositAmount (and balanceDueDate) or installments, not both"
    NO_LIVE_BOOKINGS = "no live bookings for that package and date"
