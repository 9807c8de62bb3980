"""Who may do what: every mutation against every role. The table below is the specification;
a refused action is FORBIDDEN in the payload and leaves only an audit entry."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from payable.core.ids import to_global_id
from tests.api import Api
from tests.verticals.clinic.factories import clinic_input
from tests.verticals.course.factories import course_input
from tests.verticals.tour.factories import tour_input

ADMIN, OPERATOR, SUPPORT, ACCOUNTANT, INTEGRATOR = (
    "admin",
    "operator",
    "support",
    "accountant",
    "integrator",
)
ROLES = (ADMIN, OPERATOR, SUPPORT, ACCOUNTANT, INTEGRATOR)
STAFF = {ADMIN, OPERATOR, SUPPORT}
MANAGERS = {ADMIN, OPERATOR}


def _gid(type_name: str) -> str:
    """An id of the right shape that names nothing: allowed roles get NOT_FOUND, not FORBIDDEN."""
    return to_global_id(type_name, uuid.uuid4())


TOUR, COURSE, CLINIC = _gid("TourBooking"), _gid("CourseEnrollment"), _gid("ClinicAppointment")

# mutation, its argument list, variables, the roles allowed
CASES: list[tuple[str, str, dict[str, Any], set[str]]] = [
    ("createClinicAppointment", "input: $input", {"input": clinic_input()}, STAFF),
    ("createCourseEnrollment", "input: $input", {"input": course_input()}, STAFF),
    ("createTourBooking", "input: $input", {"input": tour_input()}, STAFF),
    ("createPaymentRequest", "input: $input", {"input": {"bookingId": TOUR}}, STAFF),
    (
        "cancelPaymentRequest",
        "input: $input",
        {"input": {"paymentRequestId": _gid("PaymentRequest"), "reason": "x"}},
        STAFF,
    ),
    (
        "refreshPaymentStatus",
        "paymentRequestId: $id",
        {"id": _gid("PaymentRequest")},
        STAFF | {ACCOUNTANT},
    ),
    (
        "rescheduleAppointment",
        "input: $input",
        {
            "input": {
                "bookingId": CLINIC,
                "slotStart": "2030-01-01T10:00:00+04:00",
                "slotEnd": "2030-01-01T11:00:00+04:00",
                "reason": "x",
            }
        },
        STAFF,
    ),
    (
        "transferEnrollment",
        "input: $input",
        {"input": {"bookingId": COURSE, "groupId": "g", "reason": "x"}},
        STAFF,
    ),
    (
        "transferTour",
        "input: $input",
        {
            "input": {
                "bookingId": TOUR,
                "newTourDate": "2030-07-01",
                "reason": "x",
                "cause": "WEATHER",
            }
        },
        STAFF,
    ),
    (
        "adjustTourParticipants",
        "input: $input",
        {"input": {"bookingId": TOUR, "participantCount": 3, "reason": "x"}},
        STAFF,
    ),
    (
        "cancelBooking",
        "input: $input",
        {"input": {"bookingId": TOUR, "reason": "x", "cause": "OPERATOR"}},
        STAFF,
    ),
    ("markNoShow", "input: $input", {"input": {"bookingId": TOUR}}, MANAGERS),
    ("completeBooking", "input: $input", {"input": {"bookingId": CLINIC}}, MANAGERS),
    (
        "cancelTourDeparture",
        "input: $input",
        {
            "input": {
                "packageId": "none",
                "tourDate": "2030-01-01",
                "reason": "x",
                "cause": "WEATHER",
            }
        },
        MANAGERS,
    ),
    (
        "requestRefund",
        "input: $input",
        {"input": {"bookingId": TOUR, "amount": "1.00", "reason": "x"}},
        STAFF,
    ),
    ("approveRefund", "refundId: $id", {"id": _gid("Refund")}, {ADMIN, ACCOUNTANT}),
    (
        "acceptHeldPayment",
        "input: $input",
        {"input": {"paymentId": _gid("Payment"), "reason": "x"}},
        MANAGERS | {ACCOUNTANT},
    ),
    ("setRefundFourEyes", "required: $required", {"required": True}, {ADMIN}),
    (
        "createWebhookEndpoint",
        "input: $input",
        {"input": {"url": "http://127.0.0.1:9/matrix", "eventTypes": ["CREATED"]}},
        {ADMIN},
    ),
    ("deleteWebhookEndpoint", "endpointId: $id", {"id": _gid("WebhookEndpoint")}, {ADMIN}),
    ("retryWebhookDelivery", "deliveryId: $id", {"id": _gid("WebhookDelivery")}, {ADMIN}),
    (
        "returnHeldPayment",
        "input: $input",
        {"input": {"paymentId": _gid("Payment"), "reason": "x"}},
        {ADMIN, ACCOUNTANT},
    ),
    (
        "rejectRefund",
        "input: $input",
        {"input": {"refundId": _gid("Refund"), "reason": "x"}},
        {ADMIN, ACCOUNTANT},
    ),
    ("pauseEnrollment", "input: $input", {"input": {"bookingId": COURSE, "reason": "x"}}, STAFF),
    ("resumeEnrollment", "input: $input", {"input": {"bookingId": COURSE, "reason": "x"}}, STAFF),
    (
        "overrideAccess",
        "input: $input",
        {"input": {"bookingId": COURSE, "accessStatus": "GRANTED", "reason": "x"}},
        MANAGERS,
    ),
    (
        "applyDiscount",
        "input: $input",
        {"input": {"bookingId": TOUR, "amount": "1.00", "reason": "x"}},
        MANAGERS,
    ),
    (
        "publishPolicy",
        "input: $input",
        {
            "input": {
                "kind": "TOUR_BOOKING",
                "code": f"matrix-{uuid.uuid4().hex[:6]}",
                "freeCancellationHours": 48,
                "lateCancellationRefundPercent": 30,
                "noShowRefundPercent": 0,
            }
        },
        {ADMIN},
    ),
    (
        "addNote",
        "input: $input",
        {"input": {"bookingId": TOUR, "text": "called the customer"}},
        STAFF,
    ),
    (
        "requestOverride",
        "input: $input",
        {"input": {"bookingId": TOUR, "request": "early access"}},
        STAFF,
    ),
    (
        "resolveTask",
        "input: $input",
        {"input": {"taskId": _gid("ReviewTask"), "resolution": "x"}},
        MANAGERS | {ACCOUNTANT},
    ),
]


def _document(
    name: str, arguments: str, variables: dict[str, Any], schema_types: dict[str, str]
) -> str:
    declared = ", ".join(f"${var}: {schema_types[f'{name}.{var}']}" for var in variables)
    return f"mutation({declared}) {{ {name}({arguments}) {{ errors {{ code }} }} }}"


def _variable_types() -> dict[str, str]:
    """The GraphQL type of each mutation's variables, from the schema itself."""
    from payable.graphql.schema import schema

    mutation = schema._schema.mutation_type
    types = {}
    for name, _arguments, variables, _roles in CASES:
        field = mutation.fields[name]
        for var in variables:
            argument = (
                "input"
                if var == "input"
                else next(a for a in field.args if a != "input" and a != "idempotencyKey")
            )
            types[f"{name}.{var}"] = str(field.args[argument].type)
    return types


TYPES = _variable_types()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "arguments", "variables", "allowed"), CASES, ids=[c[0] for c in CASES]
)
async def test_role_matrix(
    api: Api,
    db: asyncpg.Connection,
    role: str,
    name: str,
    arguments: str,
    variables: dict[str, Any],
    allowed: set[str],
) -> None:
    caller = api.as_role(role)
    body = await caller.data(_document(name, arguments, variables, TYPES), variables)
    codes = [e["code"] for e in body[name]["errors"]]
    tenant = await db.fetchval("SELECT id FROM tenants WHERE slug = $1", api.tenant)
    audited = await db.fetch(
        "SELECT actor, role, outcome FROM audit_log WHERE tenant_id = $1 AND operation = $2",
        tenant,
        name,
    )
    if role in allowed:
        assert "FORBIDDEN" not in codes
        assert audited == []
    else:
        assert codes == ["FORBIDDEN"]
        assert [tuple(a) for a in audited] == [(caller.sub, role, "FORBIDDEN")]
        assert await db.fetchval("SELECT count(*) FROM bookings WHERE tenant_id = $1", tenant) == 0
