"""A small GraphQL client for tests: tokens per role, statement counting, input factories."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import event

from payable.core.principal import Role
from payable.core.tokens import issue


@dataclass
class Api:
    client: httpx.AsyncClient
    tenant: str
    secret: str
    app: Any
    role: Role = Role.OPERATOR
    sub: str = "tester"
    _token: str | None = field(default=None, repr=False)

    def as_role(self, role: Role | str, sub: str | None = None) -> Api:
        return replace(self, role=Role(role), sub=sub or f"{Role(role).value}-user", _token=None)

    def for_tenant(self, tenant: str) -> Api:
        return replace(self, tenant=tenant, _token=None)

    @property
    def token(self) -> str:
        if self._token is None:
            self._token = issue(
                secret=self.secret,
                tenant=self.tenant,
                role=self.role,
                sub=self.sub,
                ttl=timedelta(hours=1),
            )
        return self._token

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The raw GraphQL response body."""
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of a response that must have no top-level errors."""
        body = await self.post(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    @contextlib.contextmanager
    def count_statements(self) -> Iterator[list[str]]:
        """Every SQL statement the app sends while the block runs."""
        statements: list[str] = []
        engine = self.app.state.db.engine.sync_engine

        def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)


# --- Query documents --------------------------------------------------------------------------

BOOKING_FIELDS = """
    __typename id kind reference crmReference status paymentStatus
    customer { id externalRef }
    price { amount currency } amountPaid { amount currency } amountRefunded { amount currency }
    balanceDue { amount currency }
    policy { id code version freeCancellationHours lateCancellationRefundPercent
             noShowRefundPercent }
    schedule { id sequence label amountDue { amount currency } amountPaid { amount } dueDate
               graceDays status activePaymentRequest { id } }
    paymentRequests { id status } payments { id } refunds { id }
    timeline(first: 5) { edges { cursor node { id sequence type actor reason data occurredAt } }
                         pageInfo { hasNextPage endCursor } }
    createdAt updatedAt
    ... on ClinicAppointment { serviceId specialistId branchId slotStart slotEnd }
    ... on CourseEnrollment { studentId courseId groupId periodStart periodEnd accessStatus }
    ... on TourBooking { tourDate packageId participantCount managerReference sourceChannel }
"""

PAYLOAD = "errors { code field message } booking { " + BOOKING_FIELDS + " }"

CREATE_CLINIC = (
    "mutation($input: CreateClinicAppointmentInput!, $key: String) {"
    " createClinicAppointment(input: $input, idempotencyKey: $key) { " + PAYLOAD + " } }"
)
CREATE_COURSE = (
    "mutation($input: CreateCourseEnrollmentInput!, $key: String) {"
    " createCourseEnrollment(input: $input, idempotencyKey: $key) { " + PAYLOAD + " } }"
)
CREATE_TOUR = (
    "mutation($input: CreateTourBookingInput!, $key: String) {"
    " createTourBooking(input: $input, idempotencyKey: $key) { " + PAYLOAD + " } }"
)


# --- Input factories --------------------------------------------------------------------------

_slot_counter = iter(range(1, 10**6))


def clinic_input(**overrides: Any) -> dict[str, Any]:
    """A valid appointment input; each call gets its own hour so slots never collide by accident."""
    start = datetime(2030, 1, 1, 8, tzinfo=UTC) + timedelta(hours=next(_slot_counter))
    values = {
        "customerRef": "patient-1",
        "serviceId": "consultation",
        "specialistId": "dr-1",
        "branchId": "center",
        "slotStart": start.isoformat(),
        "slotEnd": (start + timedelta(minutes=30)).isoformat(),
        "price": {"amount": "15000.00", "currency": "AMD"},
    }
    return values | overrides


def course_input(**overrides: Any) -> dict[str, Any]:
    values = {
        "customerRef": "student-1",
        "studentId": "s-1",
        "courseId": "python",
        "groupId": "evening",
        "periodStart": "2030-02-01",
        "periodEnd": "2030-04-30",
        "price": {"amount": "90000.00", "currency": "AMD"},
    }
    return values | overrides


def tour_input(**overrides: Any) -> dict[str, Any]:
    values = {
        "customerRef": "traveller-1",
        "tourDate": "2030-06-01",
        "packageId": "dilijan",
        "participantCount": 2,
        "price": {"amount": "120000.00", "currency": "AMD"},
    }
    return values | overrides


def days_from_now(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()
