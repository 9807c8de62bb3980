"""Refusals of idempotency keys: any mutation that takes one may return them."""

from __future__ import annotations

import enum

from payable.core.errors import Refusal


@enum.unique
class IdempotencyRefusal(Refusal):
    INVALID_IDEMPOTENCY_KEY = "idempotencyKey must be 1 to 255 characters"
    IDEMPOTENCY_KEY_REUSED = "this idempotencyKey was already used with a different request"
