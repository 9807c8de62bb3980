"""Idempotency keys: a repeated create replays the first booking instead of making a second one.

Byte-for-byte replay of the first answer is in test_idempotent_replay.py.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest

from tests.api import Api
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.verticals.course.factories import CREATE_COURSE, course_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input


@dataclass(frozen=True)
class Create:
    """One create mutation: its document, its payload field and a valid-input factory."""

    document: str
    field: str
    make_input: Callable[..., dict[str, Any]]


CLINIC = Create(CREATE_CLINIC, "createClinicAppointment", clinic_input)
COURSE = Create(CREATE_COURSE, "createCourseEnrollment", course_input)
TOUR = Create(CREATE_TOUR, "createTourBooking", tour_input)


async def create(api: Api, mutation: Create, data: dict[str, Any], key: str | None) -> dict:
    """The mutation's payload (``errors`` and ``booking``)."""
    body = await api.data(mutation.document, {"input": data, "key": key})
    return body[mutation.field]


async def counts(db: asyncpg.Connection, tenant: str) -> dict[str, int]:
    """How many bookings, booking events and idempotency keys the tenant has in the database."""
    row = await db.fetchrow(
        """
        SELECT (SELECT count(*) FROM bookings WHERE tenant_id = t.id) AS bookings,
               (SELECT count(*) FROM booking_events WHERE tenant_id = t.id) AS events,
               (SELECT count(*) FROM idempotency_keys WHERE tenant_id = t.id) AS keys
        FROM tenants t WHERE t.slug = $1
        """,
        tenant,
    )
    assert row is not None, f"tenant {tenant} was never provisioned"
    return dict(row)


def new_key() -> str:
    return f"key-{uuid.uuid4()}"


@pytest.mark.parametrize("mutation", [CLINIC, TOUR, COURSE], ids=lambda m: m.field)
async def test_repeat_with_same_key_and_input_replays_the_first_booking(
    api: Api, db: asyncpg.Connection, mutation: Create
) -> None:
    """Same key + same input: the first booking comes back and nothing new is written."""
    # Given a booking created with an idempotency key
    data, key = mutation.make_input(), new_key()
    first = await create(api, mutation, data, key)
    assert first["errors"] == []

    # When the very same request is sent again
    repeat = await create(api, mutation, data, key)

    # Then it answers with the same booking, and the database holds one booking and one event
    assert repeat["errors"] == []
    assert repeat["booking"]["id"] == first["booking"]["id"]
    assert repeat["booking"]["reference"] == first["booking"]["reference"]
    assert await counts(db, api.tenant) == {"bookings": 1, "events": 1, "keys": 1}


async def test_same_key_with_different_input_is_refused(api: Api, db: asyncpg.Connection) -> None:
    """A key belongs to one request: other input under it is IDEMPOTENCY_KEY_REUSED."""
    # Given a booking created with a key
    key = new_key()
    first = await create(api, CLINIC, clinic_input(), key)
    assert first["errors"] == []

    # When the key is sent again with another appointment
    reused = await create(api, CLINIC, clinic_input(customerRef="patient-2"), key)

    # Then it is refused on the idempotencyKey field, and nothing more is written
    assert reused["booking"] is None
    assert [(e["code"], e["field"]) for e in reused["errors"]] == [
        ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    ]
    assert await counts(db, api.tenant) == {"bookings": 1, "events": 1, "keys": 1}


async def test_same_key_for_another_mutation_is_refused(api: Api, db: asyncpg.Connection) -> None:
    """A key used by one mutation cannot be spent on another: IDEMPOTENCY_KEY_REUSED."""
    # Given a clinic appointment created with a key
    key = new_key()
    assert (await create(api, CLINIC, clinic_input(), key))["errors"] == []

    # When a tour booking is sent under the same key
    reused = await create(api, TOUR, tour_input(), key)

    # Then it is refused and no tour booking exists
    assert reused["booking"] is None
    assert [(e["code"], e["field"]) for e in reused["errors"]] == [
        ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    ]
    assert await counts(db, api.tenant) == {"bookings": 1, "events": 1, "keys": 1}


async def test_keys_are_per_tenant(api: Api, db: asyncpg.Connection) -> None:
    """Two tenants using the same key and input get a booking each."""
    # Given two tenants and one key
    other = api.for_tenant(f"t-{uuid.uuid4().hex[:12]}")
    data, key = tour_input(), new_key()

    # When both create the same tour booking under that key
    mine = await create(api, TOUR, data, key)
    theirs = await create(other, TOUR, data, key)

    # Then each tenant has its own booking
    assert mine["errors"] == [] and theirs["errors"] == []
    assert mine["booking"]["id"] != theirs["booking"]["id"]
    assert await counts(db, api.tenant) == {"bookings": 1, "events": 1, "keys": 1}
    assert await counts(db, other.tenant) == {"bookings": 1, "events": 1, "keys": 1}


async def test_a_refusal_spends_the_key(api: Api, db: asyncpg.Connection) -> None:
    """A refusal is the key's answer, as in Stripe: a corrected request needs a new key."""
    # Given a request refused by validation (the slot ends before it starts)
    key = new_key()
    valid = clinic_input()
    start = datetime.fromisoformat(valid["slotStart"])
    invalid = valid | {"slotEnd": (start - timedelta(minutes=30)).isoformat()}
    refused = await create(api, CLINIC, invalid, key)
    assert [e["code"] for e in refused["errors"]] == ["INVALID_SLOT"]

    # Then the key was stored, with nothing else
    assert await counts(db, api.tenant) == {"bookings": 0, "events": 0, "keys": 1}

    # When the corrected request is sent under the same key, then under a new one
    reused = await create(api, CLINIC, valid, key)
    corrected = await create(api, CLINIC, valid, new_key())

    # Then the same key is refused as reused, and the new key books once
    assert [(e["code"], e["field"]) for e in reused["errors"]] == [
        ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    ]
    assert reused["booking"] is None
    assert corrected["errors"] == [] and corrected["booking"]["status"] == "AWAITING_PAYMENT"
    assert await counts(db, api.tenant) == {"bookings": 1, "events": 1, "keys": 2}


async def test_repeat_of_a_refused_request_gets_the_same_refusal(
    api: Api, db: asyncpg.Connection
) -> None:
    """A refusal is remembered under its key: the repeat gets it again and nothing is written."""
    # Given a tour request refused for its participant count
    key, invalid = new_key(), tour_input(participantCount=0)
    first = await create(api, TOUR, invalid, key)

    # When it is sent again under the same key
    repeat = await create(api, TOUR, invalid, key)

    # Then both answers carry the same refusal, and only the key was written
    assert first == repeat
    assert [e["code"] for e in repeat["errors"]] == ["INVALID_PARTICIPANT_COUNT"]
    assert repeat["booking"] is None
    assert await counts(db, api.tenant) == {"bookings": 0, "events": 0, "keys": 1}


@pytest.mark.parametrize("key", ["", "k" * 256], ids=["empty", "256-chars"])
async def test_key_must_be_1_to_255_characters(api: Api, db: asyncpg.Connection, key: str) -> None:
    """An empty or over-long key is INVALID_IDEMPOTENCY_KEY and nothing is booked."""
    # When a booking is requested with an unusable key
    payload = await create(api, TOUR, tour_input(), key)

    # Then it is refused on the idempotencyKey field
    assert payload["booking"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_IDEMPOTENCY_KEY", "idempotencyKey")
    ]
    assert await counts(db, api.tenant) == {"bookings": 0, "events": 0, "keys": 0}


async def test_without_a_key_each_request_is_a_new_booking(
    api: Api, db: asyncpg.Connection
) -> None:
    """Idempotency is opt-in: two identical requests without a key book twice."""
    # When the same tour booking is sent twice without a key
    data = tour_input()
    first = await create(api, TOUR, data, None)
    second = await create(api, TOUR, data, None)

    # Then there are two bookings and no key rows
    assert first["booking"]["id"] != second["booking"]["id"]
    assert await counts(db, api.tenant) == {"bookings": 2, "events": 2, "keys": 0}


async def test_concurrent_repeats_create_exactly_one_booking(
    api: Api, db: asyncpg.Connection
) -> None:
    """20 identical requests racing with one key: one booking, and all 20 answers name it."""
    # Given a provisioned tenant (so the race is about the key, not the tenant)
    await api.data("{ bookings { totalCount } }")
    data, key = clinic_input(), new_key()

    # When 20 identical requests are sent at once
    payloads = await asyncio.gather(*(create(api, CLINIC, data, key) for _ in range(20)))

    # Then every answer is the same booking, without errors, and the database holds one
    assert [p["errors"] for p in payloads] == [[]] * 20
    assert len({p["booking"]["id"] for p in payloads}) == 1
    assert await counts(db, api.tenant) == {"bookings": 1, "events": 1, "keys": 1}


async def test_concurrent_different_inputs_under_one_key_book_once(
    api: Api, db: asyncpg.Connection
) -> None:
    """Racing requests with one key but different input: one wins, the rest are refused."""
    # Given a provisioned tenant and ten different tour requests
    await api.data("{ bookings { totalCount } }")
    key = new_key()
    inputs = [tour_input(customerRef=f"traveller-{n}") for n in range(10)]

    # When they are all sent at once under one key
    payloads = await asyncio.gather(*(create(api, TOUR, data, key) for data in inputs))

    # Then exactly one booked and the other nine were refused as a reused key
    booked = [p for p in payloads if p["booking"] is not None]
    refused = [p for p in payloads if p["booking"] is None]
    assert len(booked) == 1 and booked[0]["errors"] == []
    assert [p["errors"][0]["code"] for p in refused] == ["IDEMPOTENCY_KEY_REUSED"] * 9
    assert await counts(db, api.tenant) == {"bookings": 1, "events": 1, "keys": 1}


async def test_replay_still_checks_the_callers_role(api: Api, db: asyncpg.Connection) -> None:
    """A role that may not create bookings is FORBIDDEN, even when repeating someone's key."""
    # Given an operator's booking made under a key
    data, key = clinic_input(), new_key()
    assert (await create(api, CLINIC, data, key))["errors"] == []

    # When an integrator of the same tenant sends the same request under the same key
    replay = await create(api.as_role("integrator"), CLINIC, data, key)

    # Then it is refused like any create by that role
    assert [e["code"] for e in replay["errors"]] == ["FORBIDDEN"]
    assert replay["booking"] is None
    assert await counts(db, api.tenant) == {"bookings": 1, "events": 1, "keys": 1}
