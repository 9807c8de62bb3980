"""The schema, assembled from per-domain query and mutation classes."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from payable.graphql.document_cache import DocumentCache
from payable.graphql.executor import ReadExecutor
from payable.graphql.extensions import CloseReadSession, mask_bugs
from payable.graphql.held_mutations import HeldPaymentMutations
from payable.graphql.lifecycle_mutations import LifecycleMutations
from payable.graphql.operations import OperationMutations, OperationQueries
from payable.graphql.payment_mutations import PaymentMutations
from payable.graphql.policy_mutations import PolicyMutations
from payable.graphql.queries import BookingQueries
from payable.graphql.reconciliation_api import ReconciliationMutations, ReconciliationQueries
from payable.graphql.refund_mutations import RefundMutations, RefundQueries
from payable.graphql.reports_api import ReportQueries
from payable.graphql.request_limits import RequestLimits
from payable.graphql.scalars import DecimalScalar
from payable.graphql.subscriptions import BookingSubscriptions
from payable.graphql.tenant_api import TenantMutations, TenantQueries
from payable.graphql.types.payments import PaymentRequestPayload
from payable.graphql.types.refunds import RefundPayload, RefundQuote
from payable.graphql.webhooks_api import WebhookMutations, WebhookQueries
from payable.metrics.operations import OperationMetrics
from payable.tracing import OperationSpan
from payable.verticals.clinic.graphql import (
    ClinicAppointment,
    ClinicChangeMutations,
    ClinicMutations,
)
from payable.verticals.course.graphql import (
    CourseChangeMutations,
    CourseEnrollment,
    CourseMutations,
)
from payable.verticals.tour.departure_api import TourDepartureQueries
from payable.verticals.tour.graphql import TourBooking, TourChangeMutations, TourMutations

Query = merge_types(
    "Query",
    (
        BookingQueries,
        RefundQueries,
        OperationQueries,
        ReportQueries,
        ReconciliationQueries,
        TenantQueries,
        TourDepartureQueries,
        WebhookQueries,
    ),
)
Subscription = merge_types("Subscription", (BookingSubscriptions,))
Mutation = merge_types(
    "Mutation",
    (
        ClinicMutations,
        CourseMutations,
        TourMutations,
        PaymentMutations,
        LifecycleMutations,
        RefundMutations,
        HeldPaymentMutations,
        PolicyMutations,
        ClinicChangeMutations,
        CourseChangeMutations,
        TourChangeMutations,
        OperationMutations,
        ReconciliationMutations,
        TenantMutations,
        WebhookMutations,
    ),
)


class PayableSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log nothing here: refusals are answers (their codes are on the request's log line)
        and bugs are logged once, without their messages, where they are masked."""


def build_schema() -> strawberry.Schema:
    return PayableSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        # Variants are reached through the interface; payloads of later issues' mutations
        # are part of the contract already.
        types=[
            ClinicAppointment,
            CourseEnrollment,
            TourBooking,
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
            DocumentCache,  # parse and validate once per document text
            CloseReadSession,
            mask_bugs,
        ],
    )


schema = build_schema()
