"""Refusals of cancellation policies (codes are part of the API)."""

from __future__ import annotations

import enum

from payable.core.errors import Refusal


@enum.unique
class PolicyRefusal(Refusal):
    UNKNOWN_POLICY = "no cancellation policy with that code"
    POLICY_KIND_MISMATCH = "the policy is for another kind of booking"
    INVALID_POLICY = "the policy's terms are out of range"
