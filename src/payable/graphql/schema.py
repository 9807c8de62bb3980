"""The schema, assembled from per-domain query and mutation classes."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry.extensions import QueryDepthLimiter
from strawberry.tools import merge_types

from payable.graphql.extensions import CloseReadSession, mask_bugs
from payable.graphql.queries import BookingQueries
from payable.graphql.scalars import DecimalScalar
from payable.graphql.types.refunds import RefundQuote
from payable.settings import get_settings
from payable.verticals.clinic.graphql import ClinicAppointment, ClinicMutations
from payable.verticals.course.graphql import CourseEnrollment, CourseMutations
from payable.verticals.tour.graphql import TourBooking, TourMutations

Query = merge_types("Query", (BookingQueries,))
Mutation = merge_types("Mutation", (ClinicMutations, CourseMutations, TourMutations))


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[ClinicAppointment, CourseEnrollment, TourBooking, RefundQuote],
        scalar_overrides={Decimal: DecimalScalar},
        extensions=[
            QueryDepthLimiter(max_depth=get_settings().max_query_depth),
            CloseReadSession,
            mask_bugs(),
        ],
    )


schema = build_schema()
