"""Turning the timeline into deliveries: each endpoint's cursor moves over the tenant's events.

Deliveries are created and the cursor advanced in one transaction, so an event is planned
exactly once per endpoint whatever crashes; sequences follow commit order within a tenant, so
no event can appear behind a cursor later.
"""

from __future__ import annotations

import uuid

from sqlalchemy import exists, func, select
from sqlalchemy.dialects.postgresql import insert

from payable.db.engine import Database
from payable.timeline.models import BookingEvent
from payable.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from payable.webhooks.payload import RECEIVER

BATCH = 500


async def plan(db: Database, *, batch: int = BATCH) -> int:
    """Deliveries for events past each active endpoint's cursor; how many were created."""
    async with db.session() as session:
        behind = list(
            await session.scalars(
                select(WebhookEndpoint.id).where(
                    WebhookEndpoint.active.is_(True),
                    exists().where(
                        BookingEvent.tenant_id == WebhookEndpoint.tenant_id,
                        BookingEvent.sequence > WebhookEndpoint.cursor,
                    ),
                )
            )
        )
    return sum([await _advance(db, endpoint_id, batch) for endpoint_id in behind])


async def _advance(db: Database, endpoint_id: uuid.UUID, batch: int) -> int:
    async with db.session() as session, session.begin():
        endpoint = await session.scalar(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.active.is_(True))
            .with_for_update(skip_locked=True)  # another server is advancing it
        )
        if endpoint is None:
            return 0
        events = (
            await session.execute(
                select(
                    BookingEvent.id,
                    BookingEvent.booking_id,
                    BookingEvent.sequence,
                    BookingEvent.type,
                )
                .where(
                    BookingEvent.tenant_id == endpoint.tenant_id,
                    BookingEvent.sequence > endpoint.cursor,
                )
                .order_by(BookingEvent.sequence)
                .limit(batch)
            )
        ).all()
        if not events:
            return 0
        wanted = set(endpoint.event_types)
        rows = [
            {
                "id": uuid.uuid4(),
                "tenant_id": endpoint.tenant_id,
                "endpoint_id": endpoint.id,
                "event_id": e.id,
                "booking_id": e.booking_id,
                "sequence": e.sequence,
                "status": DeliveryStatus.PENDING.value,
                "next_attempt_at": func.now(),
            }
            for e in events
            if e.type not in RECEIVER.hidden_types and (not wanted or e.type in wanted)
        ]
        if rows:
            await session.execute(
                insert(WebhookDelivery.__table__)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
            )
        endpoint.cursor = events[-1].sequence
        return len(rows)
