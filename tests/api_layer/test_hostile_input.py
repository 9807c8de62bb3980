"""Hostile text and numbers are the caller's error, never a 500, and nothing runs.

The rule: unfit text (NUL, lone surrogates, control characters other than tab and line breaks,
beyond 10,000 characters) can arrive in any argument of any operation, so it is refused for the
whole request before anything runs, as a top-level error with ``extensions.code``
(``INVALID_TEXT``, ``TEXT_TOO_LONG``) and the argument's path. Amounts are mutation input: an
unfit one is the mutation's payload error ``INVALID_AMOUNT`` naming the field, before its
transaction opens.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import httpx
import pytest

from tests.api import Api
from tests.money.factories import DISCOUNT, REQUEST_REFUND
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

NOTE = """mutation($input: AddNoteInput!) { addNote(input: $input) { errors { code field } } }"""
COUNT = "{ bookings { totalCount } }"


async def _raw(api: Api, query: str, variables: dict[str, Any]) -> httpx.Response:
    """Posted as the JSON text a hostile client may send: escaped lone surrogates, 1e309."""
    text = json.dumps({"query": query, "variables": variables}).replace('"<1e309>"', "1e309")
    return await api.client.post(
        "/graphql",
        content=text.encode(),
        headers={"Authorization": f"Bearer {api.token}", "content-type": "application/json"},
    )


async def _bookings(db: asyncpg.Connection, api: Api) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM bookings b JOIN tenants t ON t.id = b.tenant_id WHERE t.slug = $1",
        api.tenant,
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Anna\x00", "INVALID_TEXT"),
        ("Anna\ud800", "INVALID_TEXT"),
        ("An\x1bna", "INVALID_TEXT"),
        ("An\x7fna", "INVALID_TEXT"),
        ("a" * 10_001, "TEXT_TOO_LONG"),
    ],
    ids=["nul", "lone-surrogate", "escape", "delete", "too-long"],
)
async def test_unfit_text_in_a_variable_is_refused_before_anything_runs(
    api: Api, db: asyncpg.Connection, text: str, code: str
) -> None:
    response = await _raw(api, CREATE_TOUR, {"input": tour_input(customerRef=text)})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == code
    assert error["extensions"]["argument"] == "$input.customerRef"
    assert text not in error["message"]  # the caller's value is never echoed
    assert await _bookings(db, api) == 0
    created = await api.data(CREATE_TOUR, {"input": tour_input()})  # and the next one works
    assert created["createTourBooking"]["errors"] == []
    assert await _bookings(db, api) == 1


async def test_unfit_text_in_a_query_literal_is_refused(api: Api) -> None:
    body = await api.post('{ bookings(filter: {reference: "AB\\u0000"}) { totalCount } }')
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "INVALID_TEXT"
    assert body["errors"][0]["locations"] == [{"line": 1, "column": 32}]
    assert (await api.data(COUNT))["bookings"]["totalCount"] == 0


async def test_unfit_text_in_a_variable_name_key_or_idempotency_key_is_refused(api: Api) -> None:
    body = await api.post(CREATE_TOUR, {"input": tour_input(), "key": "k\x00"})
    assert body["errors"][0]["extensions"]["code"] == "INVALID_TEXT"
    assert body["errors"][0]["extensions"]["argument"] == "$key"


async def test_tabs_and_line_breaks_are_text(api: Api) -> None:
    created = await api.data(CREATE_TOUR, {"input": tour_input()})
    booking_id = created["createTourBooking"]["booking"]["id"]
    note = await api.data(NOTE, {"input": {"bookingId": booking_id, "text": "a\tb\r\nc"}})
    assert note["addNote"]["errors"] == []


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1e309", "amount is too large"),
        ("<1e309>", "is not a decimal amount"),  # a JSON number: Python reads it as infinity
        ("NaN", "finite"),
        ("-Infinity", "finite"),
        ("1000000000000", "amount is too large"),
        ("10.001", "more than 2 decimal places"),
        ("ten", "not a decimal amount"),
    ],
)
async def test_unfit_amounts_are_invalid_amount_in_every_mutation_taking_one(
    api: Api, amount: object, message: str
) -> None:
    created = await api.data(CREATE_TOUR, {"input": tour_input()})
    booking = created["createTourBooking"]["booking"]
    for document, field, values in [
        (DISCOUNT, "applyDiscount", {"bookingId": booking["id"], "reason": "r"}),
        (REQUEST_REFUND, "requestRefund", {"bookingId": booking["id"], "reason": "r"}),
    ]:
        body = (await _raw(api, document, {"input": values | {"amount": amount}})).json()
        assert "errors" not in body, body
        [error] = body["data"][field]["errors"]
        assert (error["code"], error["field"]) == ("INVALID_AMOUNT", "amount")
        assert message in error["message"]
    body = (await _raw(api, CREATE_TOUR, {"input": tour_input(depositAmount=amount)})).json()
    [error] = body["data"]["createTourBooking"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID_AMOUNT", "depositAmount")
    after = await api.data(
        "query($id: ID!) { node(id: $id) { ... on TourBooking { price { amount } } } }",
        {"id": booking["id"]},
    )
    assert after["node"]["price"]["amount"] == "120000.00"  # the discount changed nothing
