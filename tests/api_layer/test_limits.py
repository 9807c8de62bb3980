"""Abuse limits: page size is capped and deep queries are refused, with clear errors."""

from __future__ import annotations

from tests.api import Api
from tests.verticals.tour.factories import CREATE_TOUR, tour_input


async def test_first_above_100_is_refused(api: Api) -> None:
    body = await api.post("{ bookings(first: 101) { totalCount } }")
    assert body["errors"][0]["extensions"]["code"] == "PAGE_SIZE_TOO_LARGE"
    assert "100" in body["errors"][0]["message"]


async def test_negative_first_is_refused(api: Api) -> None:
    body = await api.post("{ bookings(first: -1) { totalCount } }")
    assert body["errors"][0]["extensions"]["code"] == "INVALID_PAGE_SIZE"


async def test_timeline_page_size_is_capped_too(api: Api) -> None:
    await api.data(CREATE_TOUR, {"input": tour_input()})
    body = await api.post(
        "{ bookings { edges { node { timeline(first: 500) { edges { cursor } } } } } }"
    )
    assert body["errors"][0]["extensions"]["code"] == "PAGE_SIZE_TOO_LARGE"


async def test_a_cursor_we_did_not_issue_is_refused(api: Api) -> None:
    body = await api.post('{ bookings(after: "not-a-cursor") { totalCount } }')
    assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"


async def test_an_event_cursor_beyond_any_sequence_is_refused(api: Api) -> None:
    """Sequences are bigints: a longer number, or digits that are not ASCII, name no event."""
    await api.data(CREATE_TOUR, {"input": tour_input()})
    for cursor in ("99999999999999999999", "9223372036854775808", "٣"):
        body = await api.post(
            "query($after: String) { bookings { edges { node { reference"
            " timeline(after: $after) { edges { cursor } } } } } }",
            {"after": cursor},
        )
        codes = {error["extensions"]["code"] for error in body["errors"]}
        assert codes == {"INVALID_CURSOR"}, (cursor, body["errors"])
        assert body["data"] is None  # non-null all the way up: nothing half-answered
    largest = await api.post(
        '{ bookings { edges { node { timeline(after: "9223372036854775807") { edges { cursor } }'
        " } } } }"
    )
    assert "errors" not in largest
    assert largest["data"]["bookings"]["edges"][0]["node"]["timeline"]["edges"] == []


async def test_deep_queries_are_refused(api: Api) -> None:
    """Nesting booking -> event -> booking ... beyond the depth limit is rejected before running."""
    nested = "id"
    for _ in range(8):
        nested = f"timeline {{ edges {{ node {{ booking {{ {nested} }} }} }} }}"
    body = await api.post("{ bookings { edges { node { " + nested + " } } } }")
    assert body.get("data") is None
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_sibling_root_fields_share_one_read_session(api: Api) -> None:
    """Root fields resolve concurrently; the request's one read session must not trip on it."""
    await api.data(CREATE_TOUR, {"input": tour_input()})
    data = await api.as_role("admin").data(
        "query($d: Date!, $m: String!) { bookings { totalCount } tasks { id }"
        " dailySummary(date: $d) { openTasks } monthClose(month: $m) { month } }",
        {"d": "2030-01-01", "m": "2030-01"},
    )
    assert data["bookings"]["totalCount"] == 1 and data["tasks"] == []
    assert data["dailySummary"]["openTasks"] == 0 and data["monthClose"]["month"] == "2030-01"
