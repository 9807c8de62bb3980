"""A fourth vertical, defined only under tests/, registered in a fixture: created, paid
through the sandbox, moved to another session and refunded through the real API."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy.ext.asyncio import create_async_engine

from payable.app import create_app
from payable.core import clock
from payable.core.ids import from_global_id
from payable.core.principal import Role
from payable.graphql.schema import build_schema
from payable.settings import Settings
from payable.verticals import registry
from tests.api import Api
from tests.conftest import JWT_SECRET, SANDBOX_SECRET
from tests.payments.factories import pay_on_page, request_link
from tests.refunds.test_refunds import approve, request_refund
from tests.verticals.workshop import VERTICAL
from tests.verticals.workshop.models import KIND, WorkshopBase

CREATE = """mutation($input: CreateWorkshopSeatInput!) { createWorkshopSeat(input: $input) {
  errors { code field message } booking { id kind reference } } }"""

MOVE = """mutation($input: MoveWorkshopSeatInput!) { moveWorkshopSeat(input: $input) {
  errors { code field message } booking { id } } }"""

SEAT = """query($id: ID!) { node(id: $id) { ... on WorkshopSeat {
  kind status paymentStatus sessionId sessionDate seat
  price { amount currency } amountPaid { amount } amountRefunded { amount } balanceDue { amount }
  timeline(first: 20) { edges { node { type data } } } } } }"""

LISTED = """query($kind: BookingKind) { bookings(first: 10, kind: $kind) {
  totalCount edges { node { id kind } } } }"""

KINDS = """{ __type(name: "BookingKind") { enumValues { name } } }"""

DAY = """query($date: Date!) { dailySummary(date: $date) {
  verticals { kind payments captured { amount currency } refunds refunded { amount } } } }"""


@pytest.fixture
async def workshop(database_url: str, api: Api) -> AsyncIterator[Api]:
    """The tenant exists before the vertical does; then the one registration line, and an app
    (and schema) built with it."""
    await api.data("{ bookings(first: 1) { totalCount } }")  # provisions the tenant
    engine = create_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(WorkshopBase.metadata.create_all)
    registry.register(VERTICAL)
    try:
        settings = Settings(
            env="development",
            public_url="http://payable.test",
            workers_enabled=False,
            sandbox_webhook_secrets=[SANDBOX_SECRET],
            rate_limit_enabled=False,
        )
        app = create_app(
            database_url=database_url,
            jwt_secret=JWT_SECRET,
            settings=settings,
            graphql_schema=build_schema(),
        )
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=api.client.base_url) as c:
                yield Api(c, tenant=api.tenant, secret=JWT_SECRET, app=app)
    finally:
        registry.unregister(KIND)
        async with engine.begin() as connection:
            await connection.run_sync(WorkshopBase.metadata.drop_all)
        await engine.dispose()


def _uuid(global_id: str) -> uuid.UUID:
    return from_global_id(global_id)[1]


async def test_a_fourth_vertical_is_created_paid_moved_and_refunded(
    workshop: Api, db: asyncpg.Connection
) -> None:
    # given: the tenant predates the vertical, so it has no default policy of its kind yet
    tenant_id = await db.fetchval("SELECT id FROM tenants WHERE slug = $1", workshop.tenant)
    defaults = "SELECT count(*) FROM cancellation_policies WHERE tenant_id = $1 AND kind = $2"
    assert await db.fetchval(defaults, tenant_id, KIND) == 0
    day = clock.today() + timedelta(days=10)

    # when: a seat is booked
    created = (
        await workshop.data(
            CREATE,
            {
                "input": {
                    "customerRef": "learner-1",
                    "sessionId": "pottery-am",
                    "sessionDate": day.isoformat(),
                    "seat": "A3",
                    "price": {"amount": "30000.00", "currency": "AMD"},
                }
            },
        )
    )["createWorkshopSeat"]

    # then: a booking of the new kind, under a default policy made on first need
    assert created["errors"] == []
    booking_id = created["booking"]["id"]
    assert created["booking"]["kind"] == KIND
    assert created["booking"]["reference"].startswith("WS")
    policy = await db.fetchrow(
        """SELECT p.code, v.free_cancellation_hours, v.late_cancellation_refund_percent
           FROM bookings b JOIN cancellation_policy_versions v ON v.id = b.policy_version_id
           JOIN cancellation_policies p ON p.id = v.policy_id WHERE b.id = $1""",
        _uuid(booking_id),
    )
    assert tuple(policy) == ("workshop-standard", 48, 70)
    assert await db.fetchval(defaults, tenant_id, KIND) == 1

    # when: paid in full through the sandbox's hosted page
    link = await request_link(workshop, booking_id)
    assert link["amount"] == {"amount": "30000.00", "currency": "AMD"}
    assert link["provider"] == "sandbox"
    await pay_on_page(workshop.client, link["paymentUrl"])
    paid = (await workshop.data(SEAT, {"id": booking_id}))["node"]
    assert (paid["status"], paid["paymentStatus"]) == ("CONFIRMED", "PAID")
    assert paid["amountPaid"] == {"amount": "30000.00"}
    assert paid["balanceDue"] == {"amount": "0.00"}

    # when: moved to another session and seat (the vertical's change idiom)
    later = day + timedelta(days=7)
    move = {
        "bookingId": booking_id,
        "sessionId": "pottery-pm",
        "sessionDate": later.isoformat(),
        "seat": "B1",
        "reason": "asked for the afternoon",
    }
    moved = (await workshop.data(MOVE, {"input": move}))["moveWorkshopSeat"]
    again = (await workshop.data(MOVE, {"input": move}))["moveWorkshopSeat"]

    # then: the seat changed, the money stayed, and the event holds old and new
    assert moved["errors"] == []
    assert [e["code"] for e in again["errors"]] == ["NO_CHANGE"]
    seat = (await workshop.data(SEAT, {"id": booking_id}))["node"]
    assert (seat["sessionId"], seat["sessionDate"], seat["seat"]) == (
        "pottery-pm",
        later.isoformat(),
        "B1",
    )
    assert seat["amountPaid"] == {"amount": "30000.00"}
    change = next(
        json.loads(e["node"]["data"])
        for e in seat["timeline"]["edges"]
        if e["node"]["type"] == "RESCHEDULED"
    )
    assert change["old"] == {
        "sessionId": "pottery-am",
        "sessionDate": day.isoformat(),
        "seat": "A3",
    }
    assert change["new"] == {
        "sessionId": "pottery-pm",
        "sessionDate": later.isoformat(),
        "seat": "B1",
    }

    # when: part of the money is refunded (an operator asks, an accountant approves)
    asked = await request_refund(workshop, booking_id, "12000.00")
    approved = await approve(
        workshop.as_role(Role.ACCOUNTANT, sub="anna@accounts"), asked["refund"]["id"]
    )

    # then: the gateway returned it and the booking shows it; its status is untouched
    assert asked["errors"] == [] and approved["errors"] == []
    assert approved["refund"]["status"] == "SUCCEEDED"
    refunded = (await workshop.data(SEAT, {"id": booking_id}))["node"]
    assert refunded["amountRefunded"] == {"amount": "12000.00"}
    assert refunded["status"] == "CONFIRMED"
    sandbox = await db.fetchval(
        "SELECT refunded FROM sandbox_orders WHERE id = $1", uuid.UUID(link["providerOrderId"])
    )
    assert sandbox == Decimal("12000.00")

    # and: the public enum, the booking list and the day's figures know the kind
    kinds = (await workshop.data(KINDS))["__type"]["enumValues"]
    assert [k["name"] for k in kinds] == [
        "CLINIC_APPOINTMENT",
        "COURSE_ENROLLMENT",
        "TOUR_BOOKING",
        KIND,
    ]
    listed = (await workshop.data(LISTED, {"kind": KIND}))["bookings"]
    assert listed["totalCount"] == 1
    assert listed["edges"][0]["node"] == {"id": booking_id, "kind": KIND}
    figures = (
        await workshop.as_role(Role.ACCOUNTANT).data(DAY, {"date": clock.today().isoformat()})
    )["dailySummary"]["verticals"]
    line = next(v for v in figures if v["kind"] == KIND)
    assert line["payments"] == 1 and line["refunds"] == 1
    assert line["captured"] == [{"amount": "30000.00", "currency": "AMD"}]
    assert line["refunded"] == [{"amount": "12000.00"}]


async def test_the_database_refuses_a_kind_no_vertical_serves(
    api: Api, db: asyncpg.Connection
) -> None:
    tenant_id = await db.fetchval("SELECT id FROM tenants LIMIT 1")
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await db.execute(
            "INSERT INTO cancellation_policies (id, tenant_id, kind, code, is_default)"
            " VALUES (gen_random_uuid(), $1, 'NO_SUCH_KIND', 'nothing', false)",
            tenant_id,
        )


async def test_first_bookings_racing_create_one_default_policy(
    workshop: Api, db: asyncpg.Connection
) -> None:
    # given: a tenant that predates the vertical, and eight first bookings at once
    tenant_id = await db.fetchval("SELECT id FROM tenants WHERE slug = $1", workshop.tenant)
    day = (clock.today() + timedelta(days=5)).isoformat()
    inputs = [
        {
            "customerRef": f"learner-{n}",
            "sessionId": "weaving",
            "sessionDate": day,
            "seat": f"C{n}",
            "price": {"amount": "10000.00", "currency": "AMD"},
        }
        for n in range(8)
    ]

    # when
    answers = await asyncio.gather(*(workshop.data(CREATE, {"input": i}) for i in inputs))

    # then: every booking made, under the one default policy's one version
    assert [a["createWorkshopSeat"]["errors"] for a in answers] == [[]] * 8
    versions = await db.fetch(
        """SELECT v.id, v.version, p.code FROM cancellation_policies p
           JOIN cancellation_policy_versions v ON v.policy_id = p.id
           WHERE p.tenant_id = $1 AND p.kind = $2""",
        tenant_id,
        KIND,
    )
    assert [(v["version"], v["code"]) for v in versions] == [(1, "workshop-standard")]
    used = await db.fetch(
        "SELECT DISTINCT policy_version_id FROM bookings WHERE tenant_id = $1 AND kind = $2",
        tenant_id,
        KIND,
    )
    assert [u["policy_version_id"] for u in used] == [versions[0]["id"]]
