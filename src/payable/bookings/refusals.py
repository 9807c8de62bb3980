"""Refusals of booking creation, schedules and changes (codes are part of the API)."""

from __future__ import annotations

import enum

from payable.core.errors import CommonRefusal, Refusal


@enum.unique
class BookingRefusal(Refusal):
    DATE_IN_PAST = "the date is before today's business day (Yerevan), or the slot has begun"
    SLOT_TOO_LONG = "a slot lasts at most 24 hours"
    DUE_AFTER_SERVICE = "an installment would fall due after the service"
    INVALID_FIELD = "a required field is blank"
    INVALID_DEPOSIT = "depositAmount must be less than the price"
    INVALID_DUE_DATE = "balanceDueDate is in the past"
    EMPTY_SCHEDULE = "installments must not be empty"
    TOO_MANY_INSTALLMENTS = "too many installments"
    CURRENCY_MISMATCH = "an installment is in another currency than the price"
    INVALID_GRACE_DAYS = "graceDays must be 0 to 365"
    SCHEDULE_MISMATCH = "the installments do not add up to the price"
    INVALID_DISCOUNT = "a discount must leave a price above zero"
    BOOKING_CLOSED = "the booking is cancelled or a no-show"
    BOOKING_COMPLETED = "the service was delivered: the booking no longer changes"
    NO_CHANGE = "that changes nothing"
    NOT_STARTED = "the service has not started yet"
    NOT_CONFIRMED = "nothing is paid: cancel it or mark a no-show"


# What every change or closing of one booking can answer: the booking unknown, the reason
# missing or too long, the booking no longer live.
CHANGING = (
    CommonRefusal.NOT_FOUND,
    CommonRefusal.REASON_REQUIRED,
    CommonRefusal.TEXT_TOO_LONG,
    BookingRefusal.BOOKING_CLOSED,
    BookingRefusal.BOOKING_COMPLETED,
)
# What creating a booking of any kind can answer about its shared fields and schedule.
CREATING = (
    CommonRefusal.INVALID_AMOUNT,
    CommonRefusal.TEXT_TOO_LONG,
    BookingRefusal.DATE_IN_PAST,
    BookingRefusal.DUE_AFTER_SERVICE,
    BookingRefusal.INVALID_FIELD,
    BookingRefusal.INVALID_DEPOSIT,
    BookingRefusal.INVALID_DUE_DATE,
    BookingRefusal.EMPTY_SCHEDULE,
    BookingRefusal.TOO_MANY_INSTALLMENTS,
    BookingRefusal.CURRENCY_MISMATCH,
    BookingRefusal.INVALID_GRACE_DAYS,
    BookingRefusal.SCHEDULE_MISMATCH,
)
