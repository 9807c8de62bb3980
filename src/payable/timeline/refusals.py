"""Refusals of what people write on a booking's timeline."""

from __future__ import annotations

import enum

from payable.core.errors import Refusal


@enum.unique
class TimelineRefusal(Refusal):
    INVALID_NOTE = "a note must not be empty"
