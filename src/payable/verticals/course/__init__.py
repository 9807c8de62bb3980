"""Course enrollments: a student in a group for a period, with access that follows payment."""

from payable.core.clock import business_date, end_of_day, start_of_day
from payable.graphql.vertical_api import VerticalApi
from payable.verticals.base import Vertical
from payable.verticals.course import access, demo, graphql, search
from payable.verticals.course.models import KIND, CourseEnrollment

VERTICAL = Vertical(
    kind=KIND,
    detail_model=CourseEnrollment,
    serving=search.serving,
    filters=search.FILTERS,
    reference_prefix="CO",
    service_start=lambda detail: start_of_day(detail.period_start),
    service_end=lambda detail: end_of_day(detail.period_end),
    ended_by=lambda moment: CourseEnrollment.period_end < business_date(moment),
    derive=access.sync,
    stale_on=access.stale_on,
    seed_demo=demo.seed,
    api=VerticalApi(
        booking_type=graphql.CourseEnrollment,
        create=graphql.CourseMutations,
        changes=graphql.CourseChangeMutations,
    ),
)
