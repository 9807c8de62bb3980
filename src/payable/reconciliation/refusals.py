"""Refusals of gateway reports and reconciliation (codes are part of the API)."""

from __future__ import annotations

import enum

from payable.core.errors import Refusal


@enum.unique
class ReconciliationRefusal(Refusal):
    INVALID_FILE = "send the report as a multipart file upload"
    UNKNOWN_PROVIDER = "no report format for that gateway"
    MALFORMED_REPORT = "the file is not a report of the named format"
    NO_REPORT = "no report of that gateway and day was imported"
