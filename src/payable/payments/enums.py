from __future__ import annotations

import enum


class PaymentRequestStatus(enum.StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"
    MANUAL_REVIEW = "MANUAL_REVIEW"


class VerifiedBy(enum.StrEnum):
    """How the server itself confirmed the money; a browser return never counts."""

    WEBHOOK = "WEBHOOK"
    STATUS_LOOKUP = "STATUS_LOOKUP"


class PaymentState(enum.StrEnum):
    VERIFIED = "VERIFIED"
    MANUAL_REVIEW = "MANUAL_REVIEW"
