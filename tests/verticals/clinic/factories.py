"""A valid clinic appointment, and the mutation that books it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.bookings.factories import PAYLOAD

CREATE_CLINIC = (
    "mutation($input: CreateClinicAppointmentInput!, $key: String) {"
    " createClinicAppointment(input: $input, idempotencyKey: $key) { " + PAYLOAD + " } }"
)

_slot_counter = iter(range(1, 10**6))


def clinic_input(**overrides: Any) -> dict[str, Any]:
    """A valid appointment input; each call gets its own hour so slots never collide by accident."""
    start = datetime(2030, 1, 1, 8, tzinfo=UTC) + timedelta(hours=next(_slot_counter))
    values = {
        "customerRef": "patient-1",
        "serviceId": "consultation",
        "specialistId": "dr-1",
        "branchId": "center",
        "slotStart": start.isoformat(),
        "slotEnd": (start + timedelta(minutes=30)).isoformat(),
        "price": {"amount": "15000.00", "currency": "AMD"},
    }
    return values | overrides
