"""Refusals of the review queue (codes are part of the API)."""

from __future__ import annotations

import enum

from payable.core.errors import Refusal


@enum.unique
class ReviewRefusal(Refusal):
    RESOLUTION_REQUIRED = "say how the task was resolved"
    TASK_RESOLVED = "the task is already resolved"
