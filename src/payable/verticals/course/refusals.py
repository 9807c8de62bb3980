"""Refusals of course enrollments (codes are part of the API)."""

from __future__ import annotations

import enum

from payable.core.errors import Refusal


@enum.unique
class CourseRefusal(Refusal):
    ALREADY_PAUSED = "the enrollment is paused"
    NOT_PAUSED = "the enrollment is not paused"
    INVALID_ACCESS = "override to GRANTED or REVOKED, or NONE to lift it"
