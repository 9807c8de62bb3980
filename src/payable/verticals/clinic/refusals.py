"""Refusals of clinic appointments (codes are part of the API)."""

from __future__ import annotations

import enum

from payable.core.errors import Refusal


@enum.unique
class ClinicRefusal(Refusal):
    INVALID_SLOT = "slot times need a UTC offset, and slotEnd must be after slotStart"
    SLOT_TAKEN = "the specialist already has an appointment in this time"
