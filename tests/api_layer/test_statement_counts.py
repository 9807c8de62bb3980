"""No N+1: a page of 100 nested bookings costs the same few statements as a page of 10."""

from __future__ import annotations

import asyncio

from tests.api import Api
from tests.bookings.factories import BOOKING_FIELDS
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.verticals.course.factories import CREATE_COURSE, course_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

LIST = "query($first: Int) { bookings(first: $first) { totalCount edges { cursor node { " + (
    BOOKING_FIELDS + " } } pageInfo { hasNextPage endCursor } } }"
)
MAX_STATEMENTS = 8  # was 12, then 9; a page reads the bookings with their count, and 7 relations

FILTERED = (
    "query($first: Int, $filter: BookingFilter) { bookings(first: $first, filter: $filter) {"
    " totalCount edges { cursor node { nextDueDate nextDueAmount { amount currency } "
    + BOOKING_FIELDS
    + " } } pageInfo { hasNextPage endCursor } } }"
)
# Each filter matches more than 30 of the seeded 100 bookings (every third is a clinic, a
# course, a tour); together they use every kind of sub-select the filter builds.
FILTERS = [
    {"branchId": "center", "serviceFrom": "2030-01-01"},
    {"courseId": "python", "groupId": "evening"},
    {"packageId": "dilijan", "tourDate": "2030-06-01"},
    {"customerRef": "traveller-1", "crmReference": None, "reference": None},
    {"serviceFrom": "2030-01-01", "serviceTo": "2030-12-31"},
]


async def _seed(api: Api, count: int) -> None:
    documents = [
        (CREATE_CLINIC, lambda n: clinic_input(specialistId=f"dr-{n}")),
        (CREATE_COURSE, lambda n: course_input()),
        (CREATE_TOUR, lambda n: tour_input(depositAmount="20000.00")),
    ]
    for start in range(0, count, 10):
        batch = [
            api.data(documents[n % 3][0], {"input": documents[n % 3][1](n)})
            for n in range(start, min(start + 10, count))
        ]
        for created in await asyncio.gather(*batch):
            assert next(iter(created.values()))["errors"] == []


async def _statements_for_page(
    api: Api, first: int, document: str = LIST, **variables: object
) -> int:
    with api.count_statements() as statements:
        data = await api.data(document, {"first": first, **variables})
    assert len(data["bookings"]["edges"]) == first
    return len(statements)


async def test_listing_100_costs_the_same_statements_as_listing_10(api: Api) -> None:
    await _seed(api, 100)

    ten = await _statements_for_page(api, 10)
    hundred = await _statements_for_page(api, 100)

    print(f"statements: page of 10 = {ten}, page of 100 = {hundred}")
    assert ten == hundred
    assert hundred <= MAX_STATEMENTS


async def test_filtered_lists_cost_the_same_statements_for_any_page_size(api: Api) -> None:
    await _seed(api, 100)

    for where in FILTERS:
        five = await _statements_for_page(api, 5, FILTERED, filter=where)
        thirty = await _statements_for_page(api, 30, FILTERED, filter=where)

        assert (where, five) == (where, thirty)
        assert thirty <= MAX_STATEMENTS
