"""What every booking test reads back, and dates relative to today."""

from __future__ import annotations

from datetime import date, timedelta

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


def days_from_now(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()
