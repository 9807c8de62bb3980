"""Seed a tenant through payable's own API: bookings of the three verticals, links paid on the
sandbox gateway's page (its signed callback verifies them), open links, refunds approved or
only requested, notes and reschedules. What each booking gets depends only on its number,
so every slice of the creation order (the list reads the newest 100) has the same mix."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

_PAYLOAD = "{ booking { id } errors { code } }"
CREATE = {
    "clinic": ("createClinicAppointment", "CreateClinicAppointmentInput"),
    "course": ("createCourseEnrollment", "CreateCourseEnrollmentInput"),
    "tour": ("createTourBooking", "CreateTourBookingInput"),
}
LINK = """mutation($i: CreatePaymentRequestInput!) { createPaymentRequest(input: $i) {
  paymentRequest { paymentUrl } errors { code } } }"""
REFUND = """mutation($i: RequestRefundInput!) { requestRefund(input: $i) {
  refund { id } errors { code } } }"""
APPROVE = (
    """mutation($id: ID!) { approveRefund(refundId: $id) { refund { id } errors { code } } }"""
)
NOTE = """mutation($i: AddNoteInput!) { addNote(input: $i) { booking { id } errors { code } } }"""
RESCHEDULE = """mutation($i: RescheduleAppointmentInput!) { rescheduleAppointment(input: $i) {
  booking { id } errors { code } } }"""
WEEK_MINUTES = 7 * 24 * 60  # open links stay open (not EXPIRED) for the whole bench


def _slot(start: datetime) -> dict[str, str]:
    return {"slotStart": start.isoformat(), "slotEnd": (start + timedelta(minutes=30)).isoformat()}


def booking_input(n: int) -> tuple[str, dict[str, Any]]:
    """The vertical and the create input of booking number ``n``."""
    common = {"customerRef": f"c-{n % 300}", "crmReference": f"crm-{n}"}
    kind = ("clinic", "course", "tour")[n % 3]
    if kind == "clinic":
        return kind, common | _slot(datetime(2031, 1, 1, tzinfo=UTC) + timedelta(hours=n)) | {
            "serviceId": ("consultation", "checkup", "dental")[n % 3],
            "specialistId": f"dr-{n % 20}",
            "branchId": ("center", "north")[n % 2],
            "price": {"amount": "15000.00", "currency": "AMD"},
        }
    if kind == "course":
        today = datetime.now(UTC).date()
        months = [
            {"amount": "20000.00", "dueDate": (today + timedelta(days=30 * k)).isoformat(),
             "graceDays": 3, "label": f"month {k + 1}"}
            for k in range(3)
        ]  # fmt: skip
        return kind, common | {
            "studentId": f"s-{n}",
            "courseId": ("english-b1", "python-101", "piano")[n % 3],
            "groupId": f"g-{n % 12}",
            "periodStart": "2031-02-01",
            "periodEnd": "2031-04-30",
            "price": {"amount": "60000.00", "currency": "AMD"},
            "installments": months,
        }
    people = 1 + n % 4
    return kind, common | {
        "tourDate": (date(2031, 6, 1) + timedelta(days=n % 30)).isoformat(),
        "packageId": ("dilijan", "garni", "tatev")[n % 3],
        "participantCount": people,
        "price": {"amount": f"{60000 * people}.00", "currency": "AMD"},
        "depositAmount": f"{20000 * people}.00",
    }


class Seeder:
    """Runs the mutations and counts what each did (a refusal is counted, not fatal)."""

    def __init__(self, http: httpx.AsyncClient, approver: str) -> None:
        self.http = http
        self.approver = {"Authorization": f"Bearer {approver}"}  # not the refunds' requester
        self.counts: Counter[str] = Counter()

    async def call(
        self, document: str, variables: dict[str, Any], headers: dict[str, str] | None = None
    ) -> dict[str, Any] | None:
        request = {"query": document, "variables": variables}
        body = (await self.http.post("/graphql", json=request, headers=headers)).json()
        field, payload = next(iter((body.get("data") or {"failed": None}).items()))
        if body.get("errors") or payload is None or payload["errors"]:
            self.counts[f"{field} refused"] += 1
            return None
        self.counts[field] += 1
        return payload

    async def link(self, booking_id: str, *, pay: bool) -> bool:
        variables = {"i": {"bookingId": booking_id, "expiresInMinutes": WEEK_MINUTES}}
        link = await self.call(LINK, variables)
        if link is None or not pay:
            return link is not None
        page = link["paymentRequest"]["paymentUrl"]
        paid = (await self.http.post(page, data={"outcome": "approve"})).status_code == 303
        self.counts["paid on the sandbox page" if paid else "sandbox page refused"] += 1
        return paid

    async def booking(self, n: int) -> None:
        kind, data = booking_input(n)
        field, input_type = CREATE[kind]
        document = f"mutation($i: {input_type}!) {{ {field}(input: $i) {_PAYLOAD} }}"
        created = await self.call(document, {"i": data})
        if created is None:
            return
        booking_id, slot = created["booking"]["id"], n % 10
        if slot <= 5 and await self.link(booking_id, pay=True):  # 60 %: an installment paid
            if slot == 0 and kind != "clinic":
                await self.link(booking_id, pay=True)  # and a second one
            if slot in (1, 3):  # 20 %: a refund, approved unless n % 20 == 3
                refund = {"bookingId": booking_id, "amount": "1000.00", "reason": "goodwill"}
                requested = await self.call(REFUND, {"i": refund})
                if requested is not None and n % 20 != 3:
                    await self.call(APPROVE, {"id": requested["refund"]["id"]}, self.approver)
        elif slot in (6, 7):  # 20 %: a link nobody paid yet
            await self.link(booking_id, pay=False)
        for k in range((2, 1, 0, 4)[n % 4]):
            await self.call(NOTE, {"i": {"bookingId": booking_id, "text": f"note {k} on {n}"}})
        if kind == "clinic" and n % 9 == 0:
            moved = _slot(datetime(2032, 1, 1, tzinfo=UTC) + timedelta(hours=n))
            await self.call(
                RESCHEDULE, {"i": {"bookingId": booking_id, "reason": "asked", **moved}}
            )


async def seed(
    *, base: str, token: str, approver: str, bookings: int, concurrency: int = 8
) -> Counter[str]:
    """Create ``bookings`` bookings as the token's tenant, refunds approved by ``approver``
    (another admin's token); returns what was done, counted."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as http:
        seeder, numbers = Seeder(http, approver), iter(range(bookings))

        async def worker() -> None:
            for n in numbers:
                await seeder.booking(n)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return seeder.counts
