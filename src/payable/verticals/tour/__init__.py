"""Tour bookings: participants on a package's departure date, usually deposit then balance."""

from payable.core.clock import business_date, end_of_day, start_of_day
from payable.graphql.vertical_api import VerticalApi
from payable.verticals.base import Vertical
from payable.verticals.tour import daily, daily_api, demo, departure_api, graphql, search
from payable.verticals.tour.effects import after_payment
from payable.verticals.tour.models import KIND, TourBooking

VERTICAL = Vertical(
    kind=KIND,
    detail_model=TourBooking,
    serving=search.serving,
    filters=search.FILTERS,
    reference_prefix="TR",
    service_start=lambda detail: start_of_day(detail.tour_date),
    # The departure day: the booking knows no return date.
    service_end=lambda detail: end_of_day(detail.tour_date),
    ended_by=lambda moment: TourBooking.tour_date < business_date(moment),
    after_payment=after_payment,
    daily_figures=daily.fully_paid_departures,
    seed_demo=demo.seed,
    api=VerticalApi(
        booking_type=graphql.TourBooking,
        create=graphql.TourMutations,
        changes=graphql.TourChangeMutations,
        closing=departure_api.TourDepartureMutations,
        queries=departure_api.TourDepartureQueries,
        daily=daily_api.TourDailyFigures,
    ),
)
