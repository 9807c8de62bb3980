"""CRM notes: on the timeline for admin, operator and support only, never for others."""

from __future__ import annotations

from tests.api import Api
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

ADD_NOTE = """mutation($input: AddNoteInput!) { addNote(input: $input) { errors { code }
  booking { id } } }"""
TIMELINE = """query($id: ID!) { node(id: $id) { ... on PayableBooking {
  timeline { edges { node { id type data } } } } } }"""
EVENT = """query($id: ID!) { node(id: $id) { ... on BookingEvent { type } } }"""


async def test_notes_are_shown_to_staff_only(api: Api) -> None:
    # Given a booking with a note written by support
    created = await api.data(CREATE_TOUR, {"input": tour_input()})
    booking_id = created["createTourBooking"]["booking"]["id"]
    support = api.as_role("support", sub="sona")
    added = await support.data(
        ADD_NOTE, {"input": {"bookingId": booking_id, "text": "prefers WhatsApp"}}
    )
    assert added["addNote"]["errors"] == []

    # When each role reads the timeline
    seen = {}
    for role in ("admin", "operator", "support", "accountant", "integrator"):
        edges = (await api.as_role(role).data(TIMELINE, {"id": booking_id}))["node"]["timeline"][
            "edges"
        ]
        seen[role] = [e["node"] for e in edges]

    # Then staff see it (with its text); accountants and integrators see neither it nor its id
    note = next(n for n in seen["operator"] if n["type"] == "NOTE")
    assert "prefers WhatsApp" in note["data"]
    for role in ("admin", "support"):
        assert note in seen[role]
    for role in ("accountant", "integrator"):
        assert [n["type"] for n in seen[role]] == ["CREATED"]
        assert (await api.as_role(role).data(EVENT, {"id": note["id"]}))["node"] is None
