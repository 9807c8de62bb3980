"""A fourth vertical defined only here: a seat in a workshop session. It proves a vertical is
its package plus one registration (the fixture's ``registry.register(VERTICAL)``)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Select, select

from payable.core.clock import business_date, end_of_day, start_of_day
from payable.graphql.vertical_api import VerticalApi
from payable.verticals.base import Vertical
from tests.verticals.workshop import graphql
from tests.verticals.workshop.models import KIND, WorkshopSeat

# Half the money back for a late cancellation is the standard; this vertical keeps 30%.
TERMS = {
    "free_cancellation_hours": 48,
    "late_cancellation_refund_percent": 70,
    "no_show_refund_percent": 0,
}


def _serving(_tenant_id: uuid.UUID, first: date | None, last: date | None) -> Select:
    query = select(WorkshopSeat.booking_id)
    if first is not None:
        query = query.where(WorkshopSeat.session_date >= first)
    if last is not None:
        query = query.where(WorkshopSeat.session_date <= last)
    return query


VERTICAL = Vertical(
    kind=KIND,
    detail_model=WorkshopSeat,
    reference_prefix="WS",
    serving=_serving,
    service_start=lambda detail: start_of_day(detail.session_date),
    service_end=lambda detail: end_of_day(detail.session_date),
    ended_by=lambda moment: WorkshopSeat.session_date < business_date(moment),
    policy_terms=TERMS,
    api=VerticalApi(
        booking_type=graphql.WorkshopSeat,
        create=graphql.WorkshopMutations,
        changes=graphql.WorkshopChangeMutations,
    ),
)
