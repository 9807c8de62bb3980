"""Refusals of reports' periods."""

from __future__ import annotations

import enum

from payable.core.errors import Refusal


@enum.unique
class ReportRefusal(Refusal):
    INVALID_MONTH = "month is YYYY-MM"
