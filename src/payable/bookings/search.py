"""Finding bookings: what each filter matches, and the index that answers it.

Every filter narrows the list. Filters of one vertical (its ``Vertical.filters``) match only
bookings of that vertical, so naming two verticals' fields matches none. The service window
compares the day the service starts (each vertical's ``serving``) in the business time zone.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, Index, false, select, union_all

from payable.bookings.models import Booking
from payable.customers.models import Customer
from payable.verticals import registry


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
    # The verticals' own fields (``Vertical.filters``) that were given, by name.
    details: Mapping[str, object] = field(default_factory=dict)


_booking = Booking.__table__.c

# The indexes behind the core's filters; each vertical indexes its own.
INDEXES = (
    Index("ix_bookings_tenant_customer", _booking.tenant_id, _booking.customer_id),
    Index("ix_bookings_tenant_crm_reference", _booking.tenant_id, _booking.crm_reference),
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
    named = [v for v in registry.all_verticals() if set(where.details) & set(v.filters)]
    windowed = where.service_from is not None or where.service_to is not None
    if len(named) > 1:
        return false()  # no booking is of two verticals
    if not named and not windowed:
        return None
    matching = []
    for vertical in named or registry.all_verticals():
        query = vertical.serving(tenant_id, where.service_from, where.service_to)
        for name, value in where.details.items():
            query = query.where(vertical.filters[name] == value)
        matching.append(query)
    found = matching[0] if len(matching) == 1 else union_all(*matching)
    return Booking.id.in_(found)
