"""Refusals about the customer a booking names."""

from __future__ import annotations

import enum

from payable.core.errors import Refusal


@enum.unique
class CustomerRefusal(Refusal):
    INVALID_CUSTOMER_REF = "customerRef must not be empty"
