"""A valid course enrollment, and the mutation that makes it."""

from __future__ import annotations

from typing import Any

from tests.bookings.factories import PAYLOAD

CREATE_COURSE = (
    "mutation($input: CreateCourseEnrollmentInput!, $key: String) {"
    " createCourseEnrollment(input: $input, idempotencyKey: $key) { " + PAYLOAD + " } }"
)


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
