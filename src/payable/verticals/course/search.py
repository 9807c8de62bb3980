"""Finding course enrollments: the filters on their own fields and the indexes behind them.
Rows are reached through their booking, whose tenant is checked there."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Index, Select, select

from payable.verticals.course.models import CourseEnrollment

_course = CourseEnrollment.__table__.c

FILTERS = {"course_id": _course.course_id, "group_id": _course.group_id}

INDEXES = (
    Index("ix_course_enrollments_course_group", _course.course_id, _course.group_id),
    Index("ix_course_enrollments_group_id", _course.group_id),
    Index("ix_course_enrollments_period_start", _course.period_start),
)


def serving(_tenant_id: uuid.UUID, first: date | None, last: date | None) -> Select:
    """Enrollments whose period starts from ``first`` to ``last``."""
    query = select(_course.booking_id)
    if first is not None:
        query = query.where(_course.period_start >= first)
    if last is not None:
        query = query.where(_course.period_start <= last)
    return query
