"""Before measuring: every system's answer carries the same rows. Each answer is reduced to
the same plain shape (local uuids, counts of nested rows), then compared booking by booking."""

from __future__ import annotations

import base64
import uuid
from typing import Any

Answer = dict[str, Any]
NESTED = ("schedule", "open_links", "requests", "payments", "refunds", "events")


def local_id(value: str) -> str:
    """payable's global ids and PostGraphile's uuids, as the row's uuid."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        return str(uuid.UUID(raw.partition(":")[2]))


def _ids(rows: list[dict[str, Any]]) -> list[str]:
    return [local_id(row["id"]) for row in rows]


def from_payable(body: Answer) -> list[dict[str, Any]]:
    """payable's and the raw endpoint's answers (the same shape)."""
    return [
        {
            "id": local_id(n["id"]),
            "status": n["status"],
            "price": n["price"]["amount"],
            "customer": n["customer"]["externalRef"],
            "schedule": _ids(n["schedule"]),
            "open_links": sorted(
                local_id(i["activePaymentRequest"]["id"])
                for i in n["schedule"]
                if i["activePaymentRequest"]
            ),
            "requests": _ids(n["paymentRequests"]),
            "payments": _ids(n["payments"]),
            "refunds": _ids(n["refunds"]),
            "events": [e["node"]["sequence"] for e in n["timeline"]["edges"]],
        }
        for n in (edge["node"] for edge in body["data"]["bookings"]["edges"])
    ]


def from_postgraphile(body: Answer) -> list[dict[str, Any]]:
    return [
        {
            "id": n["id"],
            "status": n["status"],
            "price": n["price"],
            "customer": n["customer"]["externalRef"],
            "schedule": _ids(n["schedule"]["nodes"]),
            "open_links": sorted(
                o["id"] for i in n["schedule"]["nodes"] for o in i["open"]["nodes"]
            ),
            "requests": _ids(n["paymentRequests"]["nodes"]),
            "payments": _ids(n["payments"]["nodes"]),
            "refunds": _ids(n["refunds"]["nodes"]),
            "events": [str(e["sequence"]) for e in n["timeline"]["nodes"]],
        }
        for n in body["data"]["allBookings"]["nodes"]
    ]


def counts(rows: list[dict[str, Any]]) -> str:
    nested = ", ".join(f"{sum(len(r[key]) for r in rows)} {key}" for key in NESTED)
    return f"{len(rows)} bookings: {nested}"


def differences(reference: list[dict[str, Any]], other: list[dict[str, Any]]) -> list[str]:
    """What differs, per field, with how many bookings; empty when the rows are the same."""
    if [r["id"] for r in reference] != [r["id"] for r in other]:
        return ["not the same bookings in the same order"]
    return [
        f"{key}: {sum(a[key] != b[key] for a, b in zip(reference, other, strict=True))} bookings"
        for key in reference[0]
        if any(a[key] != b[key] for a, b in zip(reference, other, strict=True))
    ]
