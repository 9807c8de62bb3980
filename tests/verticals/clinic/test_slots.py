"""No two live appointments of one specialist overlap.

The rule is PostgreSQL's exclusion constraint ex_clinic_appointments_specialist_slot (gist over
the specialist's key and tstzrange(slot_start, slot_end), only WHERE slot_held). The API surfaces
a refusal as the payload error SLOT_TAKEN on field slotStart, and a refused attempt rolls back
everything it wrote.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from tests.api import Api
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input

_day_counter = iter(range(1, 10**6))


def fresh_slot(minutes: int = 60) -> tuple[datetime, datetime]:
    """A slot on a day of its own (far from clinic_input's hourly slots)."""
    start = datetime(2035, 1, 1, 9, tzinfo=UTC) + timedelta(days=next(_day_counter))
    return start, start + timedelta(minutes=minutes)


def slot_input(start: datetime, end: datetime, **overrides: Any) -> dict[str, Any]:
    return clinic_input(slotStart=start.isoformat(), slotEnd=end.isoformat(), **overrides)


async def book(api: Api, start: datetime, end: datetime, **overrides: Any) -> dict[str, Any]:
    """The createClinicAppointment payload (errors and booking)."""
    body = await api.data(CREATE_CLINIC, {"input": slot_input(start, end, **overrides)})
    return body["createClinicAppointment"]


def assert_booked(payload: dict[str, Any]) -> None:
    assert payload["errors"] == [], payload["errors"]
    assert payload["booking"]["__typename"] == "ClinicAppointment"


def assert_slot_taken(payload: dict[str, Any]) -> None:
    assert payload["booking"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("SLOT_TAKEN", "slotStart")]


async def tenant_counts(db: asyncpg.Connection, tenant: str) -> dict[str, int]:
    """How many bookings, installments, appointments and events the tenant holds."""
    row = await db.fetchrow(
        """SELECT
             (SELECT count(*) FROM bookings b WHERE b.tenant_id = t.id) AS bookings,
             (SELECT count(*) FROM installments i JOIN bookings b ON b.id = i.booking_id
               WHERE b.tenant_id = t.id) AS installments,
             (SELECT count(*) FROM clinic_appointments a JOIN bookings b ON b.id = a.booking_id
               WHERE b.tenant_id = t.id) AS appointments,
             (SELECT count(*) FROM booking_events e WHERE e.tenant_id = t.id) AS events,
             (SELECT count(*) FROM booking_events e WHERE e.tenant_id = t.id
               AND e.type = 'CREATED') AS created_events
           FROM tenants t WHERE t.slug = $1""",
        tenant,
    )
    assert row is not None
    return dict(row)


async def test_overlapping_slot_of_one_specialist_is_refused(api: Api) -> None:
    """A slot that overlaps a live appointment of the same specialist is SLOT_TAKEN."""
    start, end = fresh_slot(minutes=60)
    assert_booked(await book(api, start, end))

    overlapping = await book(api, start + timedelta(minutes=30), end + timedelta(minutes=30))

    assert_slot_taken(overlapping)


@pytest.mark.parametrize(
    ("offset", "length"),
    [
        pytest.param(timedelta(0), timedelta(minutes=60), id="same-slot"),
        pytest.param(timedelta(minutes=10), timedelta(minutes=10), id="inside"),
        pytest.param(timedelta(minutes=-30), timedelta(minutes=120), id="around"),
        pytest.param(timedelta(minutes=-30), timedelta(minutes=31), id="one-minute-overlap"),
    ],
)
async def test_every_kind_of_overlap_is_refused(
    api: Api, offset: timedelta, length: timedelta
) -> None:
    """Identical, contained, containing and barely-overlapping slots are all refused."""
    start, end = fresh_slot(minutes=60)
    assert_booked(await book(api, start, end))

    attempt = await book(api, start + offset, start + offset + length)

    assert_slot_taken(attempt)


async def test_touching_slots_are_allowed(api: Api) -> None:
    """Ranges are half-open: a slot may start exactly when the previous one ends."""
    start, end = fresh_slot(minutes=30)
    assert_booked(await book(api, start, end))

    assert_booked(await book(api, end, end + timedelta(minutes=30)))
    assert_booked(await book(api, start - timedelta(minutes=30), start))


async def test_same_time_with_another_specialist_is_allowed(api: Api) -> None:
    """The exclusion is per specialist: another specialist is free at the same time."""
    start, end = fresh_slot()
    assert_booked(await book(api, start, end, specialistId="dr-1"))

    assert_booked(await book(api, start, end, specialistId="dr-2"))


async def test_same_specialist_id_in_another_tenant_is_allowed(api: Api) -> None:
    """Specialist ids are per tenant: another tenant's 'dr-1' is somebody else."""
    start, end = fresh_slot()
    assert_booked(await book(api, start, end, specialistId="dr-1"))
    other = api.for_tenant(f"t-{uuid.uuid4().hex[:12]}")

    assert_booked(await book(other, start, end, specialistId="dr-1"))


async def test_released_slot_can_be_booked_again(api: Api, db: asyncpg.Connection) -> None:
    """Once an appointment stops holding its slot (cancellation), the slot is free again."""
    start, end = fresh_slot()
    first = await book(api, start, end)
    assert_booked(first)
    assert_slot_taken(await book(api, start, end))

    await db.execute(
        """UPDATE clinic_appointments a SET slot_held = false
           FROM bookings b JOIN tenants t ON t.id = b.tenant_id
           WHERE a.booking_id = b.id AND t.slug = $1 AND b.reference = $2""",
        api.tenant,
        first["booking"]["reference"],
    )

    assert_booked(await book(api, start, end))


async def test_refused_attempt_leaves_nothing_behind(api: Api, db: asyncpg.Connection) -> None:
    """SLOT_TAKEN rolls back the booking, its installments, details and CREATED event."""
    start, end = fresh_slot()
    assert_booked(await book(api, start, end))
    before = await tenant_counts(db, api.tenant)

    assert_slot_taken(await book(api, start, end, customerRef="patient-late"))

    assert await tenant_counts(db, api.tenant) == before
    customers = await db.fetchval(
        """SELECT count(*) FROM customers c JOIN tenants t ON t.id = c.tenant_id
           WHERE t.slug = $1 AND c.external_ref = 'patient-late'""",
        api.tenant,
    )
    assert customers == 0


@pytest.mark.parametrize("specialist_known", [False, True], ids=["new-specialist", "known"])
async def test_concurrent_requests_for_one_slot_book_it_once(
    api: Api, db: asyncpg.Connection, specialist_known: bool
) -> None:
    """10 overlapping requests at once: exactly one wins, nine get SLOT_TAKEN, nothing leaks.

    With a new specialist the requests also race to create the specialist row; with a known
    one they go straight for the exclusion constraint against each other's uncommitted rows.
    """
    start, end = fresh_slot(minutes=60)
    earlier: list[int] = []
    if specialist_known:
        warm_up = await book(api, start - timedelta(days=1), end - timedelta(days=1))
        assert_booked(warm_up)
        earlier.append(1)
    attempts = [
        slot_input(
            start + timedelta(minutes=5 * n),
            end + timedelta(minutes=5 * n),
            customerRef=f"patient-{n}",
        )
        for n in range(10)
    ]

    payloads = [
        body["createClinicAppointment"]
        for body in await asyncio.gather(
            *(api.data(CREATE_CLINIC, {"input": attempt}) for attempt in attempts)
        )
    ]

    winners = [p for p in payloads if p["booking"] is not None]
    losers = [p for p in payloads if p["booking"] is None]
    assert len(winners) == 1
    assert len(losers) == 9
    for payload in losers:
        assert_slot_taken(payload)
    counts = await tenant_counts(db, api.tenant)
    expected = 1 + len(earlier)
    assert counts == {
        "bookings": expected,
        "installments": expected,
        "appointments": expected,
        "events": expected,
        "created_events": expected,
    }


async def test_appointment_cannot_hold_another_tenants_specialist(
    api: Api, db: asyncpg.Connection
) -> None:
    """An appointment's specialist belongs to the appointment's tenant."""
    start, end = fresh_slot()
    ours = await book(api, start, end, specialistId="dr-1")
    assert_booked(ours)
    other = api.for_tenant(f"t-{uuid.uuid4().hex[:12]}")
    assert_booked(await book(other, start + timedelta(days=1), end + timedelta(days=1)))
    their_key = await db.fetchval(
        """SELECT s.key FROM clinic_specialists s JOIN tenants t ON t.id = s.tenant_id
           WHERE t.slug = $1 AND s.external_id = 'dr-1'""",
        other.tenant,
    )
    assert their_key is not None
    transaction = db.transaction()
    await transaction.start()
    try:
        with pytest.raises(asyncpg.IntegrityConstraintViolationError):
            await db.execute(
                """UPDATE clinic_appointments a SET specialist_key = $3
                   FROM bookings b JOIN tenants t ON t.id = b.tenant_id
                   WHERE a.booking_id = b.id AND t.slug = $1 AND b.reference = $2""",
                api.tenant,
                ours["booking"]["reference"],
                their_key,
            )
    finally:
        await transaction.rollback()
