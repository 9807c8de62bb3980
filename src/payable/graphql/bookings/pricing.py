"""Discounts: a manager lowers a booking's price by hand."""

from __future__ import annotations

import uuid
from decimal import Decimal

import strawberry

from payable.bookings import pricing
from payable.bookings.refusals import CHANGING, BookingRefusal
from payable.core.errors import CommonRefusal
from payable.core.permissions import Action
from payable.graphql.bookings.payload import booking_payload
from payable.graphql.mutations.declaration import Call, mutation
from payable.graphql.types.booking import booking_id


@strawberry.input
class ApplyDiscountInput:
    booking_id: strawberry.ID
    amount: Decimal
    reason: str


@strawberry.type
class PricingMutations:
    @mutation(
        role=Action.APPLY_DISCOUNT,
        answer=booking_payload,
        refusals=(*CHANGING, CommonRefusal.INVALID_AMOUNT, BookingRefusal.INVALID_DISCOUNT),
        description="Lower the price by hand, with a reason (managers only).",
    )
    async def apply_discount(call: Call, input: ApplyDiscountInput) -> uuid.UUID:
        return await pricing.discount(
            session=call.session,
            principal=call.principal,
            booking_id=booking_id(input.booking_id),
            amount=input.amount,
            reason=input.reason,
        )
