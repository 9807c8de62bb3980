from __future__ import annotations

import enum


class BookingStatus(enum.StrEnum):
    """Lifecycle of the service itself; a refund never changes it."""

    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"
    NO_SHOW = "NO_SHOW"
    COMPLETED = "COMPLETED"


# A booking that can still change: not cancelled, no-show or completed.
LIVE = (BookingStatus.AWAITING_PAYMENT.value, BookingStatus.CONFIRMED.value)
# Whose unpaid installments are still owed: a delivered service is still to be paid for.
OWING = (*LIVE, BookingStatus.COMPLETED.value)


class PaymentStatus(enum.StrEnum):
    """Derived from verified money only."""

    UNPAID = "UNPAID"
    PENDING = "PENDING"
    DEPOSIT_PAID = "DEPOSIT_PAID"
    PAID = "PAID"
    MANUAL_REVIEW = "MANUAL_REVIEW"


class InstallmentStatus(enum.StrEnum):
    UPCOMING = "UPCOMING"
    DUE = "DUE"
    PAID = "PAID"
    OVERDUE = "OVERDUE"
