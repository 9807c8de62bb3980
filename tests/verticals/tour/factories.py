"""A valid tour booking, and the mutation that books it."""

from __future__ import annotations

from typing import Any

from tests.bookings.factories import PAYLOAD

CREATE_TOUR = (
    "mutation($input: CreateTourBookingInput!, $key: String) {"
    " createTourBooking(input: $input, idempotencyKey: $key) { " + PAYLOAD + " } }"
)


def tour_input(**overrides: Any) -> dict[str, Any]:
    values = {
        "customerRef": "traveller-1",
        "tourDate": "2030-06-01",
        "packageId": "dilijan",
        "participantCount": 2,
        "price": {"amount": "120000.00", "currency": "AMD"},
    }
    return values | overrides
