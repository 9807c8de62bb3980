"""Refusals of payment links and held money (codes are part of the API)."""

from __future__ import annotations

import enum

from payable.core.errors import Refusal


@enum.unique
class PaymentRefusal(Refusal):
    INVALID_RETURN_URL = "returnUrl must be an http(s) URL"
    INVALID_EXPIRY = "expiresInMinutes is out of range"
    EXPIRY_BEYOND_GATEWAY_SESSION = "the gateway's payment page closes before the link would end"
    INSTALLMENT_PAID = "this installment is paid"
    BOOKING_PAID = "nothing is due on this booking"
    NOT_PENDING = "the payment request is no longer pending"
    HELD_PAYMENT_UNDECIDED = "money is held for review: accept or return it first"
    PAYMENT_OUTCOME_UNKNOWN = "the gateway cannot confirm an earlier link was not paid; try later"
    PROVIDER_UNAVAILABLE = "the payment gateway did not answer; try again"
    PROVIDER_REFUSED = "the payment gateway refused"
    PAYMENT_NOT_HELD = "the payment is not held"
    PAYMENT_BEING_RETURNED = (
        "the money is being returned to the payer; it can no longer be accepted"
    )
