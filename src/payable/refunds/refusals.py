"""Refusals of refund requests and decisions (codes are part of the API)."""

from __future__ import annotations

import enum

from payable.core.errors import Refusal


@enum.unique
class RefundRefusal(Refusal):
    NOTHING_TO_REFUND = "the booking has no verified payment"
    REFUND_EXCEEDS_REFUNDABLE = "more than is left to refund"
    APPROVER_IS_REQUESTER = "the person who requested a refund cannot approve it"
    REFUND_NOT_PENDING = "the refund is no longer waiting for a decision"
    REFUND_NOT_MANUAL = (
        "only a refund the gateway cannot make (failed with MANUAL_REFUND_REQUIRED) is recorded"
        " by hand"
    )
    REFERENCE_REQUIRED = "the operator's reference is required"
