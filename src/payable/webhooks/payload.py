"""The JSON body of a delivery: one timeline event as an integrator may see it."""

from __future__ import annotations

import json
import uuid
from typing import Any

from payable.core import ids
from payable.core.principal import Principal, Role
from payable.timeline import visibility
from payable.timeline.models import BookingEvent

# Receivers are other parties' machines: they see what an integrator sees, nothing more
# (no CRM notes, no reasons, no free text inside data).
RECEIVER = visibility.of(
    Principal(sub="webhook", tenant_slug="", role=Role.INTEGRATOR, tenant_id=uuid.UUID(int=0))
)


def booking_type(kind: str) -> str:
    """The GraphQL type a booking's global id names (CLINIC_APPOINTMENT: ClinicAppointment)."""
    return "".join(word.capitalize() for word in kind.split("_"))


def event_id(event: BookingEvent) -> str:
    """The event's global id, as the API shows it: what receivers de-duplicate on."""
    return ids.to_global_id("BookingEvent", event.id)


def body(event: BookingEvent, kind: str) -> bytes:
    document: dict[str, Any] = {
        "id": event_id(event),
        "sequence": str(event.sequence),
        "type": event.type,
        "bookingId": ids.to_global_id(booking_type(kind), event.booking_id),
        "kind": kind,
        "actor": event.actor,
        "reason": RECEIVER.text(event.reason),
        "data": RECEIVER.data(event.data),
        "occurredAt": event.occurred_at.isoformat(),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
