"""The schema, assembled from per-domain query and mutation classes."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from payable.graphql.bookings.lifecycle import LifecycleMutations
from payable.graphql.bookings.pricing import PricingMutations
from payable.graphql.document_cache import DocumentCache
from payable.graphql.executor import ReadExecutor
from payable.graphql.extensions import CloseReadSession, mask_bugs
from payable.graphql.introspection import IntrospectionSwitch
from payable.graphql.payments.held import HeldPaymentMutations
from payable.graphql.payments.requests import PaymentMutations
from payable.graphql.policies.api import PolicyMutations
from payable.graphql.queries import BookingQueries
from payable.graphql.reconciliation.api import ReconciliationMutations, ReconciliationQueries
from payable.graphql.refunds.api import RefundMutations, RefundQueries
from payable.graphql.reports.api import MonthQueries, daily_queries, daily_summary_type
from payable.graphql.request_limits import RequestLimits
from payable.graphql.reviews.api import ReviewMutations, ReviewQueries
from payable.graphql.scalars import DecimalScalar
from payable.graphql.subscriptions import BookingSubscriptions
from payable.graphql.tenants.api import TenantMutations, TenantQueries
from payable.graphql.timeline.notes import NoteMutations
from payable.graphql.types import booking as booking_types
from payable.graphql.types import kinds
from payable.graphql.types.payments import PaymentRequestPayload
from payable.graphql.types.refunds import RefundPayload, RefundQuote
from payable.graphql.webhooks.api import WebhookMutations, WebhookQueries
from payable.metrics.operations import OperationMetrics
from payable.tracing import OperationSpan
from payable.verticals import installed, registry
from payable.verticals.base import Vertical
from payable.webhooks import payload as webhook_payload

# The parts of the root types, in the order the public schema lists their fields; the
# verticals' parts go where the slot of their kind is.
CORE_QUERIES = (BookingQueries, RefundQueries, ReviewQueries)
CORE_QUERIES_AFTER_REPORTS = (ReconciliationQueries, TenantQueries)
CORE_QUERIES_AFTER_VERTICALS = (WebhookQueries,)
SUBSCRIPTION = merge_types("Subscription", (BookingSubscriptions,))
CORE_MUTATIONS_AFTER_CREATE = (PaymentMutations, LifecycleMutations)
CORE_MUTATIONS_AFTER_CLOSING = (RefundMutations, HeldPaymentMutations, PolicyMutations)
CORE_MUTATIONS_AFTER_CHANGES = (
    PricingMutations,
    NoteMutations,
    ReviewMutations,
    ReconciliationMutations,
    TenantMutations,
    WebhookMutations,
)


def _booking_type(vertical: Vertical) -> type:
    """The vertical's booking type, named after its kind: global ids and webhooks say so."""
    found = vertical.api.booking_type  # type: ignore[union-attr]
    named = found.__strawberry_definition__.name
    if named != webhook_payload.booking_type(vertical.kind):
        raise ValueError(f"the type of {vertical.kind} bookings is named {named}")
    return found


def _parts(verticals: Sequence[Vertical], slot: str) -> tuple[type, ...]:
    found = (getattr(v.api, slot) for v in verticals if v.api is not None)
    return tuple(part for part in found if part is not None)


class PayableSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log nothing here: refusals are answers (their codes are on the request's log line)
        and bugs are logged once, without their messages, where they are masked."""


def build_schema() -> strawberry.Schema:
    """The schema of the registered verticals (``verticals.registry``) and the core."""
    verticals = registry.all_verticals()
    kinds.use([v.kind for v in verticals])
    for vertical in verticals:
        if vertical.api is not None:
            booking_types.register(vertical.kind, _booking_type(vertical))
    summary = daily_summary_type(_parts(verticals, "daily"))
    query = merge_types(
        "Query",
        (
            *CORE_QUERIES,
            daily_queries(summary),  # the summary holds the verticals' daily parts
            MonthQueries,
            *CORE_QUERIES_AFTER_REPORTS,
            *_parts(verticals, "queries"),
            *CORE_QUERIES_AFTER_VERTICALS,
        ),
    )
    mutation = merge_types(
        "Mutation",
        (
            *_parts(verticals, "create"),
            *CORE_MUTATIONS_AFTER_CREATE,
            *_parts(verticals, "closing"),
            *CORE_MUTATIONS_AFTER_CLOSING,
            *_parts(verticals, "changes"),
            *CORE_MUTATIONS_AFTER_CHANGES,
        ),
    )
    return PayableSchema(
        query=query,
        mutation=mutation,
        subscription=SUBSCRIPTION,
        # Variants are reached through the interface; payloads of later issues' mutations
        # are part of the contract already.
        types=[
            *_parts(verticals, "booking_type"),
            RefundQuote,
            RefundPayload,
            PaymentRequestPayload,
        ],
        config=StrawberryConfig(scalar_map={Decimal: DecimalScalar}),
        execution_context_class=ReadExecutor,
        extensions=[
            OperationMetrics,  # first: it sees the answer as masked, as the client does
            OperationSpan,
            RequestLimits,  # before the cache: every request's text is scanned and measured
            IntrospectionSwitch,
            DocumentCache,  # parse and validate once per document text
            CloseReadSession,
            mask_bugs,
        ],
    )


installed.install()
schema = build_schema()
