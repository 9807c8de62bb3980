"""The read executor answers exactly what graphql-core's own executor answers.

It reads plain fields itself and completes values by shape (`graphql/executor.py`); every
answer here, data and errors alike, is compared with the same request run through the stock
executor on the same data, for each role (what a role may see differs).
"""

from __future__ import annotations

import gc
from collections import Counter

import pytest

from payable.graphql.schema import schema
from payable.graphql.shared_events import SharedEventExecutor
from tests.api import Api
from tests.bookings.factories import BOOKING_FIELDS
from tests.money.factories import link_for, pay
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.verticals.course.factories import CREATE_COURSE, course_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

LIST = (
    "query($first: Int, $skip: Boolean!) { bookings(first: $first) { totalCount"
    " edges { cursor node { " + BOOKING_FIELDS + " } } pageInfo { hasNextPage endCursor } }"
    " again: bookings(first: 2) { edges { node { ...Money id @skip(if: $skip) } } } }"
    " fragment Money on PayableBooking { __typename price { amount } cost: balanceDue { amount }"
    " nextDueDate nextDueAmount { amount currency } amountHeld { amount } }"
)
# A bad cursor deep in the list: the field's error and the nulls it spreads upwards.
BAD_TIMELINE = """{ bookings(first: 3) { edges { node { reference
  timeline(after: "not-a-sequence") { edges { node { type } } } } } } }"""
BAD_SIZE = """query($first: Int) { bookings { edges { node { id
  timeline(first: $first) { pageInfo { hasNextPage } } } } } }"""
ADD_NOTE = """mutation($input: AddNoteInput!) { addNote(input: $input) { errors { code } } }"""
REQUEST_LINK = """query($id: ID!) { node(id: $id) { id ... on PaymentRequest { status
  amount { amount currency } booking { reference } installment { label status } } } }"""


async def _both(api: Api, document: str, variables: dict, monkeypatch: pytest.MonkeyPatch):
    ours = await api.post(document, variables)
    with monkeypatch.context() as patch:
        patch.setattr(schema, "execution_context_class", SharedEventExecutor)
        stock = await api.post(document, variables)
    return ours, stock


async def test_every_answer_is_graphql_cores_answer(
    api: Api, client: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a booking of each vertical, one paid through the sandbox, one with a staff note
    created = {}
    for document, input_ in (
        (CREATE_CLINIC, clinic_input()),
        (CREATE_COURSE, course_input()),
        (CREATE_TOUR, tour_input(depositAmount="20000.00")),
    ):
        answer = next(iter((await api.data(document, {"input": input_})).values()))
        created[answer["booking"]["__typename"]] = answer["booking"]["id"]
    link = await link_for(api, created["ClinicAppointment"])
    await pay(client, link)  # type: ignore[arg-type]
    noted = await api.as_role("support").data(
        ADD_NOTE, {"input": {"bookingId": created["TourBooking"], "text": "call after 6"}}
    )
    assert noted["addNote"]["errors"] == []

    cases = [
        (LIST, {"first": 10, "skip": False}),
        (LIST, {"first": 10, "skip": True}),
        (BAD_TIMELINE, {}),
        (BAD_SIZE, {"first": -1}),
        (REQUEST_LINK, {"id": link["id"]}),
    ]
    for role in ("operator", "integrator", "accountant"):
        caller = api.as_role(role)
        for document, variables in cases:
            # when: the same request runs through each executor
            ours, stock = await _both(caller, document, variables, monkeypatch)

            # then: the answers are the same, and they are real answers
            assert ours == stock, (role, document[:40])
            assert ours.get("data") is not None or ours.get("errors")

    listed = (await api.data(LIST, {"first": 10, "skip": False}))["bookings"]
    assert listed["totalCount"] == 3
    assert {edge["node"]["__typename"] for edge in listed["edges"]} == set(created)
    bad = await api.post(BAD_TIMELINE)
    assert bad["data"] is None  # a non-null timeline failed: its nulls reach the root field
    assert {error["extensions"]["code"] for error in bad["errors"]} == {"INVALID_CURSOR"}
    assert [error["path"] for error in bad["errors"]] == [
        ["bookings", "edges", 0, "node", "timeline"]
    ]


async def test_a_listed_page_leaves_nothing_for_the_garbage_collector(api: Api) -> None:
    """Rows, loaders and plans go by reference count when the request ends: the collector,
    which pauses every request in the process, never has a page of them to sweep."""
    for document, input_ in ((CREATE_CLINIC, clinic_input()), (CREATE_TOUR, tour_input())):
        await api.data(document, {"input": input_})
    await api.data(LIST, {"first": 10, "skip": False})  # warm: the schema's own caches fill
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        # when: a page is listed, then the collector looks for what only it can free
        listed = await api.data(LIST, {"first": 10, "skip": False})
        gc.collect()
        left = Counter(type(found).__qualname__ for found in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()

    # then: none of the page's rows, views, loaders or execution plans is among it
    assert len(listed["bookings"]["edges"]) == 2
    kept = ("BookingView", "Row", "DataLoader", "Loaders", "_Direct", "Shape", "FieldDetails")
    assert {name: left[name] for name in kept if left[name]} == {}
