from __future__ import annotations

import enum


class RefundStatus(enum.StrEnum):
    REQUESTED = "REQUESTED"
    APPROVED = "APPROVED"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    REJECTED = "REJECTED"


# At the gateway or about to be: a payment's money is being sent back.
IN_FLIGHT = (RefundStatus.APPROVED.value, RefundStatus.PROCESSING.value)
