"""Admins' side of webhooks: register, list and delete endpoints; list and retry deliveries."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payable.core import clock
from payable.core.errors import CommonRefusal, NotFound
from payable.core.principal import Principal
from payable.timeline import stream
from payable.timeline.events import EventType
from payable.webhooks import addresses, signing
from payable.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from payable.webhooks.payload import RECEIVER
from payable.webhooks.refusals import WebhookRefusal

MAX_URL = 2048
MAX_DESCRIPTION = 1000
# What a receiver may subscribe to: every type an integrator sees.
DELIVERABLE = frozenset(t.value for t in EventType) - RECEIVER.hidden_types


async def create(
    *,
    session: AsyncSession,
    principal: Principal,
    url: str,
    description: str | None,
    event_types: list[str] | None,
    production: bool,
) -> tuple[uuid.UUID, str]:
    """A new endpoint and its signing secret; it receives events committed from now on."""
    url = url.strip()
    if len(url) > MAX_URL:
        raise CommonRefusal.TEXT_TOO_LONG.error(
            "url", f"the URL may have at most {MAX_URL} characters"
        )
    await addresses.check(url, production=production)
    description = (description or "").strip() or None
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise CommonRefusal.TEXT_TOO_LONG.error(
            "description", f"at most {MAX_DESCRIPTION} characters"
        )
    types = sorted(set(event_types or []))
    unknown = [t for t in types if t not in DELIVERABLE]
    if unknown:
        raise WebhookRefusal.UNKNOWN_EVENT_TYPE.error(
            "eventTypes", f"not a deliverable event type: {', '.join(unknown)}"
        )
    endpoint_id, secret = uuid.uuid4(), signing.new_secret()
    head = await stream.head(session=session, tenant_id=principal.tenant_id)
    session.add(
        WebhookEndpoint(
            id=endpoint_id,
            tenant_id=principal.tenant_id,
            url=url,
            description=description,
            event_types=types,
            secret=secret,
            cursor=head,
        )
    )
    await session.flush()
    return endpoint_id, secret


async def get(
    *, session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID
) -> WebhookEndpoint | None:
    return await session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.id == endpoint_id
        )
    )


async def get_all(*, session: AsyncSession, tenant_id: uuid.UUID) -> list[WebhookEndpoint]:
    """The tenant's endpoints that are not deleted, oldest first."""
    query = (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.deleted_at.is_(None))
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    )
    return list((await session.execute(query)).scalars().all())


async def delete(
    *, session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID
) -> uuid.UUID:
    """Stop delivering to an endpoint; its deliveries stay listed, the pending ones FAILED."""
    endpoint = await session.scalar(
        select(WebhookEndpoint)
        .where(
            WebhookEndpoint.tenant_id == principal.tenant_id,
            WebhookEndpoint.id == endpoint_id,
            WebhookEndpoint.deleted_at.is_(None),
        )
        .with_for_update()
    )
    if endpoint is None:
        raise NotFound("webhook endpoint", "endpointId")
    endpoint.active, endpoint.deleted_at = False, clock.now()
    await give_up_pending(session=session, endpoint_id=endpoint_id, why="endpoint deleted")
    await session.flush()
    return endpoint_id


async def give_up_pending(*, session: AsyncSession, endpoint_id: uuid.UUID, why: str) -> None:
    await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.status == DeliveryStatus.PENDING.value,
        )
        .values(status=DeliveryStatus.FAILED.value, next_attempt_at=None, last_error=why)
    )


async def deliveries(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    endpoint_id: uuid.UUID | None,
    status: DeliveryStatus | None,
    limit: int,
) -> list[tuple[WebhookDelivery, WebhookEndpoint]]:
    """Deliveries with their endpoints, newest first."""
    query = (
        select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.tenant_id == tenant_id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.sequence.desc())
        .limit(limit)
    )
    if endpoint_id is not None:
        query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status.value)
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def delivery(
    *, session: AsyncSession, tenant_id: uuid.UUID, delivery_id: uuid.UUID
) -> tuple[WebhookDelivery, WebhookEndpoint] | None:
    row = (
        await session.execute(
            select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.tenant_id == tenant_id, WebhookDelivery.id == delivery_id)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def retry(
    *, session: AsyncSession, principal: Principal, delivery_id: uuid.UUID
) -> uuid.UUID:
    """Send a delivery again now, with a fresh retry window (a succeeded one too: the
    receiver may have lost it; it de-duplicates on the event id)."""
    row = (
        await session.execute(
            select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.tenant_id == principal.tenant_id,
                WebhookDelivery.id == delivery_id,
            )
            .with_for_update(of=WebhookDelivery)
        )
    ).first()
    if row is None:
        raise NotFound("webhook delivery", "deliveryId")
    found, endpoint = row
    if not endpoint.active:
        raise WebhookRefusal.ENDPOINT_INACTIVE.error("deliveryId")
    now = clock.now()
    if found.locked_until is not None and found.locked_until > now:
        raise WebhookRefusal.DELIVERY_IN_FLIGHT.error("deliveryId")
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(
            status=DeliveryStatus.PENDING.value,
            next_attempt_at=now,
            retry_from=func.now(),
            delivered_at=None,
        )
    )
    return delivery_id
