"""Request limits: each hostile document is refused before it runs, with a stable code, and the
server answers a normal request right after. Every attack here is bounded by construction
(a linear walk, a token count, a byte count), so no wall-clock assertion is needed."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api import Api
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

NORMAL = "{ bookings(first: 5) { totalCount edges { node { id } } } }"


async def _post(api: Api, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
    return await api.client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {api.token}"},
    )


async def _refused(api: Api, query: str, code: str) -> dict[str, Any]:
    response = await _post(api, query)
    assert response.status_code == 200, response.text  # GraphQL-over-HTTP, application/json
    body = response.json()
    assert body.get("data") is None
    assert [e.get("extensions", {}).get("code") for e in body["errors"]] == [code], body
    assert (await api.data(NORMAL))["bookings"]["totalCount"] == 0  # still answering
    return body["errors"][0]


def _doubling_fragments(levels: int) -> str:
    """Each fragment spreads the next twice, one level deeper: 2^levels paths to the bottom."""
    fragments = [
        f"fragment F{i} on BookingEvent {{ booking {{ timeline {{ edges {{ node {{"
        f" ...F{i + 1} ...F{i + 1} }} }} }} }} }}"
        for i in range(levels)
    ]
    fragments.append(f"fragment F{levels} on BookingEvent {{ id }}")
    return (
        "{ bookings { edges { node { timeline { edges { node { ...F0 } } } } } } }\n"
        + "\n".join(fragments)
    )


async def test_fragments_spreading_each_other_twice_per_level_are_measured_once(api: Api) -> None:
    """Twenty levels were 6.8 s of blocked event loop; now each fragment is measured once."""
    error = await _refused(api, _doubling_fragments(20), "QUERY_TOO_DEEP")
    assert error["extensions"]["maximum"] == 12


async def test_a_thousand_levels_are_refused_without_a_recursion_error(api: Api) -> None:
    query = "{ bookings { edges { node { " + "booking { " * 1000 + "id" + " }" * 1000 + " } } } }"
    error = await _refused(api, query, "QUERY_TOO_DEEP")
    assert "recursion" not in error["message"]


async def test_deep_nesting_through_fields_is_refused(api: Api) -> None:
    nested = "id"
    for _ in range(4):
        nested = f"timeline {{ edges {{ node {{ booking {{ {nested} }} }} }} }}"
    error = await _refused(
        api, "{ bookings { edges { node { " + nested + " } } } }", "QUERY_TOO_DEEP"
    )
    assert "exceeds maximum operation depth of 12" in error["message"]


async def test_a_hundred_thousand_aliases_are_refused_by_the_token_count(api: Api) -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(100_000)) + " }"
    error = await _refused(api, query, "TOO_MANY_TOKENS")
    assert error["extensions"]["maximum"] == 5000


async def test_more_aliases_than_allowed_are_refused(api: Api) -> None:
    query = "{ bookings { edges { node { " + " ".join(f"a{i}: id" for i in range(31)) + " } } } }"
    error = await _refused(api, query, "TOO_MANY_ALIASES")
    assert error["extensions"]["maximum"] == 30


async def test_root_fields_are_limited(api: Api) -> None:
    query = "{ " + " ".join(f"b{i}: bookings(first: 1) {{ totalCount }}" for i in range(21)) + " }"
    # 21 aliases are within the alias limit (30); 21 root fields are not (20).
    await _refused(api, query, "TOO_MANY_ROOT_FIELDS")


async def test_the_same_list_many_times_is_refused_by_cost(api: Api) -> None:
    """Twenty aliases of a full bookings page with full timelines: 20 x 100 x 100 rows."""
    page = (
        "bookings(first: 100) { edges { node { timeline(first: 100) { edges { node { id } } } } } }"
    )
    query = "{ " + " ".join(f"b{i}: {page}" for i in range(20)) + " }"
    error = await _refused(api, query, "QUERY_TOO_COSTLY")
    assert error["extensions"]["maximum"] == 50_000
    assert error["extensions"]["cost"] == 20 * 100 * (1 + 1 + 1 + 100 * (1 + 1 + 1))


async def test_pages_larger_than_any_number_are_refused_by_cost(api: Api) -> None:
    """Found by fuzzing: `first` far beyond 64 bits made a cost no JSON answer could carry."""
    huge = "9" * 40
    page = f"bookings(first: {huge}) {{ edges {{ node {{ timeline(first: {huge}) {{ edges {{"
    literal = await _refused(api, "{ " + page + " node { id } } } } } } }", "QUERY_TOO_COSTLY")
    response = await _post(
        api, "query($n: Int) { bookings(first: $n) { totalCount } }", {"n": 10**30}
    )
    [variable] = response.json()["errors"]
    assert literal["extensions"]["cost"] == 2**53 - 1  # held at the largest exact JSON integer
    assert "at least 9007199254740991" in literal["message"]
    assert variable["extensions"]["code"] == "QUERY_TOO_COSTLY"


async def test_cost_is_computed_from_variables_and_reported(api: Api) -> None:
    await api.data(CREATE_TOUR, {"input": tour_input()})
    response = await _post(
        api,
        "query($n: Int) { bookings(first: $n) { edges { node {"
        " id timeline(first: 3) { edges { node { id } } } } } } }",
        {"n": 7},
    )
    body = response.json()
    assert len(body["data"]["bookings"]["edges"]) == 1
    # bookings: 7 x (1 + edges 1 + node (1 + timeline 3 x (1 + edges 1 + node 1)))
    assert body["extensions"]["cost"] == {"requested": 7 * (1 + 1 + 1 + 3 * 3), "maximum": 50_000}


async def test_a_known_document_is_measured_again_for_other_variables(api: Api) -> None:
    """What passed is remembered per document and variables: a document that passed is still
    refused with variables that make it too costly, and its cost follows the variables."""
    query = (
        "query($n: Int, $t: Int) { bookings(first: $n) { edges { node {"
        " a: timeline(first: $t) { edges { node { id } } }"
        " b: timeline(first: $t) { edges { node { id } } } } } } }"
    )
    costs = []
    for variables in ({"n": 7, "t": 3}, {"n": 7, "t": 3}, {"n": 100, "t": 100}, {"n": 2, "t": 3}):
        body = (await _post(api, query, variables)).json()
        costs.append(body.get("extensions", {}).get("cost", {}).get("requested"))
        if variables["t"] == 100:
            assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    # per booking: 1, and two timelines of 1 + 3 per event
    assert costs == [7 * (1 + 2 * (1 + 3 * 3)), 7 * 21, None, 2 * 21]
    # a literal that is unfit is refused each time, however often the same text comes
    for _ in range(2):
        await _refused(api, '{ bookings(after: "a\u0000b") { totalCount } }', "INVALID_TEXT")


async def test_introspection_still_works(api: Api) -> None:
    from graphql import get_introspection_query

    body = (await _post(api, get_introspection_query(descriptions=True))).json()
    data = body["data"]
    assert body["extensions"]["cost"]["requested"] < 50_000
    assert data["__schema"]["queryType"]["name"] == "Query"
    assert data["__schema"]["types"]


async def test_a_body_over_the_limit_is_413_before_it_is_read(api: Api) -> None:
    query = '{ bookings(filter: {reference: "' + "x" * (3 * 1024 * 1024) + '"}) { totalCount } }'
    response = await _post(api, query)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert (await api.data(NORMAL))["bookings"]["totalCount"] == 0


async def test_a_streamed_body_without_length_is_cut_off_at_the_limit(api: Api) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        yield b'{"query": "{ bookings { totalCount } }", "variables": {"x": "'
        for _ in range(40):
            yield b"y" * 65536
        yield b'"}}'

    response = await api.client.post(
        "/graphql",
        content=chunks(),
        headers={"Authorization": f"Bearer {api.token}", "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"


async def test_nested_introspection_lists_are_refused_by_cost(api: Api) -> None:
    nested = "name"
    for _ in range(6):
        nested = f"fields {{ name type {{ {nested} }} }}"
    await _refused(api, "{ __schema { types { " + nested + " } } }", "QUERY_TOO_COSTLY")
