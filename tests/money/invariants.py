"""What must hold of one tenant's money after every step, read from the API and the database.

Each check returns the violations it found (empty when it holds), named so that a failing
example says which rule broke and on what rows.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

import asyncpg

from tests.api import Api

ZERO = Decimal("0.00")
HELD_STATES = ("HELD", "MANUAL_REVIEW")  # MANUAL_REVIEW: the name before PaymentState.HELD
CLAIMING = ("REQUESTED", "APPROVED", "PROCESSING", "SUCCEEDED")

BOOKINGS = """query($after: String) { bookings(first: 100, after: $after) {
  edges { node { id price { amount } amountPaid { amount } amountRefunded { amount }
                 balanceDue { amount } %s } }
  pageInfo { hasNextPage endCursor } } }"""


class Books:
    """One snapshot of a tenant's books, taken once per check."""

    def __init__(self, rows: dict[str, list[asyncpg.Record]], api_bookings: list[dict[str, Any]]):
        self.bookings = {r["id"]: r for r in rows["bookings"]}
        self.payments = rows["payments"]
        self.refunds = rows["refunds"]
        self.requests = rows["requests"]
        self.installments = {r["id"]: r for r in rows["installments"]}
        self.tasks = rows["tasks"]
        self.orders = {str(r["id"]): r for r in rows["orders"]}
        self.api = {node["id"]: node for node in api_bookings}


async def snapshot(api: Api, db: asyncpg.Connection, tenant_id: uuid.UUID, held: bool) -> Books:
    queries = {
        "bookings": "SELECT id, price, amount_paid, amount_refunded, status FROM bookings"
        " WHERE tenant_id = $1",
        "payments": "SELECT id, booking_id, payment_request_id, amount, state FROM payments"
        " WHERE tenant_id = $1",
        "refunds": "SELECT id, booking_id, payment_id, amount, status, requested_by, approved_by"
        " FROM refunds WHERE tenant_id = $1",
        "requests": "SELECT id, booking_id, installment_id, amount, status, provider_order_id,"
        " expires_at > now() AS live FROM payment_requests WHERE tenant_id = $1",
        "installments": "SELECT i.id, i.booking_id, i.amount_due, i.amount_paid FROM installments"
        " i JOIN bookings b ON b.id = i.booking_id WHERE b.tenant_id = $1",
        "tasks": "SELECT id, payment_id, kind, status FROM review_tasks WHERE tenant_id = $1",
        "orders": """SELECT o.id, o.captured, o.refunded,
                (SELECT coalesce(sum(amount), 0) FROM sandbox_operations s
                  WHERE s.order_id = o.id AND s.operation = 'PAYMENT') AS paid_ops,
                (SELECT coalesce(sum(amount), 0) FROM sandbox_operations s
                  WHERE s.order_id = o.id AND s.operation = 'REFUND') AS refund_ops
            FROM sandbox_orders o WHERE o.id::text IN
                (SELECT provider_order_id FROM payment_requests
                  WHERE tenant_id = $1 AND provider = 'sandbox')""",
    }
    rows = {name: await db.fetch(sql, tenant_id) for name, sql in queries.items()}
    extra = "amountHeld { amount }" if held else ""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await api.data(BOOKINGS % extra, {"after": after}))["bookings"]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    return Books(rows, nodes)


def _gid_index(books: Books) -> dict[uuid.UUID, dict[str, Any]]:
    from payable.core.ids import from_global_id

    return {from_global_id(gid)[1]: node for gid, node in books.api.items()}


def counted_is_verified(books: Books) -> list[str]:
    """Counted money (amountPaid, in the database and the API) = sum of VERIFIED payments."""
    verified: dict[uuid.UUID, Decimal] = defaultdict(lambda: ZERO)
    for p in books.payments:
        if p["state"] == "VERIFIED":
            verified[p["booking_id"]] += p["amount"]
    by_id = _gid_index(books)
    found = []
    for booking_id, b in books.bookings.items():
        api_paid = Decimal(by_id[booking_id]["amountPaid"]["amount"])
        if not b["amount_paid"] == api_paid == verified[booking_id]:
            found.append(
                f"booking {booking_id}: amount_paid {b['amount_paid']}, API {api_paid},"
                f" VERIFIED payments {verified[booking_id]}"
            )
    paid_lines: dict[uuid.UUID, Decimal] = defaultdict(lambda: ZERO)
    for line in books.installments.values():
        paid_lines[line["booking_id"]] += line["amount_paid"]
    for booking_id, b in books.bookings.items():
        if paid_lines[booking_id] != b["amount_paid"]:
            found.append(
                f"booking {booking_id}: installments record {paid_lines[booking_id]} paid,"
                f" the booking {b['amount_paid']}"
            )
    return found


def refunds_within_counted(books: Books) -> list[str]:
    """No payment gives back more than it brought; refunded (of counted money) never above
    counted. Held money sent back (RETURNED) was never counted, so it is not in amountRefunded."""
    found = []
    state = {p["id"]: p["state"] for p in books.payments}
    claimed: dict[uuid.UUID, Decimal] = defaultdict(lambda: ZERO)
    succeeded: dict[uuid.UUID, Decimal] = defaultdict(lambda: ZERO)
    for r in books.refunds:
        if r["status"] in CLAIMING:
            claimed[r["payment_id"]] += r["amount"]
        if r["status"] == "SUCCEEDED" and state[r["payment_id"]] == "VERIFIED":
            succeeded[r["booking_id"]] += r["amount"]
    for p in books.payments:
        if claimed[p["id"]] > p["amount"]:
            found.append(f"payment {p['id']} of {p['amount']}: refunds claim {claimed[p['id']]}")
    by_id = _gid_index(books)
    for booking_id, b in books.bookings.items():
        api_refunded = Decimal(by_id[booking_id]["amountRefunded"]["amount"])
        if not b["amount_refunded"] == api_refunded == succeeded[booking_id]:
            found.append(
                f"booking {booking_id}: amount_refunded {b['amount_refunded']}, API"
                f" {api_refunded}, SUCCEEDED refunds of counted payments {succeeded[booking_id]}"
            )
        if b["amount_refunded"] > b["amount_paid"]:
            found.append(
                f"booking {booking_id}: refunded {b['amount_refunded']} above counted"
                f" {b['amount_paid']}"
            )
    return found


def links_ask_at_most_what_is_owed(books: Books) -> list[str]:
    """No open link asks more than its installment (or the booking) still owes."""
    found = []
    for r in books.requests:
        if r["status"] != "PENDING" or not r["live"]:
            continue
        line = books.installments[r["installment_id"]]
        booking = books.bookings[r["booking_id"]]
        owed_line = line["amount_due"] - line["amount_paid"]
        owed_booking = booking["price"] - booking["amount_paid"]
        if r["amount"] > owed_line or r["amount"] > owed_booking:
            found.append(
                f"open link {r['id']} asks {r['amount']}; its installment owes {owed_line},"
                f" the booking {owed_booking} (booking {booking['status']})"
            )
    return found


def one_open_link_per_installment(books: Books) -> list[str]:
    per_line: dict[uuid.UUID, int] = defaultdict(int)
    for r in books.requests:
        if r["status"] == "PENDING":
            per_line[r["installment_id"]] += 1
    return [f"installment {k} has {n} pending links" for k, n in per_line.items() if n > 1]


def held_money_has_open_task(books: Books) -> list[str]:
    """Every HELD payment waits on an open task, so a person will decide about it."""
    open_for = {t["payment_id"] for t in books.tasks if t["status"] == "OPEN"}
    return [
        f"held payment {p['id']} ({p['amount']}) has no open task"
        for p in books.payments
        if p["state"] in HELD_STATES and p["id"] not in open_for
    ]


def balance_due_is_price_minus_counted(books: Books) -> list[str]:
    found = []
    by_id = _gid_index(books)
    for booking_id, b in books.bookings.items():
        node = by_id[booking_id]
        price = Decimal(node["price"]["amount"])
        paid = Decimal(node["amountPaid"]["amount"])
        due = Decimal(node["balanceDue"]["amount"])
        if price != b["price"] or due != max(price - paid, ZERO):
            found.append(f"booking {booking_id}: price {price}, counted {paid}, balanceDue {due}")
    return found


def amount_held_is_held_payments(books: Books) -> list[str]:
    held: dict[uuid.UUID, Decimal] = defaultdict(lambda: ZERO)
    for p in books.payments:
        if p["state"] in HELD_STATES:
            held[p["booking_id"]] += p["amount"]
    return [
        f"booking {booking_id}: amountHeld {node['amountHeld']['amount']}, held {held[booking_id]}"
        for booking_id, node in _gid_index(books).items()
        if "amountHeld" in node and Decimal(node["amountHeld"]["amount"]) != held[booking_id]
    ]


def approver_is_not_requester(books: Books) -> list[str]:
    """Four eyes: whoever asked for a refund of counted money does not approve it. (Returning
    held money is one decision, returnHeldPayment, by one person.)"""
    counted = {p["id"] for p in books.payments if p["state"] == "VERIFIED"}
    return [
        f"refund {r['id']} requested and approved by {r['requested_by']}"
        for r in books.refunds
        if r["status"] in ("APPROVED", "PROCESSING", "SUCCEEDED", "FAILED")
        and r["approved_by"] == r["requested_by"]
        and r["payment_id"] in counted
    ]


def gateway_ledger_is_ours(books: Books) -> list[str]:
    """Once workers have settled: what the gateway captured and refunded per order is what our
    books hold (payments in any state; SUCCEEDED refunds), and its ledger adds up."""
    ours_paid: dict[str, Decimal] = defaultdict(lambda: ZERO)
    ours_refunded: dict[str, Decimal] = defaultdict(lambda: ZERO)
    order_of_request = {r["id"]: r["provider_order_id"] for r in books.requests}
    order_of_payment = {}
    for p in books.payments:
        order = order_of_request[p["payment_request_id"]]
        order_of_payment[p["id"]] = order
        ours_paid[order] += p["amount"]
    for r in books.refunds:
        if r["status"] == "SUCCEEDED":
            ours_refunded[order_of_payment[r["payment_id"]]] += r["amount"]
    lost = set(_lost_on_closed_links(books, ours_paid))  # checked on their own, below
    found = []
    for order_id, o in books.orders.items():
        if o["captured"] != o["paid_ops"] or o["refunded"] != o["refund_ops"]:
            found.append(f"sandbox order {order_id}: its ledger disagrees with itself {dict(o)}")
        if order_id in lost:
            continue
        if (o["captured"], o["refunded"]) != (ours_paid[order_id], ours_refunded[order_id]):
            found.append(
                f"order {order_id}: gateway captured {o['captured']} refunded {o['refunded']};"
                f" our books {ours_paid[order_id]} and {ours_refunded[order_id]}"
            )
    return found


def _lost_on_closed_links(books: Books, ours_paid: dict[str, Decimal]) -> list[str]:
    """Orders the gateway captured whose link we closed (cancelled, expired) with nothing of
    that money in our books."""
    closed = {
        r["provider_order_id"]
        for r in books.requests
        if r["status"] in ("CANCELLED", "EXPIRED", "FAILED")
    }
    return [
        order_id
        for order_id, o in books.orders.items()
        if order_id in closed and o["captured"] > 0 and ours_paid[order_id] == 0
    ]


def money_on_closed_links_is_recorded(books: Books) -> list[str]:
    """Once workers have settled: money the gateway took on a link we have since closed (the
    booking was cancelled, the link withdrawn or swept) is in our books, held or counted."""
    order_of_request = {r["id"]: r["provider_order_id"] for r in books.requests}
    ours_paid: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for p in books.payments:
        ours_paid[order_of_request[p["payment_request_id"]]] += p["amount"]
    return [
        f"order {order_id}: gateway captured {books.orders[order_id]['captured']} on a closed"
        " link; our books hold nothing of it"
        for order_id in _lost_on_closed_links(books, ours_paid)
    ]


EVERY_STEP = {
    "counted_is_verified": counted_is_verified,
    "refunds_within_counted": refunds_within_counted,
    "links_ask_at_most_what_is_owed": links_ask_at_most_what_is_owed,
    "one_open_link_per_installment": one_open_link_per_installment,
    "held_money_has_open_task": held_money_has_open_task,
    "balance_due_is_price_minus_counted": balance_due_is_price_minus_counted,
    "amount_held_is_held_payments": amount_held_is_held_payments,
    "approver_is_not_requester": approver_is_not_requester,
}
