"""Outbound webhooks: admins register receivers of the tenant's timeline and watch deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from payable.core import ids, permissions
from payable.core.errors import CommonRefusal, NotFound
from payable.graphql import guard
from payable.graphql.context import ctx
from payable.graphql.mutations.declaration import Call, mutation
from payable.graphql.mutations.runner import Outcome
from payable.graphql.pagination import page_size
from payable.graphql.types.common import Node, UserError
from payable.graphql.types.timeline import BookingEvent
from payable.webhooks import addresses, models
from payable.webhooks import service as webhooks
from payable.webhooks.refusals import WebhookRefusal

WebhookDeliveryStatus = strawberry.enum(
    models.DeliveryStatus,
    name="WebhookDeliveryStatus",
    description="PENDING: not yet accepted, retried with backoff for 24 hours. SUCCEEDED: the"
    " receiver answered 2xx. FAILED: given up (24 hours of failures, a 410 Gone, or the endpoint"
    " was deleted); retryWebhookDelivery sends it again.",
)


@strawberry.type(description="A receiver of this tenant's booking events.")
class WebhookEndpoint(Node):
    row: strawberry.Private[models.WebhookEndpoint]

    def local_id(self) -> uuid.UUID:
        return self.row.id

    @strawberry.field(description="Where each event is POSTed.")
    def url(self) -> str:
        return self.row.url

    @strawberry.field
    def description(self) -> str | None:
        return self.row.description

    @strawberry.field(description="BookingEvent.type values delivered; empty = every type.")
    def event_types(self) -> list[str]:
        return list(self.row.event_types)

    @strawberry.field(
        description="False once deleted, or disabled because the receiver answered 410 Gone."
    )
    def active(self) -> bool:
        return self.row.active

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at


@strawberry.type(description="One event sent (or being sent) to one endpoint.")
class WebhookDelivery(Node):
    row: strawberry.Private[models.WebhookDelivery]
    endpoint_row: strawberry.Private[models.WebhookEndpoint]

    def local_id(self) -> uuid.UUID:
        return self.row.id

    @strawberry.field
    def endpoint(self) -> WebhookEndpoint:
        return WebhookEndpoint(row=self.endpoint_row)

    @strawberry.field(description="The event delivered; its id is the Payable-Event-Id header.")
    async def event(self, info: strawberry.Info) -> BookingEvent:
        return BookingEvent(row=await ctx(info).loaders.event.load(self.row.event_id))

    @strawberry.field
    def status(self) -> WebhookDeliveryStatus:  # type: ignore[valid-type]
        return models.DeliveryStatus(self.row.status)

    @strawberry.field(description="Attempts made so far.")
    def attempts(self) -> int:
        return self.row.attempts

    @strawberry.field(description="The receiver's HTTP status at the last attempt.")
    def last_response_status(self) -> int | None:
        return self.row.last_response_status

    @strawberry.field(
        description="Why the last attempt did not count: the start of the receiver's answer,"
        " a timeout, a refused connection."
    )
    def last_error(self) -> str | None:
        return self.row.last_error

    @strawberry.field(description="When the next attempt is due (PENDING only).")
    def next_attempt_at(self) -> datetime | None:
        return self.row.next_attempt_at if self.row.status == "PENDING" else None

    @strawberry.field
    def delivered_at(self) -> datetime | None:
        return self.row.delivered_at

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at


@strawberry.input
class CreateWebhookEndpointInput:
    url: str
    description: str | None = None
    event_types: list[str] | None = None


@strawberry.type
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None
    secret: str | None = strawberry.field(
        description="Shown once, at creation: verify each request's Payable-Signature with it."
    )
    errors: list[UserError]


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None
    errors: list[UserError]


async def _endpoint(info: strawberry.Info, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
    context = ctx(info)
    row = await webhooks.get(
        session=context.read_session, tenant_id=context.caller.tenant_id, endpoint_id=endpoint_id
    )
    return WebhookEndpoint(row=row) if row is not None else None


@strawberry.type
class WebhookQueries:
    @strawberry.field(description="Admins only: this tenant's webhook endpoints, oldest first.")
    async def webhook_endpoints(self, info: strawberry.Info) -> list[WebhookEndpoint]:
        principal = await guard.require(
            info, operation="webhookEndpoints", permission=permissions.Action.MANAGE_WEBHOOKS
        )
        rows = await webhooks.get_all(session=ctx(info).read_session, tenant_id=principal.tenant_id)
        return [WebhookEndpoint(row=row) for row in rows]

    @strawberry.field(description="Admins only: deliveries, newest first.")
    async def webhook_deliveries(
        self,
        info: strawberry.Info,
        endpoint_id: strawberry.ID | None = None,
        status: WebhookDeliveryStatus | None = None,  # type: ignore[valid-type]
        first: int | None = None,
    ) -> list[WebhookDelivery]:
        principal = await guard.require(
            info, operation="webhookDeliveries", permission=permissions.Action.MANAGE_WEBHOOKS
        )
        limit = page_size(first, default=50)
        endpoint = None
        if endpoint_id is not None:
            try:
                endpoint = ids.local_id(endpoint_id, "WebhookEndpoint")
            except NotFound:
                return []  # names nothing of this tenant's: no deliveries
        rows = await webhooks.deliveries(
            session=ctx(info).read_session,
            tenant_id=principal.tenant_id,
            endpoint_id=endpoint,
            status=status,
            limit=limit,
        )
        return [WebhookDelivery(row=d, endpoint_row=e) for d, e in rows]


async def _created_payload(call: Call, outcome: Outcome) -> WebhookEndpointPayload:
    """The endpoint and, on the call that created it only, its signing secret."""
    if outcome.result_id is None:
        return WebhookEndpointPayload(endpoint=None, secret=None, errors=outcome.errors)
    endpoint = await _endpoint(call.info, outcome.result_id)
    secret = call.kept[0] if call.kept else None
    return WebhookEndpointPayload(endpoint=endpoint, secret=secret, errors=[])


async def _delivery_payload(call: Call, outcome: Outcome) -> WebhookDeliveryPayload:
    if outcome.result_id is None:
        return WebhookDeliveryPayload(delivery=None, errors=outcome.errors)
    context = call.context
    found = await webhooks.delivery(
        session=context.read_session,
        tenant_id=context.caller.tenant_id,
        delivery_id=outcome.result_id,
    )
    assert found is not None  # just written in this tenant
    return WebhookDeliveryPayload(
        delivery=WebhookDelivery(row=found[0], endpoint_row=found[1]), errors=[]
    )


@strawberry.type
class WebhookMutations:
    @mutation(
        role=permissions.Action.MANAGE_WEBHOOKS,
        answer=_created_payload,
        refusals=(
            CommonRefusal.TEXT_TOO_LONG,
            WebhookRefusal.INVALID_URL,
            WebhookRefusal.URL_NOT_ALLOWED,
            WebhookRefusal.URL_NOT_RESOLVABLE,
            WebhookRefusal.UNKNOWN_EVENT_TYPE,
        ),
        description="Admins only: deliver this tenant's booking events from now on to `url`"
        " (http or https; outside development not a loopback, link-local or private address).",
    )
    async def create_webhook_endpoint(call: Call, input: CreateWebhookEndpointInput) -> uuid.UUID:
        endpoint_id, secret = await webhooks.create(
            session=call.session,
            principal=call.principal,
            url=input.url,
            description=input.description,
            event_types=input.event_types,
            production=addresses.guarded(call.context.settings),
        )
        call.kept.append(secret)
        return endpoint_id

    @mutation(
        role=permissions.Action.MANAGE_WEBHOOKS,
        answer=_created_payload,
        refusals=(CommonRefusal.NOT_FOUND,),
        description="Admins only: stop delivering to an endpoint; pending deliveries become"
        " FAILED, past ones stay listed.",
        idempotent=False,
    )
    async def delete_webhook_endpoint(call: Call, endpoint_id: strawberry.ID) -> uuid.UUID:
        return await webhooks.delete(
            session=call.session,
            principal=call.principal,
            endpoint_id=ids.local_id(endpoint_id, "WebhookEndpoint", field="endpointId"),
        )

    @mutation(
        role=permissions.Action.MANAGE_WEBHOOKS,
        answer=_delivery_payload,
        refusals=(
            CommonRefusal.NOT_FOUND,
            WebhookRefusal.ENDPOINT_INACTIVE,
            WebhookRefusal.DELIVERY_IN_FLIGHT,
        ),
        description="Admins only: send a delivery again now, with a fresh 24-hour retry window.",
        idempotent=False,
    )
    async def retry_webhook_delivery(call: Call, delivery_id: strawberry.ID) -> uuid.UUID:
        return await webhooks.retry(
            session=call.session,
            principal=call.principal,
            delivery_id=ids.local_id(delivery_id, "WebhookDelivery", field="deliveryId"),
        )
