"""Finding bookings: what each filter matches, and the index that answers it.

Every filter narrows the list. Filters of one vertical (a specialist, a course group, a tour
package) match only bookings of that vertical, so naming two verticals' fields matches none.
The service window compares the day the service starts (clinic slot start, course period
start, tour date) in the business time zone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Index, Select, false, select, union_all

from payable.bookings.enums import BookingKind
from payable.bookings.models import Booking
from payable.core import clock
from payable.customers.models import Customer
from payable.verticals.clinic.models import ClinicAppointment
from payable.verticals.course.models import CourseEnrollment
from payable.verticals.tour.models import TourBooking


@dataclass(frozen=True, slots=True)
class BookingFilter:
    kind: str | None = None
    status: str | None = None
    payment_status: str | None = None
    reference: str | None = None
    customer_ref: str | None = None
    crm_reference: str | None = None
    service_from: date | None = None
    service_to: date | None = None
    # clinic
    specialist_id: str | None = None
    branch_id: str | None = None
    service_id: str | None = None
    # course
    course_id: str | None = None
    group_id: str | None = None
    # tour
    package_id: str | None = None
    tour_date: date | None = None
    source_channel: str | None = None
    manager_reference: str | None = None


_booking = Booking.__table__.c
_clinic = ClinicAppointment.__table__.c
_course = CourseEnrollment.__table__.c
_tour = TourBooking.__table__.c

# Which filter field reads which detail column, per vertical.
_DETAIL_FIELDS = {
    BookingKind.CLINIC_APPOINTMENT: {
        "specialist_id": _clinic.specialist_id,
        "branch_id": _clinic.branch_id,
        "service_id": _clinic.service_id,
    },
    BookingKind.COURSE_ENROLLMENT: {"course_id": _course.course_id, "group_id": _course.group_id},
    BookingKind.TOUR_BOOKING: {
        "package_id": _tour.package_id,
        "tour_date": _tour.tour_date,
        "source_channel": _tour.source_channel,
        "manager_reference": _tour.manager_reference,
    },
}

# The indexes behind the filters. Clinic rows carry their tenant, so their indexes lead with
# it; course and tour rows are reached through their booking, whose tenant is checked there.
INDEXES = (
    Index("ix_bookings_tenant_customer", _booking.tenant_id, _booking.customer_id),
    Index("ix_bookings_tenant_crm_reference", _booking.tenant_id, _booking.crm_reference),
    Index("ix_clinic_appointments_tenant_slot", _clinic.tenant_id, _clinic.slot_start),
    Index(
        "ix_clinic_appointments_tenant_specialist",
        _clinic.tenant_id,
        _clinic.specialist_id,
        _clinic.slot_start,
    ),
    Index(
        "ix_clinic_appointments_tenant_branch",
        _clinic.tenant_id,
        _clinic.branch_id,
        _clinic.slot_start,
    ),
    Index(
        "ix_clinic_appointments_tenant_service",
        _clinic.tenant_id,
        _clinic.service_id,
        _clinic.slot_start,
    ),
    Index("ix_course_enrollments_course_group", _course.course_id, _course.group_id),
    Index("ix_course_enrollments_group_id", _course.group_id),
    Index("ix_course_enrollments_period_start", _course.period_start),
    Index("ix_tour_bookings_package_date", _tour.package_id, _tour.tour_date),
    Index("ix_tour_bookings_source_channel", _tour.source_channel),
    Index("ix_tour_bookings_manager_reference", _tour.manager_reference),
)


def conditions(tenant_id: uuid.UUID, where: BookingFilter) -> list[ColumnElement[bool]]:
    """The WHERE clauses on ``bookings`` that ``where`` asks for, always within the tenant."""
    found: list[ColumnElement[bool]] = [Booking.tenant_id == tenant_id]
    if where.kind:
        found.append(Booking.kind == where.kind)
    if where.status:
        found.append(Booking.status == where.status)
    if where.payment_status:
        found.append(Booking.payment_status == where.payment_status)
    if where.reference is not None:
        # References are upper case and read out over the phone: accept any case and spaces.
        found.append(Booking.reference == where.reference.strip().upper())
    if where.crm_reference is not None:
        found.append(Booking.crm_reference == where.crm_reference)
    if where.customer_ref is not None:
        customer = select(Customer.id).where(
            Customer.tenant_id == tenant_id, Customer.external_ref == where.customer_ref
        )
        found.append(Booking.customer_id == customer.scalar_subquery())
    details = _details(tenant_id, where)
    if details is not None:
        found.append(details)
    return found


def _details(tenant_id: uuid.UUID, where: BookingFilter) -> ColumnElement[bool] | None:
    """Bookings whose vertical row matches: one index-backed sub-select per vertical asked."""
    named = {
        kind
        for kind, columns in _DETAIL_FIELDS.items()
        if any(getattr(where, name) is not None for name in columns)
    }
    windowed = where.service_from is not None or where.service_to is not None
    if len(named) > 1:
        return false()  # no booking is of two verticals
    if not named and not windowed:
        return None
    kinds = named or set(_DETAIL_FIELDS)
    matching = [_matching(kind, tenant_id, where) for kind in sorted(kinds)]
    found = matching[0] if len(matching) == 1 else union_all(*matching)
    return Booking.id.in_(found)


def _matching(kind: BookingKind, tenant_id: uuid.UUID, where: BookingFilter) -> Select:
    first, last = where.service_from, where.service_to
    if kind is BookingKind.CLINIC_APPOINTMENT:
        query = select(_clinic.booking_id).where(_clinic.tenant_id == tenant_id)
        if first is not None:
            query = query.where(_clinic.slot_start >= clock.start_of_day(first))
        if last is not None:
            query = query.where(_clinic.slot_start < clock.start_of_day(last + timedelta(days=1)))
    else:
        table, day = (
            (_course, _course.period_start)
            if kind is BookingKind.COURSE_ENROLLMENT
            else (_tour, _tour.tour_date)
        )
        query = select(table.booking_id)
        if first is not None:
            query = query.where(day >= first)
        if last is not None:
            query = query.where(day <= last)
    for name, column in _DETAIL_FIELDS[kind].items():
        value = getattr(where, name)
        if value is not None:
            query = query.where(column == value)
    return query
