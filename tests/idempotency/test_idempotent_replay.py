"""Idempotency as Stripe does it: a repeat under a key gets the first answer's exact bytes.

The first answer to a keyed mutation is stored as sent (status and body); a repeat of the same
document, operation name, variables and key returns it without running, whatever happened to
the booking since. Refusals are answers too; retryable ones and bugs are not kept.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from payable.core import ids
from payable.idempotency import responses, sweeper
from payable.providers.arca import ArcaConfig, ArcaProvider
from tests.api import Api
from tests.payments.factories import CREATE_REQUEST, booking, pay_on_page
from tests.providers.fakes.arca_gateway import CALLBACK_KEY, PASSWORD, USERNAME, FakeArca
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

CANCEL = """mutation($input: CancelBookingInput!, $key: String) {
  cancelBooking(input: $input, idempotencyKey: $key) {
  errors { code field message } booking { id status } } }"""

STATUS = """query($id: ID!) { node(id: $id) { ... on PayableBooking { status } } }"""


async def send(api: Api, document: str, variables: dict[str, Any]) -> httpx.Response:
    """The raw HTTP answer, so tests compare the exact bytes a client received."""
    return await api.client.post(
        "/graphql",
        json={"query": document, "variables": variables},
        headers={"Authorization": f"Bearer {api.token}"},
    )


def payload(response: httpx.Response, field: str) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"][field]


async def rows(db: asyncpg.Connection, tenant: str) -> dict[str, int]:
    """What the tenant holds: bookings, events, payment links, idempotency keys."""
    row = await db.fetchrow(
        """
        SELECT (SELECT count(*) FROM bookings WHERE tenant_id = t.id) AS bookings,
               (SELECT count(*) FROM booking_events WHERE tenant_id = t.id) AS events,
               (SELECT count(*) FROM payment_requests WHERE tenant_id = t.id) AS links,
               (SELECT count(*) FROM idempotency_keys WHERE tenant_id = t.id) AS keys
        FROM tenants t WHERE t.slug = $1
        """,
        tenant,
    )
    assert row is not None
    return dict(row)


async def status_of(api: Api, booking_id: str) -> str:
    return (await api.data(STATUS, {"id": booking_id}))["node"]["status"]


async def cancel(api: Api, booking_id: str) -> None:
    variables = {"input": {"bookingId": booking_id, "reason": "called", "cause": "OPERATOR"}}
    assert payload(await send(api, CANCEL, variables), "cancelBooking")["errors"] == []


def new_key() -> str:
    return f"key-{uuid.uuid4()}"


async def test_repeat_returns_the_first_answer_not_todays_booking(
    api: Api, db: asyncpg.Connection
) -> None:
    """Book under a key, cancel the booking, repeat: the first bytes, AWAITING_PAYMENT and all."""
    # Given a booking made under a key, cancelled afterwards
    variables = {"input": clinic_input(), "key": new_key()}
    first = await send(api, CREATE_CLINIC, variables)
    booking_id = payload(first, "createClinicAppointment")["booking"]["id"]
    await cancel(api, booking_id)
    assert await status_of(api, booking_id) == "CANCELLED"

    # When the very same request is sent again
    repeat = await send(api, CREATE_CLINIC, variables)

    # Then it gets the first answer byte for byte, and nothing more was booked
    assert repeat.status_code == first.status_code == 200
    assert repeat.content == first.content
    assert payload(repeat, "createClinicAppointment")["booking"]["status"] == "AWAITING_PAYMENT"
    assert await rows(db, api.tenant) == {"bookings": 1, "events": 2, "links": 0, "keys": 1}


async def test_a_paid_link_repeated_shows_its_first_answer(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """A link created under a key and then paid: the repeat still says PENDING, as it first did."""
    # Given a payment link created under a key, then paid on the sandbox page
    created = await send(api, CREATE_CLINIC, {"input": clinic_input()})
    booking_id = payload(created, "createClinicAppointment")["booking"]["id"]
    variables = {"input": {"bookingId": booking_id}, "key": new_key()}
    first = await send(api, CREATE_REQUEST, variables)
    link = payload(first, "createPaymentRequest")["paymentRequest"]
    assert link["status"] == "PENDING"
    await pay_on_page(client, link["paymentUrl"])
    paid = await booking(api, booking_id)
    assert paid["paymentRequests"] == [{"id": link["id"], "status": "PAID"}]

    # When the link request is repeated under its key
    repeat = await send(api, CREATE_REQUEST, variables)

    # Then the first answer comes back as it was, and no second link exists
    assert repeat.content == first.content
    assert payload(repeat, "createPaymentRequest")["paymentRequest"]["status"] == "PENDING"
    assert (await rows(db, api.tenant))["links"] == 1


async def test_other_variables_under_a_key_are_refused_and_the_first_answer_stays(
    api: Api, db: asyncpg.Connection
) -> None:
    """Other input under a used key is IDEMPOTENCY_KEY_REUSED; the key still answers as first."""
    # Given a booking made under a key, cancelled afterwards
    key = new_key()
    original = {"input": clinic_input(), "key": key}
    first = await send(api, CREATE_CLINIC, original)
    booking_id = payload(first, "createClinicAppointment")["booking"]["id"]
    await cancel(api, booking_id)
    before = await rows(db, api.tenant)

    # When another appointment is sent under the same key
    other = {"input": clinic_input(customerRef="patient-2"), "key": key}
    reused = payload(await send(api, CREATE_CLINIC, other), "createClinicAppointment")

    # Then it is refused and changes nothing; the original request still gets its first bytes
    assert reused["booking"] is None
    assert [(e["code"], e["field"]) for e in reused["errors"]] == [
        ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    ]
    assert (
        await rows(db, api.tenant)
        == before
        == {
            "bookings": 1,
            "events": 2,
            "links": 0,
            "keys": 1,
        }
    )
    assert (await send(api, CREATE_CLINIC, original)).content == first.content


async def test_twenty_concurrent_repeats_run_once_and_get_the_same_bytes(
    api: Api, db: asyncpg.Connection
) -> None:
    """20 identical keyed requests at once: one booking, one answer, still sent after a cancel."""
    # Given a provisioned tenant (so the race is about the key, not the tenant)
    await api.data("{ bookings { totalCount } }")
    variables = {"input": clinic_input(), "key": new_key()}

    # When 20 identical requests are sent at once
    answers = await asyncio.gather(*(send(api, CREATE_CLINIC, variables) for _ in range(20)))

    # Then one booking was made and every answer is the same bytes
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert payload(answers[0], "createClinicAppointment")["errors"] == []
    assert await rows(db, api.tenant) == {"bookings": 1, "events": 1, "links": 0, "keys": 1}

    # And after the booking is cancelled a further repeat still gets those bytes
    booking_id = payload(answers[0], "createClinicAppointment")["booking"]["id"]
    await cancel(api, booking_id)
    assert (await send(api, CREATE_CLINIC, variables)).content == answers[0].content


async def test_a_refusal_repeated_returns_the_same_refusal_bytes(
    api: Api, db: asyncpg.Connection
) -> None:
    """SLOT_TAKEN under a key stays the key's answer, even once the slot is free again."""
    # Given a slot taken by a booking, and a keyed request for the same slot, refused
    slot = clinic_input()
    taken = await send(api, CREATE_CLINIC, {"input": slot})
    holder = payload(taken, "createClinicAppointment")["booking"]["id"]
    variables = {"input": slot | {"customerRef": "patient-2"}, "key": new_key()}
    first = await send(api, CREATE_CLINIC, variables)
    refused = payload(first, "createClinicAppointment")
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("SLOT_TAKEN", "slotStart")]

    # When the slot is freed and the refused request is repeated
    await cancel(api, holder)
    repeat = await send(api, CREATE_CLINIC, variables)

    # Then it gets the same refusal bytes and books nothing
    assert repeat.content == first.content
    assert await rows(db, api.tenant) == {"bookings": 1, "events": 2, "links": 0, "keys": 1}


async def test_a_replay_never_answers_a_caller_who_may_not_act(
    api: Api, db: asyncpg.Connection
) -> None:
    """An integrator repeating an operator's keyed request is FORBIDDEN, not sent the answer;
    support, who may create bookings, gets the first answer's bytes."""
    # Given an operator's booking made under a key, cancelled afterwards
    variables = {"input": clinic_input(), "key": new_key()}
    first = await send(api, CREATE_CLINIC, variables)
    await cancel(api, payload(first, "createClinicAppointment")["booking"]["id"])

    # When an integrator and then support send the same request
    integrator = await send(api.as_role("integrator"), CREATE_CLINIC, variables)
    support = await send(api.as_role("support"), CREATE_CLINIC, variables)

    # Then the integrator is refused (and audited) without the booking; support gets the bytes
    refused = payload(integrator, "createClinicAppointment")
    assert refused["booking"] is None
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    audited = await db.fetch(
        "SELECT role, outcome FROM audit_log a JOIN tenants t ON t.id = a.tenant_id"
        " WHERE t.slug = $1 AND operation = 'createClinicAppointment'",
        api.tenant,
    )
    assert [(r["role"], r["outcome"]) for r in audited] == [("integrator", "FORBIDDEN")]
    assert support.content == first.content
    assert await rows(db, api.tenant) == {"bookings": 1, "events": 2, "links": 0, "keys": 1}


async def test_another_selection_under_the_key_replays_by_result(
    api: Api, db: asyncpg.Connection
) -> None:
    """Same input and key, another document: no second booking; today's booking is shown."""
    # Given a booking made under a key, cancelled afterwards
    variables = {"input": clinic_input(), "key": new_key()}
    first = await send(api, CREATE_CLINIC, variables)
    booking_id = payload(first, "createClinicAppointment")["booking"]["id"]
    await cancel(api, booking_id)

    # When the same input and key come with a smaller selection
    small = (
        "mutation($input: CreateClinicAppointmentInput!, $key: String) {"
        " createClinicAppointment(input: $input, idempotencyKey: $key) {"
        " errors { code } booking { id status } } }"
    )
    again = payload(await send(api, small, variables), "createClinicAppointment")

    # Then the first booking is answered as it stands now, and nothing new was booked
    assert again == {"errors": [], "booking": {"id": booking_id, "status": "CANCELLED"}}
    assert (await rows(db, api.tenant))["bookings"] == 1


async def test_without_its_stored_answer_a_key_replays_by_result(
    api: Api, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash between commit and storing the answer: the repeat waits, then replays by id."""
    # Given a keyed booking whose stored answer was lost, then cancelled
    monkeypatch.setattr(responses, "WAIT_SECONDS", 0.3)
    key = new_key()
    variables = {"input": clinic_input(), "key": key}
    first = await send(api, CREATE_CLINIC, variables)
    booking_id = payload(first, "createClinicAppointment")["booking"]["id"]
    await db.execute(
        "UPDATE idempotency_keys SET response_status = NULL, response_body = NULL WHERE key = $1",
        key,
    )
    await cancel(api, booking_id)

    # When the request is repeated
    repeat = payload(await send(api, CREATE_CLINIC, variables), "createClinicAppointment")

    # Then it answers with the same booking as it stands, books nothing, and stops waiting
    assert (repeat["booking"]["id"], repeat["booking"]["status"]) == (booking_id, "CANCELLED")
    assert await rows(db, api.tenant) == {"bookings": 1, "events": 2, "links": 0, "keys": 1}
    assert await db.fetchval("SELECT fingerprint FROM idempotency_keys WHERE key = $1", key) is None


async def test_a_key_past_its_retention_is_new(api: Api, db: asyncpg.Connection) -> None:
    """Keys are kept 24 hours; an expired key runs the request anew, and the sweeper deletes it."""
    # Given a keyed booking whose key is 25 hours old, and a fresh key
    old, fresh = new_key(), new_key()
    old_vars = {"input": tour_input(), "key": old}
    first = await send(api, CREATE_TOUR, old_vars)
    await send(api, CREATE_TOUR, {"input": tour_input(), "key": fresh})
    kept = await db.fetchval(
        "SELECT expires_at - created_at FROM idempotency_keys WHERE key = $1", old
    )
    assert kept.total_seconds() == 24 * 3600
    await db.execute(
        "UPDATE idempotency_keys SET created_at = created_at - interval '25 hours',"
        " expires_at = expires_at - interval '25 hours' WHERE key = $1",
        old,
    )

    # When the old request is repeated
    again = await send(api, CREATE_TOUR, old_vars)

    # Then it ran anew: a second booking, and the key now holds the new answer
    assert again.content != first.content
    first_id = payload(first, "createTourBooking")["booking"]["id"]
    assert payload(again, "createTourBooking")["booking"]["id"] != first_id
    assert await rows(db, api.tenant) == {"bookings": 3, "events": 3, "links": 0, "keys": 2}

    # And the sweeper deletes expired keys only
    await db.execute(
        "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1", old
    )
    assert await sweeper.sweep(db=api.app.state.db) >= 1
    left = await db.fetch("SELECT key FROM idempotency_keys WHERE key = ANY($1)", [old, fresh])
    assert [r["key"] for r in left] == [fresh]


@pytest.fixture
async def arca(api: Api, app: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeArca]:
    """This test's tenant pays through a fake ArCa, whose timeouts are PROVIDER_UNAVAILABLE."""
    fake = FakeArca()
    transport = httpx.ASGITransport(app=fake.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://arca.test") as http:
        config = ArcaConfig("http://arca.test/payment/rest", USERNAME, PASSWORD, CALLBACK_KEY, 0.5)
        monkeypatch.setitem(app.state.providers.__dict__, "arca", ArcaProvider(config, http))
        monkeypatch.setitem(app.state.settings.tenant_providers, api.tenant, "arca")
        yield fake


async def test_a_retryable_refusal_does_not_spend_the_key(
    api: Api, db: asyncpg.Connection, arca: FakeArca
) -> None:
    """PROVIDER_UNAVAILABLE is "try again", not "no": the retry under the key creates the link."""
    # Given a keyed link request that timed out at the gateway
    created = await send(api, CREATE_CLINIC, {"input": clinic_input()})
    booking_id = payload(created, "createClinicAppointment")["booking"]["id"]
    variables = {"input": {"bookingId": booking_id}, "key": new_key()}
    arca.slow(2)
    timed_out = payload(await send(api, CREATE_REQUEST, variables), "createPaymentRequest")
    assert [e["code"] for e in timed_out["errors"]] == ["PROVIDER_UNAVAILABLE"]
    assert (await rows(db, api.tenant))["keys"] == 0

    # When the gateway is back and the request is retried under the same key
    arca.slow(0)
    retried = payload(await send(api, CREATE_REQUEST, variables), "createPaymentRequest")

    # Then the link is created once
    assert retried["errors"] == []
    _, local = ids.from_global_id(booking_id)
    assert (
        await db.fetchval("SELECT count(*) FROM payment_requests WHERE booking_id = $1", local) == 1
    )
    assert (await rows(db, api.tenant))["keys"] == 1


async def test_two_keyed_mutations_in_one_request_replay_by_result(
    api: Api, db: asyncpg.Connection
) -> None:
    """One answer for two keys is no key's own answer: no bytes are kept, each key replays its
    booking (as it stands) and nothing is booked twice."""
    # Given one request booking two tours, each under its own key
    document = (
        "mutation($a: CreateTourBookingInput!, $b: CreateTourBookingInput!, $ka: String,"
        " $kb: String) {"
        " a: createTourBooking(input: $a, idempotencyKey: $ka) { errors { code } booking { id } }"
        " b: createTourBooking(input: $b, idempotencyKey: $kb) { errors { code } booking { id } }"
        " }"
    )
    keys = [new_key(), new_key()]
    variables = {
        "a": tour_input(customerRef="traveller-a"),
        "b": tour_input(customerRef="traveller-b"),
        "ka": keys[0],
        "kb": keys[1],
    }
    first = await send(api, document, variables)

    # When it is repeated
    repeat = await send(api, document, variables)

    # Then the same two bookings answer, two exist, and no answer bytes were kept
    assert repeat.json() == first.json()
    assert first.json()["data"]["a"]["booking"]["id"] != first.json()["data"]["b"]["booking"]["id"]
    assert (await rows(db, api.tenant))["bookings"] == 2
    kept = await db.fetch(
        "SELECT fingerprint, response_body FROM idempotency_keys WHERE key = ANY($1)", keys
    )
    assert [tuple(r) for r in kept] == [(None, None), (None, None)]
