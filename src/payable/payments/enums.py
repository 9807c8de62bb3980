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

    WEBHOOK = "WEBHOOK"  # a signed callback, confirmed by a lookup where the gateway has one
    STATUS_LOOKUP = "STATUS_LOOKUP"
    PROVIDER_REPORT = "PROVIDER_REPORT"  # a line of the gateway's own report (no lookup API)


class PaymentState(enum.StrEnum):
    VERIFIED = "VERIFIED"  # counted toward the booking
    HELD = "HELD"  # captured at the gateway, not counted: a person accepts or returns it
    RETURNED = "RETURNED"  # held money sent back to the payer


class HeldReason(enum.StrEnum):
    """Why captured money was not counted."""

    LATE_PAYMENT = "LATE_PAYMENT"  # captured after the link expired
    LINK_WITHDRAWN = "LINK_WITHDRAWN"  # the link was cancelled or withdrawn (e.g. re-priced)
    BOOKING_CLOSED = "BOOKING_CLOSED"  # the booking was cancelled or a no-show
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"  # less than owed, or not what the link asked
    OVERPAYMENT = "OVERPAYMENT"  # more than the installment still owed
    DUPLICATE_PAYMENT = "DUPLICATE_PAYMENT"  # a second payment for a settled link
    UNCLEAR = "UNCLEAR"  # held before reasons were recorded
