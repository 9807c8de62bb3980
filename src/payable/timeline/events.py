"""The catalogue of booking event types: every event on a timeline is one of these.

Data shapes: a change carries ``{"old": {...}, "new": {...}}`` with camelCase keys and
datetimes as UTC ISO 8601; money is ``{"amount": "0.00", "currency": "AMD"}``; events about
a payment link, payment or refund name it (``paymentRequestId``, ``paymentId``, ``refundId``).
Changes are written by ``bookings.changes.record`` (snapshot, change, record), so ``old`` is
always the value before and ``new`` the value after; see each member for its keys.

What a person wrote goes under one of ``FREE_TEXT_KEYS`` (or in the event's ``reason``): only
staff read it (see ``timeline.visibility``).
"""

from __future__ import annotations

import enum


class EventType(enum.StrEnum):
    # bookings
    CREATED = "CREATED"  # kind, reference, price, schedule [{amount, dueDate, label}], details
    RESCHEDULED = "RESCHEDULED"  # old/new {specialistId, slotStart, slotEnd}; dueDatesMoved?
    DISCOUNT_APPLIED = "DISCOUNT_APPLIED"  # old/new {price}; discount, overpaid
    CANCELLED = "CANCELLED"  # old/new {status}; cause
    WEATHER_CANCELLED = "WEATHER_CANCELLED"  # old/new {status}; cause
    NO_SHOW = "NO_SHOW"  # old/new {status}; cause
    COMPLETED = "COMPLETED"
    # payment links and payments
    PAYMENT_REQUESTED = "PAYMENT_REQUESTED"
    PAYMENT_REQUEST_CANCELLED = "PAYMENT_REQUEST_CANCELLED"
    PAYMENT_REQUEST_WITHDRAWN = "PAYMENT_REQUEST_WITHDRAWN"
    PAYMENT_EXPIRED = "PAYMENT_EXPIRED"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    PAYMENT_VERIFIED = "PAYMENT_VERIFIED"
    PAYMENT_HELD = "PAYMENT_HELD"
    HELD_PAYMENT_ACCEPTED = "HELD_PAYMENT_ACCEPTED"
    HELD_PAYMENT_RETURNED = "HELD_PAYMENT_RETURNED"
    # refunds
    REFUND_REQUESTED = "REFUND_REQUESTED"
    REFUND_APPROVED = "REFUND_APPROVED"
    REFUND_REJECTED = "REFUND_REJECTED"
    REFUND_PROCESSING = "REFUND_PROCESSING"
    REFUND_SUCCEEDED = "REFUND_SUCCEEDED"
    REFUND_FAILED = "REFUND_FAILED"
    # verticals
    APPOINTMENT_CONFIRMED = "APPOINTMENT_CONFIRMED"
    GROUP_TRANSFERRED = "GROUP_TRANSFERRED"  # old/new {groupId}
    PAUSED = "PAUSED"
    RESUMED = "RESUMED"
    ACCESS_GRANTED = "ACCESS_GRANTED"
    ACCESS_SUSPENDED = "ACCESS_SUSPENDED"
    ACCESS_RESTORED = "ACCESS_RESTORED"
    ACCESS_REVOKED = "ACCESS_REVOKED"
    MANUAL_OVERRIDE = "MANUAL_OVERRIDE"
    TOUR_TRANSFERRED = "TOUR_TRANSFERRED"  # old/new {tourDate}; cause; dueDatesMoved?
    PARTICIPANTS_ADJUSTED = "PARTICIPANTS_ADJUSTED"  # old/new {participantCount, price}; overpaid
    TOUR_DEPOSIT_PAID = "TOUR_DEPOSIT_PAID"
    TOUR_FULLY_PAID = "TOUR_FULLY_PAID"
    # people and tasks
    NOTE = "NOTE"
    OVERRIDE_REQUESTED = "OVERRIDE_REQUESTED"
    REMINDER_RAISED = "REMINDER_RAISED"
    TASK_RESOLVED = "TASK_RESOLVED"


# Keys whose values people write (installment labels, note texts, requests, resolutions):
# they can carry medical or personal details, so integrators get null in their place.
FREE_TEXT_KEYS = frozenset({"label", "text", "reason", "request", "resolution", "note", "comment"})
