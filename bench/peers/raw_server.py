"""The raw limit: payable's nested 100-booking answer, shaped the same way (global ids, money
as {amount, currency}), from the same eight statements payable's list runs, on asyncpg,
joined up in plain Python and encoded with orjson. No GraphQL, no auth, no ORM; the tenant
is fixed at start.

    python bench/peers/raw_server.py --dsn postgresql://… --tenant perf --port 18003
"""

from __future__ import annotations

import argparse
import base64
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

Row = asyncpg.Record
TYPE_NAMES = {
    "CLINIC_APPOINTMENT": "ClinicAppointment",
    "COURSE_ENROLLMENT": "CourseEnrollment",
    "TOUR_BOOKING": "TourBooking",
}
BOOKINGS = """SELECT b.id, b.kind, b.reference, b.status, b.payment_status, b.currency,
  b.created_at, b.price::text AS price, b.amount_paid::text AS amount_paid,
  greatest(b.price - b.amount_paid, 0)::text AS balance_due, b.customer_id, b.policy_version_id,
  c.specialist_id, c.slot_start, c.slot_end,
  e.course_id, e.period_start, e.period_end, e.access_status,
  t.tour_date, t.package_id, t.participant_count, count(*) OVER () AS total
FROM bookings b
LEFT JOIN clinic_appointments c ON c.booking_id = b.id
LEFT JOIN course_enrollments e ON e.booking_id = b.id
LEFT JOIN tour_bookings t ON t.booking_id = b.id
WHERE b.tenant_id = $1 ORDER BY b.created_at DESC, b.id DESC LIMIT 100"""
CUSTOMERS = "SELECT id, external_ref FROM customers WHERE tenant_id = $1 AND id = ANY($2)"
POLICIES = """SELECT v.id, p.code, v.version, v.free_cancellation_hours
FROM cancellation_policy_versions v JOIN cancellation_policies p ON p.id = v.policy_id
WHERE v.tenant_id = $1 AND v.id = ANY($2)"""
# Per booking, grouped by its first column.
CHILDREN = {
    "schedule": """SELECT booking_id, id, sequence, label, amount_due::text AS amount_due,
      amount_paid::text AS amount_paid, amount_paid >= amount_due AS paid, due_date, grace_days
      FROM installments WHERE booking_id = ANY($1) ORDER BY booking_id, sequence""",
    "requests": """SELECT booking_id, id, installment_id, amount::text AS amount, status, expires_at
      FROM payment_requests WHERE booking_id = ANY($1) ORDER BY created_at, id""",
    "payments": """SELECT booking_id, id, amount::text AS amount, verified_at, verified_by
      FROM payments WHERE booking_id = ANY($1) ORDER BY verified_at, id""",
    "refunds": """SELECT booking_id, id, amount::text AS amount, status
      FROM refunds WHERE booking_id = ANY($1) ORDER BY created_at, id""",
    "events": """SELECT booking_id, sequence, type, actor, occurred_at FROM (
      SELECT booking_id, sequence, type, actor, occurred_at,
        row_number() OVER (PARTITION BY booking_id ORDER BY sequence) AS position
      FROM booking_events WHERE booking_id = ANY($1)) ranked
      WHERE position <= 5 ORDER BY sequence""",
}
VERTICAL_FIELDS = {
    "ClinicAppointment": {"specialistId": "specialist_id", "slotStart": "slot_start",
                          "slotEnd": "slot_end"},
    "CourseEnrollment": {"courseId": "course_id", "periodStart": "period_start",
                         "periodEnd": "period_end", "accessStatus": "access_status"},
    "TourBooking": {"tourDate": "tour_date", "packageId": "package_id",
                    "participantCount": "participant_count"},
}  # fmt: skip


def gid(type_name: str, local: object) -> str:
    """payable's global id: base64url of "Type:uuid", unpadded."""
    return base64.urlsafe_b64encode(f"{type_name}:{local}".encode()).decode().rstrip("=")


def installment_status(row: Row, today: date) -> str:
    if row["paid"]:
        return "PAID"
    if today < row["due_date"]:
        return "UPCOMING"
    return "DUE" if today <= row["due_date"] + timedelta(days=row["grace_days"]) else "OVERDUE"


def schedule(rows: list[Row], open_links: dict[Any, Any], today: date) -> list[dict[str, Any]]:
    return [
        {"id": gid("Installment", i["id"]), "sequence": i["sequence"], "label": i["label"],
         "amountDue": {"amount": i["amount_due"]}, "amountPaid": {"amount": i["amount_paid"]},
         "dueDate": i["due_date"], "status": installment_status(i, today),
         "activePaymentRequest": ({"id": gid("PaymentRequest", open_links[i["id"]])}
                                  if i["id"] in open_links else None)}
        for i in rows
    ]  # fmt: skip


def money(type_name: str, row: Row, **fields: object) -> dict[str, Any]:
    """A payment request, payment or refund: its id and amount, then ``fields``."""
    return {"id": gid(type_name, row["id"]), "amount": {"amount": row["amount"]}, **fields}


def link_status(row: Row, now: datetime) -> str:
    """A PENDING link past its expiry reads EXPIRED, as payable shows it."""
    return "EXPIRED" if row["status"] == "PENDING" and row["expires_at"] <= now else row["status"]


def node(
    b: Row, related: dict[str, dict[Any, Row]], children: dict[str, list[Row]], now: datetime
) -> dict[str, Any]:
    type_name, requests = TYPE_NAMES[b["kind"]], children["requests"]
    customer = related["customers"][b["customer_id"]]
    policy = related["policies"][b["policy_version_id"]]
    open_links = {
        r["installment_id"]: r["id"] for r in requests if link_status(r, now) == "PENDING"
    }
    found = {
        "id": gid(type_name, b["id"]), "kind": b["kind"], "reference": b["reference"],
        "status": b["status"], "paymentStatus": b["payment_status"], "createdAt": b["created_at"],
        "price": {"amount": b["price"], "currency": b["currency"]},
        "amountPaid": {"amount": b["amount_paid"]}, "balanceDue": {"amount": b["balance_due"]},
        "customer": {"id": gid("Customer", customer["id"]),
                     "externalRef": customer["external_ref"]},
        "policy": {"id": gid("CancellationPolicy", policy["id"]), "code": policy["code"],
                   "version": policy["version"],
                   "freeCancellationHours": policy["free_cancellation_hours"]},
        "schedule": schedule(children["schedule"], open_links, now.date()),
        "paymentRequests": [money("PaymentRequest", r, status=link_status(r, now),
                                  expiresAt=r["expires_at"]) for r in requests],
        "payments": [money("Payment", p, verifiedAt=p["verified_at"],
                           verifiedBy=p["verified_by"]) for p in children["payments"]],
        "refunds": [money("Refund", r, status=r["status"]) for r in children["refunds"]],
        "timeline": {"edges": [
            {"node": {"sequence": str(e["sequence"]), "type": e["type"], "actor": e["actor"],
                      "occurredAt": e["occurred_at"]}}
            for e in children["events"]
        ]},
    }  # fmt: skip
    return found | {name: b[column] for name, column in VERTICAL_FIELDS[type_name].items()}


async def page(connection: asyncpg.Connection, tenant: Any) -> bytes:
    bookings = await connection.fetch(BOOKINGS, tenant)
    ids = [b["id"] for b in bookings]
    customers = list({b["customer_id"] for b in bookings})
    policies = list({b["policy_version_id"] for b in bookings})
    related = {
        "customers": {r["id"]: r for r in await connection.fetch(CUSTOMERS, tenant, customers)},
        "policies": {r["id"]: r for r in await connection.fetch(POLICIES, tenant, policies)},
    }
    grouped: dict[str, defaultdict[Any, list[Row]]] = {}
    for name, statement in CHILDREN.items():
        grouped[name] = defaultdict(list)
        for row in await connection.fetch(statement, ids):
            grouped[name][row["booking_id"]].append(row)
    now = datetime.now(UTC)
    edges = [
        {"node": node(b, related, {name: rows[b["id"]] for name, rows in grouped.items()}, now)}
        for b in bookings
    ]
    total = bookings[0]["total"] if bookings else 0
    return orjson.dumps({"data": {"bookings": {"totalCount": total, "edges": edges}}})


async def _keep_as_is(_connection: asyncpg.Connection) -> None:
    """Read-only statements change no session state: no reset round trip on release."""


def create_app(dsn: str, tenant_slug: str) -> Starlette:
    state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(dsn, min_size=2, max_size=10, reset=_keep_as_is)
        state["pool"] = pool
        state["tenant"] = await pool.fetchval("SELECT id FROM tenants WHERE slug = $1", tenant_slug)
        yield
        await pool.close()

    async def answer(_request: Request) -> Response:
        async with state["pool"].acquire() as connection:
            body = await page(connection, state["tenant"])
        return Response(body, media_type="application/json")

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    routes = [Route("/graphql", answer, methods=["POST"]), Route("/healthz", healthz)]
    return Starlette(routes=routes, lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--tenant", required=True, help="the tenant's slug")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = create_app(args.dsn, args.tenant)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
