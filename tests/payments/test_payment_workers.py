"""Background workers: the poller chases pending links, the sweeper expires forgotten ones.

The worker functions are called directly, against the app's own database and gateways, as the
server's loop would call them. Other tests' rows share the database, so every assertion is
about this test's own requests, and each round starts by draining what others left due.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from payable.core.ids import from_global_id
from payable.payments import workers
from tests.api import Api
from tests.payments.factories import booking, pay_on_page, request_link
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input

OLDER_THAN = timedelta(minutes=5)


# --- helpers ----------------------------------------------------------------------------------


def _uuid(global_id: str) -> uuid.UUID:
    return from_global_id(global_id)[1]


@pytest.fixture
def drop_callbacks(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The customer pays, but the sandbox's own callback is lost."""
    monkeypatch.setattr(app.state.settings, "sandbox_callback", "drop")


async def _links(api: Api, count: int) -> list[dict[str, Any]]:
    """One pending link on each of ``count`` new clinic bookings."""
    links = []
    for _ in range(count):
        data = await api.data(CREATE_CLINIC, {"input": clinic_input()})
        payload = data["createClinicAppointment"]
        assert payload["errors"] == []
        links.append(await request_link(api, payload["booking"]["id"]))
    return links


async def _paid_but_unheard(
    api: Api, client: httpx.AsyncClient, count: int
) -> list[dict[str, Any]]:
    links = await _links(api, count)
    for link in links:
        await pay_on_page(client, link["paymentUrl"])
    return links


async def _poll(app: Any) -> int:
    return await workers.poll_pending(app.state.db, app.state.providers, older_than=OLDER_THAN)


async def _drain_poller(app: Any) -> None:
    """Look up whatever other tests left due, so the next round sees only this test's rows."""
    while await _poll(app):
        pass


async def _drain_sweeper(app: Any) -> None:
    while await workers.sweep_expired(app.state.db, app.state.providers):
        pass


async def _age(
    db: asyncpg.Connection, links: list[dict[str, Any]], column: str, by: timedelta
) -> None:
    """Set ``column`` of the links' requests to ``by`` ago."""
    await db.execute(
        f"UPDATE payment_requests SET {column} = now() - $2::interval WHERE id = ANY($1)",
        [_uuid(link["id"]) for link in links],
        by,
    )


async def _state(db: asyncpg.Connection, link: dict[str, Any]) -> dict[str, Any]:
    """The request's status, its payments' verification, and the gateway's lookup count."""
    request_id = _uuid(link["id"])
    return {
        "status": await db.fetchval(
            "SELECT status FROM payment_requests WHERE id = $1", request_id
        ),
        "verified_by": [
            r["verified_by"]
            for r in await db.fetch(
                "SELECT verified_by FROM payments WHERE payment_request_id = $1", request_id
            )
        ],
        "lookups": await db.fetchval(
            "SELECT lookups FROM sandbox_orders WHERE id = $1", uuid.UUID(link["providerOrderId"])
        ),
    }


# --- the poller -------------------------------------------------------------------------------


@pytest.mark.usefixtures("drop_callbacks")
async def test_two_pollers_verify_each_lost_payment_once(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, app: Any
) -> None:
    """Rule: pollers claim with SKIP LOCKED: each pending request is looked up by one of them."""
    links = await _paid_but_unheard(api, client, 5)
    await _drain_poller(app)
    await _age(db, links, "created_at", timedelta(minutes=10))

    counts = await asyncio.gather(_poll(app), _poll(app))

    assert sum(counts) == 5
    assert [await _state(db, link) for link in links] == [
        {"status": "PAID", "verified_by": ["STATUS_LOOKUP"], "lookups": 1}
    ] * 5
    after = await booking(api, links[0]["booking"]["id"])
    assert after["paymentStatus"] == "PAID" and after["status"] == "CONFIRMED"


@pytest.mark.usefixtures("drop_callbacks")
async def test_young_requests_are_not_looked_up(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, app: Any
) -> None:
    """Rule: a request younger than older_than is left to its callback; the poller waits."""
    [link] = await _paid_but_unheard(api, client, 1)
    await _age(db, [link], "created_at", timedelta(minutes=4))

    await _poll(app)

    assert await _state(db, link) == {"status": "PENDING", "verified_by": [], "lookups": 0}
    checked_at = await db.fetchval(
        "SELECT checked_at FROM payment_requests WHERE id = $1", _uuid(link["id"])
    )
    assert checked_at is None

    await _age(db, [link], "created_at", timedelta(minutes=6))
    await _poll(app)

    assert await _state(db, link) == {
        "status": "PAID",
        "verified_by": ["STATUS_LOOKUP"],
        "lookups": 1,
    }


async def test_a_request_just_checked_is_not_looked_up_again_at_once(
    api: Api, db: asyncpg.Connection, app: Any
) -> None:
    """Rule: a still-unpaid request is looked up again only after RECHECK_AFTER."""
    [link] = await _links(api, 1)
    await _age(db, [link], "created_at", timedelta(minutes=10))
    await _poll(app)
    assert await _state(db, link) == {"status": "PENDING", "verified_by": [], "lookups": 1}

    await _poll(app)

    assert (await _state(db, link))["lookups"] == 1

    await _age(db, [link], "checked_at", timedelta(minutes=2))
    await _poll(app)

    assert await _state(db, link) == {"status": "PENDING", "verified_by": [], "lookups": 2}


# --- the sweeper ------------------------------------------------------------------------------


async def test_two_sweepers_expire_each_forgotten_link_once(
    api: Api, db: asyncpg.Connection, app: Any
) -> None:
    """Rule: an expired pending link becomes EXPIRED with one PAYMENT_EXPIRED event by system."""
    links = await _links(api, 5)
    keep = (await _links(api, 1))[0]
    await _drain_sweeper(app)
    await _age(db, links, "expires_at", timedelta(minutes=1))

    counts = await asyncio.gather(
        workers.sweep_expired(app.state.db, app.state.providers),
        workers.sweep_expired(app.state.db, app.state.providers),
    )

    assert sum(counts) == 5
    for link in links:
        events = await db.fetch(
            "SELECT actor, data->'status'->>'old' AS old, data->'status'->>'new' AS new"
            " FROM booking_events WHERE type = 'PAYMENT_EXPIRED'"
            " AND data->>'paymentRequestId' = $1",
            str(_uuid(link["id"])),
        )
        assert [dict(e) for e in events] == [
            {"actor": "system", "old": "PENDING", "new": "EXPIRED"}
        ]
        assert (await _state(db, link))["status"] == "EXPIRED"
        after = await booking(api, link["booking"]["id"])
        assert after["paymentStatus"] == "UNPAID"
        assert after["schedule"][0]["activePaymentRequest"] is None
    assert (await _state(db, keep))["status"] == "PENDING"


async def test_sweeper_leaves_settled_requests_alone(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, app: Any
) -> None:
    """Rule: only PENDING links expire; a paid link past its expiry stays PAID."""
    [link] = await _links(api, 1)
    await pay_on_page(client, link["paymentUrl"])
    await _age(db, [link], "expires_at", timedelta(minutes=1))

    await workers.sweep_expired(app.state.db, app.state.providers)

    assert (await _state(db, link))["status"] == "PAID"
    count = await db.fetchval(
        "SELECT count(*) FROM booking_events WHERE booking_id = $1 AND type = 'PAYMENT_EXPIRED'",
        _uuid(link["booking"]["id"]),
    )
    assert count == 0


# --- a request the server can no longer look up -----------------------------------------------


@pytest.fixture
async def orphan_request(api: Api, db: asyncpg.Connection) -> AsyncIterator[uuid.UUID]:
    """A day-old pending request on a gateway this process has no credentials for (ameriabank),
    as left behind when a tenant moves off a gateway. Withdrawn afterwards, so that no other
    test's poller meets it.
    """
    data = await api.data(CREATE_CLINIC, {"input": clinic_input()})
    installment = data["createClinicAppointment"]["booking"]["schedule"][0]["id"]
    request_id = uuid.uuid4()
    await db.execute(
        """INSERT INTO payment_requests (id, tenant_id, booking_id, installment_id, currency,
               amount, status, provider, provider_order_id, payment_url, expires_at, created_at)
           SELECT $1, b.tenant_id, b.id, i.id, i.currency, i.amount_due, 'PENDING', 'ameriabank',
                  'ameria-order', 'https://ameria.example/pay', now() + interval '1 hour',
                  now() - interval '1 day'
           FROM installments i JOIN bookings b ON b.id = i.booking_id WHERE i.id = $2""",
        request_id,
        _uuid(installment),
    )
    try:
        yield request_id
    finally:
        await db.execute(
            "UPDATE payment_requests SET status = 'CANCELLED' WHERE id = $1", request_id
        )


@pytest.mark.usefixtures("drop_callbacks")
async def test_one_unreachable_gateway_does_not_stop_the_round(
    api: Api,
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
    app: Any,
    orphan_request: uuid.UUID,
) -> None:
    """Rule: a request that cannot be looked up is skipped (and noted), not fatal to the round."""
    links = await _paid_but_unheard(api, client, 2)
    await _age(db, links, "created_at", timedelta(minutes=10))

    await _poll(app)

    assert [(await _state(db, link))["status"] for link in links] == ["PAID", "PAID"]


@pytest.mark.usefixtures("drop_callbacks")
async def test_sweeper_never_expires_money_the_gateway_already_took(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, app: Any
) -> None:
    """Rule: a link the customer paid in time is not lost to expiry because its callback was."""
    [link] = await _paid_but_unheard(api, client, 1)
    await _age(db, [link], "expires_at", timedelta(minutes=1))

    await workers.sweep_expired(app.state.db, app.state.providers)
    await _age(db, [link], "created_at", timedelta(minutes=10))
    await _poll(app)

    state = await _state(db, link)
    assert state["verified_by"] == ["STATUS_LOOKUP"]
    assert state["status"] in ("PAID", "MANUAL_REVIEW")
