"""Who may call, what each role may do, and how tenants are kept apart and provisioned."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import jwt
import pytest

from payable.core.principal import Role
from payable.core.tokens import issue
from tests.api import Api
from tests.conftest import JWT_SECRET
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.verticals.course.factories import CREATE_COURSE, course_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

BOOKINGS = "{ bookings { totalCount edges { node { id } } } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"

CREATES = {
    "createClinicAppointment": (CREATE_CLINIC, clinic_input),
    "createCourseEnrollment": (CREATE_COURSE, course_input),
    "createTourBooking": (CREATE_TOUR, tour_input),
}


async def post(
    client: httpx.AsyncClient, query: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """POST a GraphQL document with exactly the given headers; the raw response body."""
    response = await client.post("/graphql", json={"query": query}, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()


async def tenant_rows(db: asyncpg.Connection, tenant: str) -> dict[str, int]:
    """How many rows of what a create mutation writes the tenant has."""
    row = await db.fetchrow(
        """
        SELECT (SELECT count(*) FROM bookings WHERE tenant_id = t.id) AS bookings,
               (SELECT count(*) FROM booking_events WHERE tenant_id = t.id) AS events,
               (SELECT count(*) FROM customers WHERE tenant_id = t.id) AS customers,
               (SELECT count(*) FROM idempotency_keys WHERE tenant_id = t.id) AS keys
        FROM tenants t WHERE t.slug = $1
        """,
        tenant,
    )
    assert row is not None, f"tenant {tenant} was never provisioned"
    return dict(row)


def fresh_tenant() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    values = {
        "sub": "mallory",
        "tenant": "acme",
        "role": "admin",
        "iat": now,
        "exp": now + timedelta(hours=1),
    }
    return {k: v for k, v in (values | overrides).items() if v is not None}


# --- Authentication ---------------------------------------------------------------------------


async def test_anonymous_query_is_unauthenticated(client: httpx.AsyncClient) -> None:
    """No Authorization header: a top-level UNAUTHENTICATED error and no data."""
    # When a query is posted without credentials
    body = await post(client, BOOKINGS)

    # Then it is refused at the top level
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
    assert "Authorization" in body["errors"][0]["message"]


async def test_anonymous_mutation_is_unauthenticated(client: httpx.AsyncClient) -> None:
    """Anonymous writes are refused before anything runs."""
    # When a create mutation is posted without credentials
    response = await client.post(
        "/graphql", json={"query": CREATE_TOUR, "variables": {"input": tour_input()}}
    )

    # Then it is refused at the top level
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]


def _signed_with(secret: str) -> str:
    return issue(secret=secret, tenant="acme", role=Role.ADMIN, sub="x", ttl=timedelta(hours=1))


def _expired() -> str:
    return issue(
        secret=JWT_SECRET, tenant="acme", role=Role.ADMIN, sub="x", ttl=timedelta(seconds=-60)
    )


BAD_CREDENTIALS = {
    "other-secret": lambda: "Bearer " + _signed_with("another-secret-0123456789abcdef-0123456789"),
    "expired": lambda: f"Bearer {_expired()}",
    "not-bearer": lambda: "Basic dXNlcjpwYXNz",
    "bearer-without-token": lambda: "Bearer",
    "not-a-jwt": lambda: "Bearer not.a.jwt",
    "alg-none": lambda: "Bearer " + jwt.encode(claims(), key=None, algorithm="none"),
    "no-expiry": lambda: "Bearer " + jwt.encode(claims(exp=None), JWT_SECRET, algorithm="HS256"),
    "no-tenant": lambda: "Bearer " + jwt.encode(claims(tenant=None), JWT_SECRET, algorithm="HS256"),
    "unknown-role": lambda: (
        "Bearer " + jwt.encode(claims(role="superuser"), JWT_SECRET, algorithm="HS256")
    ),
    "bad-tenant-slug": lambda: (
        "Bearer " + jwt.encode(claims(tenant="ACME Corp"), JWT_SECRET, algorithm="HS256")
    ),
}


@pytest.mark.parametrize("header", BAD_CREDENTIALS.values(), ids=BAD_CREDENTIALS.keys())
async def test_bad_credentials_are_unauthenticated_with_a_reason(
    client: httpx.AsyncClient, header: Callable[[], str]
) -> None:
    """Any unusable Authorization header is UNAUTHENTICATED, with a message saying why."""
    # When a query is posted with unusable credentials
    body = await post(client, BOOKINGS, {"Authorization": header()})

    # Then it is refused at the top level, and the message explains it
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["message"].strip()
    assert error["message"] != "Internal server error"


async def test_rejected_token_provisions_no_tenant(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Only a verified token provisions its tenant: a forged one leaves no trace."""
    # Given a token for a new tenant signed with someone else's secret
    tenant = fresh_tenant()
    forged = issue(
        secret="forged-secret-0123456789abcdef-0123456789",
        tenant=tenant,
        role=Role.ADMIN,
        sub="mallory",
        ttl=timedelta(hours=1),
    )

    # When it is used
    body = await post(client, BOOKINGS, {"Authorization": f"Bearer {forged}"})

    # Then it is refused and the tenant does not exist
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await db.fetchval("SELECT count(*) FROM tenants WHERE slug = $1", tenant) == 0


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (lambda: f"Bearer {_expired()}", "expired"),
        (lambda: "Basic dXNlcjpwYXNz", "Bearer"),
    ],
    ids=["expired", "wrong-scheme"],
)
async def test_unauthenticated_message_names_the_problem(
    client: httpx.AsyncClient, header: Callable[[], str], words: str
) -> None:
    """The message tells an expired token from a malformed header."""
    body = await post(client, BOOKINGS, {"Authorization": header()})
    assert words in body["errors"][0]["message"]


async def test_token_whose_sub_cannot_be_recorded_is_refused(api: Api) -> None:
    """Every write records the sub as actor, so a sub longer than 128 characters is refused."""
    # Given a correctly signed token whose sub is 200 characters long (`issue` refuses to make one)
    claims = {"sub": "x" * 200, "tenant": api.tenant, "role": "operator", "exp": 4102444800}
    token = jwt.encode(claims, api.secret, algorithm="HS256")

    # When it creates a booking
    response = await api.client.post(
        "/graphql",
        json={"query": CREATE_TOUR, "variables": {"input": tour_input()}},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()

    # Then the token is refused as UNAUTHENTICATED rather than failing as a server error
    assert [e.get("extensions", {}).get("code") for e in body["errors"]] == ["UNAUTHENTICATED"]


async def test_anonymous_introspection_is_allowed(client: httpx.AsyncClient) -> None:
    """GraphiQL introspects before the user pastes a token: that needs no credentials."""
    body = await post(client, "{ __schema { queryType { name } mutationType { name } } }")
    assert "errors" not in body
    assert body["data"]["__schema"] == {
        "queryType": {"name": "Query"},
        "mutationType": {"name": "Mutation"},
    }


async def test_browser_get_serves_graphiql(client: httpx.AsyncClient) -> None:
    """GET /graphql from a browser (Accept: text/html) is the GraphiQL page."""
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


# --- Tenancy ----------------------------------------------------------------------------------


async def test_other_tenants_bookings_are_invisible_in_the_list(api: Api) -> None:
    """`bookings` lists the caller's tenant only."""
    # Given a booking of tenant A
    created = await api.data(CREATE_CLINIC, {"input": clinic_input()})
    booking_id = created["createClinicAppointment"]["booking"]["id"]

    # When A and B list their bookings
    mine = (await api.data(BOOKINGS))["bookings"]
    theirs = (await api.for_tenant(fresh_tenant()).data(BOOKINGS))["bookings"]

    # Then A sees it and B sees nothing
    assert mine["totalCount"] == 1 and mine["edges"] == [{"node": {"id": booking_id}}]
    assert theirs == {"totalCount": 0, "edges": []}


@pytest.mark.parametrize(
    "pick",
    [
        lambda b: b["id"],
        lambda b: b["customer"]["id"],
        lambda b: b["policy"]["id"],
        lambda b: b["schedule"][0]["id"],
        lambda b: b["timeline"]["edges"][0]["node"]["id"],
    ],
    ids=["booking", "customer", "policy", "installment", "event"],
)
async def test_other_tenants_objects_are_null_through_node(api: Api, pick: Any) -> None:
    """`node(id:)` answers null for another tenant's ids, as for unknown ones."""
    # Given a booking of tenant A and the global id of one of its objects
    created = await api.data(CREATE_CLINIC, {"input": clinic_input()})
    global_id = pick(created["createClinicAppointment"]["booking"])

    # When A and B look it up
    mine = await api.data(NODE, {"id": global_id})
    theirs = await api.for_tenant(fresh_tenant()).data(NODE, {"id": global_id})

    # Then A finds it and B gets null
    assert mine["node"] == {"id": global_id}
    assert theirs["node"] is None


async def test_new_tenant_is_provisioned_with_default_policies(
    api: Api, db: asyncpg.Connection
) -> None:
    """The first valid token naming a tenant creates it with one default policy per kind."""
    # Given a tenant the database has never seen
    assert await db.fetchval("SELECT count(*) FROM tenants WHERE slug = $1", api.tenant) == 0

    # When its first request creates a booking
    created = await api.data(CREATE_CLINIC, {"input": clinic_input()})

    # Then the booking is under the clinic default policy, version 1, with the default terms
    assert created["createClinicAppointment"]["booking"]["policy"] | {"id": None} == {
        "id": None,
        "code": "clinic-standard",
        "version": 1,
        "freeCancellationHours": 24,
        "lateCancellationRefundPercent": 50,
        "noShowRefundPercent": 0,
    }
    # And the database holds the tenant, its three default policies and their first versions
    policies = await db.fetch(
        """
        SELECT p.kind, p.code, p.is_default, v.version, v.published_by
        FROM tenants t
        JOIN cancellation_policies p ON p.tenant_id = t.id
        JOIN cancellation_policy_versions v ON v.policy_id = p.id
        WHERE t.slug = $1 ORDER BY p.kind
        """,
        api.tenant,
    )
    assert [tuple(row) for row in policies] == [
        ("CLINIC_APPOINTMENT", "clinic-standard", True, 1, "system"),
        ("COURSE_ENROLLMENT", "course-standard", True, 1, "system"),
        ("TOUR_BOOKING", "tour-standard", True, 1, "system"),
    ]


async def test_concurrent_first_requests_provision_the_tenant_once(
    api: Api, db: asyncpg.Connection
) -> None:
    """20 simultaneous first requests of a new tenant all succeed and create it once."""
    # When a new tenant's first 20 requests arrive together
    bodies = await asyncio.gather(*(api.post(BOOKINGS) for _ in range(20)))

    # Then all succeed, and there is one tenant with three default policies
    assert [b.get("errors") for b in bodies] == [None] * 20
    assert await db.fetchval("SELECT count(*) FROM tenants WHERE slug = $1", api.tenant) == 1
    defaults = await db.fetchval(
        "SELECT count(*) FROM cancellation_policies p JOIN tenants t ON t.id = p.tenant_id"
        " WHERE t.slug = $1 AND p.is_default",
        api.tenant,
    )
    assert defaults == 3


# --- Roles ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.INTEGRATOR, Role.ACCOUNTANT])
async def test_non_staff_roles_can_read(api: Api, role: Role) -> None:
    """Integrators and accountants read the tenant's bookings."""
    # Given a booking made by an operator
    created = await api.data(CREATE_TOUR, {"input": tour_input()})
    booking_id = created["createTourBooking"]["booking"]["id"]

    # When the role lists and looks up bookings
    reader = api.as_role(role)
    listed = (await reader.data(BOOKINGS))["bookings"]
    found = await reader.data(NODE, {"id": booking_id})

    # Then it sees the booking
    assert listed["totalCount"] == 1
    assert found["node"] == {"id": booking_id}


@pytest.mark.parametrize("mutation", CREATES.keys())
@pytest.mark.parametrize("role", [Role.INTEGRATOR, Role.ACCOUNTANT])
async def test_non_staff_roles_cannot_create_bookings(
    api: Api, db: asyncpg.Connection, role: Role, mutation: str
) -> None:
    """Only admin, operator and support create bookings: others get FORBIDDEN, nothing written."""
    # Given a caller whose role may only read
    document, make_input = CREATES[mutation]
    caller = api.as_role(role)

    # When it tries to create a booking (with an idempotency key)
    body = await caller.data(document, {"input": make_input(), "key": "k-1"})

    # Then it is refused and the tenant holds nothing
    assert body[mutation]["booking"] is None
    assert [e["code"] for e in body[mutation]["errors"]] == ["FORBIDDEN"]
    assert await tenant_rows(db, api.tenant) == {
        "bookings": 0,
        "events": 0,
        "customers": 0,
        "keys": 0,
    }


@pytest.mark.parametrize("mutation", CREATES.keys())
@pytest.mark.parametrize("role", [Role.ADMIN, Role.OPERATOR, Role.SUPPORT])
async def test_staff_roles_can_create_bookings(
    api: Api, db: asyncpg.Connection, role: Role, mutation: str
) -> None:
    """Admin, operator and support create bookings of every vertical."""
    # When a staff member creates a booking
    document, make_input = CREATES[mutation]
    body = await api.as_role(role).data(document, {"input": make_input()})

    # Then it exists
    assert body[mutation]["errors"] == []
    assert body[mutation]["booking"]["status"] == "AWAITING_PAYMENT"
    assert (await tenant_rows(db, api.tenant))["bookings"] == 1


async def test_events_record_the_tokens_sub_as_actor(api: Api, db: asyncpg.Connection) -> None:
    """Every event names who acted: the token's `sub`."""
    # When alice creates a booking
    alice = api.as_role(Role.OPERATOR, sub="alice")
    created = await alice.data(CREATE_CLINIC, {"input": clinic_input()})
    booking = created["createClinicAppointment"]["booking"]

    # Then its timeline and the database name alice as the actor of its CREATED event
    [edge] = booking["timeline"]["edges"]
    assert (edge["node"]["type"], edge["node"]["actor"]) == ("CREATED", "alice")
    rows = await db.fetch(
        "SELECT e.type, e.actor FROM booking_events e JOIN tenants t ON t.id = e.tenant_id"
        " WHERE t.slug = $1",
        api.tenant,
    )
    assert [tuple(row) for row in rows] == [("CREATED", "alice")]
    assert json.loads(edge["node"]["data"])["reference"] == booking["reference"]
