"""`bookings(filter:)`: how operators find a booking, and its translation to the domain."""

from __future__ import annotations

from datetime import date

import strawberry

from payable.bookings.search import BookingFilter as DomainFilter
from payable.graphql.types.common import BookingKind, BookingStatus, PaymentStatus
from payable.verticals import registry


@strawberry.input(
    description="Every field narrows the list; exact matches. Fields of one vertical (specialist,"
    " course group, tour package) match only bookings of that vertical. serviceFrom/serviceTo"
    " compare the day the service starts (clinic slotStart, course periodStart, tour tourDate)"
    " in the business time zone (Asia/Yerevan), both days included."
)
class BookingFilter:
    reference: str | None = strawberry.field(
        default=None, description="The booking number, in any letter case."
    )
    customer_ref: str | None = strawberry.field(
        default=None, description="The customer's id in the CRM (Customer.externalRef)."
    )
    crm_reference: str | None = None
    service_from: date | None = None
    service_to: date | None = None
    specialist_id: strawberry.ID | None = None
    branch_id: strawberry.ID | None = None
    service_id: strawberry.ID | None = None
    course_id: strawberry.ID | None = None
    group_id: strawberry.ID | None = None
    package_id: strawberry.ID | None = None
    tour_date: date | None = None
    source_channel: str | None = None
    manager_reference: str | None = None


def to_domain(
    found: BookingFilter | None,
    *,
    kind: BookingKind | None,
    status: BookingStatus | None,
    payment_status: PaymentStatus | None,
) -> DomainFilter:
    given = found or BookingFilter()
    return DomainFilter(
        kind=kind.value if kind else None,
        status=status.value if status else None,
        payment_status=payment_status.value if payment_status else None,
        reference=given.reference,
        customer_ref=given.customer_ref,
        crm_reference=given.crm_reference,
        service_from=given.service_from,
        service_to=given.service_to,
        # The verticals' own fields: the input declares them, each vertical says what they read.
        details={
            name: value
            for vertical in registry.all_verticals()
            for name in vertical.filters
            if (value := getattr(given, name, None)) is not None
        },
    )
