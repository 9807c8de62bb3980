"""The schema, assembled from per-domain query and mutation classes."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from payable.graphql.document_cache import DocumentCache
from payable.graphql.exchange import Replayed
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
from payable.graphql.scalars import DecimalScalar
from payable.graphql.shared_events import SharedEventExecutor
from payable.graphql.subscriptions import BookingSubscriptions
from payable.graphql.tenant_api import TenantMutations, TenantQueries
from payable.graphql.types.payments import PaymentRequestPayload
from payable.graphql.types.refunds import RefundPayload, RefundQuote
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
    ),
)


class PayableSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log errors, but not a repeat's stop signal: its stored first answer is what is sent."""
        super().process_errors(
            [e for e in errors if not isinstance(e.original_error, Replayed)], execution_context
        )


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
        execution_context_class=SharedEventExecutor,
        extensions=[
            DocumentCache,  # parse, validate and the depth limit, once per document text
            CloseReadSession,
            mask_bugs,
        ],
    )


schema = build_schema()
