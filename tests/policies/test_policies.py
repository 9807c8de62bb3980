"""Versioned cancellation policies: publishing, and bookings keeping the version they were
made under (their refund quotes follow that version's terms, whatever is published later).

A fresh tenant starts with "<kind>-standard" v1: free cancellation up to 24 h, 50 % later,
nothing for a no-show.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from payable.core.ids import from_global_id, to_global_id
from payable.core.principal import Role
from tests.api import Api
from tests.payments.factories import pay_on_page, request_link
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

POLICY_FIELDS = "id code version freeCancellationHours lateCancellationRefundPercent"
POLICY_FIELDS += " noShowRefundPercent"

PUBLISH = (
    "mutation($input: PublishPolicyInput!) { publishPolicy(input: $input) {"
    " errors { code field message } policy { " + POLICY_FIELDS + " } } }"
)

QUOTE = (
    "query($id: ID!) { refundQuote(bookingId: $id) {"
    " refundable { amount currency } deadline path policy { " + POLICY_FIELDS + " } } }"
)

NODE = "query($id: ID!) { node(id: $id) { __typename ... on CancellationPolicy { " + (
    POLICY_FIELDS + " } } }"
)

CANCEL = """mutation($input: CancelBookingInput!) { cancelBooking(input: $input) {
  errors { code } booking { id status } } }"""

NO_SHOW = """mutation($input: MarkNoShowInput!) { markNoShow(input: $input) {
  errors { code } booking { id status } } }"""

STANDARD = {
    "freeCancellationHours": 24,
    "lateCancellationRefundPercent": 50,
    "noShowRefundPercent": 0,
}
STRICTER = {
    "freeCancellationHours": 48,
    "lateCancellationRefundPercent": 25,
    "noShowRefundPercent": 10,
}


# --- Helpers ------------------------------------------------------------------------------------


def terms(policy: dict[str, Any]) -> dict[str, int]:
    return {key: policy[key] for key in STANDARD}


async def publish(
    api: Api, code: str, kind: str = "CLINIC_APPOINTMENT", **overrides: Any
) -> dict[str, Any]:
    values = {"kind": kind, "code": code, **STRICTER, **overrides}
    return (await api.data(PUBLISH, {"input": values}))["publishPolicy"]


async def published(api: Api, code: str, **overrides: Any) -> dict[str, Any]:
    payload = await publish(api.as_role(Role.ADMIN, sub="ada@admin"), code, **overrides)
    assert payload["errors"] == [], payload["errors"]
    return payload["policy"]


def slot_in(hours: float) -> dict[str, str]:
    start = (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0)
    return {"slotStart": start.isoformat(), "slotEnd": (start + timedelta(minutes=30)).isoformat()}


async def create_clinic(api: Api, **overrides: Any) -> dict[str, Any]:
    body = await api.data(CREATE_CLINIC, {"input": clinic_input(**overrides)})
    return body["createClinicAppointment"]


async def clinic(api: Api, **overrides: Any) -> dict[str, Any]:
    payload = await create_clinic(api, **overrides)
    assert payload["errors"] == [], payload["errors"]
    return payload["booking"]


async def paid_clinic(api: Api, client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    created = await clinic(api, **overrides)
    link = await request_link(api, created["id"])
    await pay_on_page(client, link["paymentUrl"])
    return created


async def cancel(api: Api, booking_id: str, cause: str = "CUSTOMER_REQUEST") -> None:
    variables = {"input": {"bookingId": booking_id, "reason": "customer called", "cause": cause}}
    payload = (await api.data(CANCEL, variables))["cancelBooking"]
    assert payload["errors"] == [], payload["errors"]


async def quote(api: Api, booking_id: str) -> dict[str, Any]:
    return (await api.data(QUOTE, {"id": booking_id}))["refundQuote"]


async def versions(db: asyncpg.Connection, api: Api, code: str) -> list[tuple[int, str]]:
    rows = await db.fetch(
        """SELECT v.version, v.published_by FROM cancellation_policy_versions v
           JOIN cancellation_policies p ON p.id = v.policy_id
           JOIN tenants t ON t.id = p.tenant_id
           WHERE t.slug = $1 AND p.code = $2 ORDER BY v.version""",
        api.tenant,
        code,
    )
    return [(r["version"], r["published_by"]) for r in rows]


def errors(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


# --- Publishing ---------------------------------------------------------------------------------


async def test_admin_publishes_the_next_version_of_a_policy(
    api: Api, db: asyncpg.Connection
) -> None:
    """Publishing an existing code adds version 2 with the new terms; version 1 is kept."""
    policy = await published(api, "clinic-standard")

    assert policy["code"] == "clinic-standard"
    assert policy["version"] == 2
    assert terms(policy) == STRICTER
    assert await versions(db, api, "clinic-standard") == [(1, "system"), (2, "ada@admin")]
    assert (await published(api, "clinic-standard", freeCancellationHours=12))["version"] == 3


async def test_a_new_code_starts_at_version_one(api: Api, db: asyncpg.Connection) -> None:
    """A code never published before is created with version 1."""
    policy = await published(api, "  clinic-vip  ", lateCancellationRefundPercent=100)

    assert (policy["code"], policy["version"]) == ("clinic-vip", 1)
    assert policy["lateCancellationRefundPercent"] == 100
    assert await versions(db, api, "clinic-vip") == [(1, "ada@admin")]


async def test_a_code_of_another_kind_is_refused(api: Api, db: asyncpg.Connection) -> None:
    """A policy belongs to one booking kind: publishing its code for another is
    POLICY_KIND_MISMATCH, and no version is added."""
    admin = api.as_role(Role.ADMIN)

    refused = await publish(admin, "clinic-standard", kind="TOUR_BOOKING")

    assert errors(refused) == [("POLICY_KIND_MISMATCH", "kind")]
    assert refused["policy"] is None
    assert await versions(db, api, "clinic-standard") == [(1, "system")]


async def test_a_booking_naming_a_policy_of_another_kind_is_refused(api: Api) -> None:
    """A tour cannot be booked under a clinic policy: POLICY_KIND_MISMATCH on policyCode."""
    body = await api.data(CREATE_TOUR, {"input": tour_input(policyCode="clinic-standard")})

    assert errors(body["createTourBooking"]) == [("POLICY_KIND_MISMATCH", "policyCode")]


async def test_an_unknown_policy_code_is_refused(api: Api) -> None:
    """Booking under a code that was never published: UNKNOWN_POLICY on policyCode."""
    refused = await create_clinic(api, policyCode="no-such-policy")

    assert errors(refused) == [("UNKNOWN_POLICY", "policyCode")]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("freeCancellationHours", -1),
        ("freeCancellationHours", 24 * 365 + 1),
        ("lateCancellationRefundPercent", -1),
        ("lateCancellationRefundPercent", 101),
        ("noShowRefundPercent", 101),
        ("code", "   "),
    ],
)
async def test_invalid_terms_are_refused(
    api: Api, db: asyncpg.Connection, field: str, value: object
) -> None:
    """Hours outside 0..8760, percents outside 0..100 or an empty/long code: INVALID_POLICY."""
    admin = api.as_role(Role.ADMIN)
    variables = {"kind": "CLINIC_APPOINTMENT", "code": "clinic-standard", **STRICTER}

    answer = await admin.data(PUBLISH, {"input": variables | {field: value}})

    payload = answer["publishPolicy"]
    assert errors(payload) == [("INVALID_POLICY", field)]
    assert payload["policy"] is None
    assert await versions(db, api, "clinic-standard") == [(1, "system")]


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPPORT, Role.ACCOUNTANT, Role.INTEGRATOR])
async def test_only_admins_publish(api: Api, db: asyncpg.Connection, role: Role) -> None:
    """Publishing terms is for admins: every other role is FORBIDDEN and nothing is written."""
    refused = await publish(api.as_role(role), "clinic-standard")
    brand_new = await publish(api.as_role(role), "clinic-new")

    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert [e["code"] for e in brand_new["errors"]] == ["FORBIDDEN"]
    assert await versions(db, api, "clinic-standard") == [(1, "system")]
    assert await versions(db, api, "clinic-new") == []


async def test_concurrent_publishes_of_a_code_get_distinct_versions(api: Api) -> None:
    """Admins publishing the same code at once get consecutive versions, none lost."""
    admin = api.as_role(Role.ADMIN)

    answers = await asyncio.gather(*(publish(admin, "clinic-standard") for _ in range(5)))

    assert [a["errors"] for a in answers] == [[]] * 5
    assert sorted(a["policy"]["version"] for a in answers) == [2, 3, 4, 5, 6]


@contextlib.asynccontextmanager
async def new_policies_held(db: asyncpg.Connection, waiters: int) -> AsyncIterator[None]:
    """Hold every write to cancellation_policies (reads and row locks still pass) until
    ``waiters`` transactions queue behind the hold (or behind the publisher's own advisory
    lock, which serializes publishes of one tenant and kind), then let them all go."""
    transaction = db.transaction()
    await transaction.start()
    try:
        await db.execute("LOCK TABLE cancellation_policies IN SHARE MODE")
        yield
        for _ in range(200):
            queued = await db.fetchval(
                """SELECT count(*) FROM pg_locks
                   WHERE NOT granted AND (relation = 'cancellation_policies'::regclass
                                          OR locktype = 'advisory')"""
            )
            if queued >= waiters:
                break
            await asyncio.sleep(0.05)
        assert queued >= waiters, "the publishes never reached their insert"
    finally:
        await transaction.rollback()


async def race(
    api: Api, db: asyncpg.Connection, inputs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Publish every input at once, each held at its first write to the policies until all
    are there: a reliable race instead of a lucky one."""
    admin = api.as_role(Role.ADMIN)
    await admin.data("{ bookings(first: 1) { totalCount } }")  # the tenant exists beforehand
    async with new_policies_held(db, waiters=len(inputs)):
        calls = [asyncio.create_task(admin.post(PUBLISH, {"input": i})) for i in inputs]
    return list(await asyncio.gather(*calls))


async def test_concurrent_first_publishes_of_a_new_code_get_versions_one_and_two(
    api: Api, db: asyncpg.Connection
) -> None:
    """Two admins publishing a brand new code at once: versions 1 and 2, never an error."""
    terms_of = {"kind": "CLINIC_APPOINTMENT", "code": "clinic-race", **STRICTER}

    bodies = await race(api, db, [terms_of, terms_of])

    assert [b.get("errors") for b in bodies] == [None, None]
    assert [b["data"]["publishPolicy"]["errors"] for b in bodies] == [[], []]
    assert await versions(db, api, "clinic-race") == [(1, "admin-user"), (2, "admin-user")]


async def test_concurrent_new_defaults_leave_exactly_one_default(
    api: Api, db: asyncpg.Connection
) -> None:
    """Two new defaults of one kind published at once: both published, one default wins."""
    inputs = [
        {"kind": "CLINIC_APPOINTMENT", "code": code, "makeDefault": True, **STRICTER}
        for code in ("clinic-a", "clinic-b")
    ]

    bodies = await race(api, db, inputs)

    assert [b.get("errors") for b in bodies] == [None, None]
    defaults = await db.fetchval(
        """SELECT count(*) FROM cancellation_policies p JOIN tenants t ON t.id = p.tenant_id
           WHERE t.slug = $1 AND p.kind = 'CLINIC_APPOINTMENT' AND p.is_default""",
        api.tenant,
    )
    assert defaults == 1


# --- Bookings keep their version ----------------------------------------------------------------


async def test_bookings_keep_the_version_they_were_made_under(
    api: Api, client: httpx.AsyncClient
) -> None:
    """A booking made before v2 keeps v1 and is quoted by v1's terms; one made after gets v2."""
    slot_before, slot_after = slot_in(30), slot_in(31)  # 30 h: free under v1, late under v2
    before = await paid_clinic(api, client, **slot_before)
    v2 = await published(api, "clinic-standard")
    after = await paid_clinic(api, client, **slot_after)

    assert (before["policy"]["version"], terms(before["policy"])) == (1, STANDARD)
    assert after["policy"]["id"] == v2["id"]
    assert (after["policy"]["version"], terms(after["policy"])) == (2, STRICTER)

    await cancel(api, before["id"])
    await cancel(api, after["id"])
    old_terms = await quote(api, before["id"])
    new_terms = await quote(api, after["id"])

    assert old_terms["policy"]["version"] == 1
    assert (old_terms["path"], old_terms["refundable"]["amount"]) == ("FULL", "15000.00")
    expected = datetime.fromisoformat(slot_before["slotStart"]) - timedelta(hours=24)
    assert datetime.fromisoformat(old_terms["deadline"]) == expected
    assert new_terms["policy"]["version"] == 2
    assert (new_terms["path"], new_terms["refundable"]["amount"]) == ("PARTIAL", "3750.00")
    assert new_terms["deadline"] is None


async def test_no_show_is_quoted_by_the_bookings_own_version(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """A v2 booking's no-show gets v2's no-show percent (10 %), a v1 booking's nothing."""
    before = await paid_clinic(api, client, **slot_in(50))
    await published(api, "clinic-standard")
    after = await paid_clinic(api, client, **slot_in(51))
    for created in (before, after):  # one at a time: a marked no-show frees the shared slot
        await db.execute(
            """UPDATE clinic_appointments SET slot_start = now() - interval '1 hour',
                   slot_end = now() - interval '30 minutes' WHERE booking_id = $1""",
            from_global_id(created["id"])[1],
        )
        marked = await api.data(NO_SHOW, {"input": {"bookingId": created["id"]}})
        assert marked["markNoShow"]["errors"] == []

    assert (await quote(api, before["id"]))["path"] == "NONE"
    late = await quote(api, after["id"])
    assert (late["path"], late["refundable"]["amount"]) == ("PARTIAL", "1500.00")


async def test_make_default_sends_new_bookings_to_the_new_policy(api: Api) -> None:
    """A new code published with makeDefault becomes the kind's default for new bookings."""
    before = await clinic(api)
    strict = await published(api, "clinic-strict", makeDefault=True)
    after = await clinic(api)

    assert before["policy"]["code"] == "clinic-standard"
    assert after["policy"]["id"] == strict["id"]
    assert (after["policy"]["code"], after["policy"]["version"]) == ("clinic-strict", 1)
    # The old policy is still there for anyone who names it.
    named = await clinic(api, policyCode="clinic-standard")
    assert (named["policy"]["code"], named["policy"]["version"]) == ("clinic-standard", 1)


async def test_a_named_policy_is_used_without_becoming_the_default(api: Api) -> None:
    """Published without makeDefault: used only by bookings that name it by policyCode."""
    vip = await published(api, "clinic-vip")

    named = await clinic(api, policyCode="clinic-vip")
    unnamed = await clinic(api)

    assert named["policy"]["id"] == vip["id"]
    assert (unnamed["policy"]["code"], unnamed["policy"]["version"]) == ("clinic-standard", 1)


async def test_publishing_for_one_kind_leaves_other_kinds_alone(api: Api) -> None:
    """A new clinic default does not change which policy a tour is booked under."""
    await published(api, "clinic-strict", makeDefault=True)

    body = await api.data(CREATE_TOUR, {"input": tour_input()})

    policy = body["createTourBooking"]["booking"]["policy"]
    assert (policy["code"], policy["version"]) == ("tour-standard", 1)


# --- Reading policies ---------------------------------------------------------------------------


async def test_node_resolves_a_policy_version(api: Api) -> None:
    """node(id:) on a policy version's id returns that version; another tenant sees null."""
    v1 = (await clinic(api))["policy"]
    v2 = await published(api, "clinic-standard")

    first = (await api.data(NODE, {"id": v1["id"]}))["node"]
    second = (await api.data(NODE, {"id": v2["id"]}))["node"]
    stranger = api.for_tenant(f"t-{uuid.uuid4().hex[:12]}")

    assert first == {"__typename": "CancellationPolicy", **v1}
    assert second == {"__typename": "CancellationPolicy", **v2}
    assert (await stranger.data(NODE, {"id": v2["id"]}))["node"] is None
    unknown = to_global_id("CancellationPolicy", uuid.uuid4())
    assert (await api.data(NODE, {"id": unknown}))["node"] is None


async def test_refund_quote_of_another_tenants_booking_is_not_found(api: Api) -> None:
    """refundQuote is a query: another tenant's booking is a GraphQL error NOT_FOUND, no data."""
    created = await clinic(api)
    stranger = api.for_tenant(f"t-{uuid.uuid4().hex[:12]}")

    theirs = await stranger.post(QUOTE, {"id": created["id"]})
    unknown = await api.post(QUOTE, {"id": to_global_id("ClinicAppointment", uuid.uuid4())})

    for body in (theirs, unknown):
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]
    assert (await quote(api, created["id"]))["policy"]["code"] == "clinic-standard"
