"""Every table, imported once so ``SQLModel.metadata`` is complete (for Alembic and tests)."""

from sqlmodel import SQLModel

from payable.audit.models import AuditEntry
from payable.bookings import search  # noqa: F401 - the indexes behind booking filters
from payable.bookings.kinds import BookingKindRow
from payable.bookings.models import Booking, Installment
from payable.bookings.reminder_models import Reminder
from payable.customers.models import Customer
from payable.idempotency.models import IdempotencyKey
from payable.payments.inbox import ProviderCallback
from payable.payments.models import Payment, PaymentRequest
from payable.policies.models import CancellationPolicy, PolicyVersion
from payable.reconciliation.models import ProviderReport, ReconciliationException, ReportLine
from payable.refunds.models import Refund
from payable.reviews.models import ReviewTask
from payable.sandbox.models import SandboxOrder
from payable.sandbox.operations import SandboxOperation
from payable.tenants.models import Tenant
from payable.timeline.models import BookingEvent
from payable.verticals import installed
from payable.webhooks.models import WebhookDelivery, WebhookEndpoint

installed.install()  # the verticals' tables and indexes
metadata = SQLModel.metadata

__all__ = [
    "AuditEntry",
    "Booking",
    "BookingEvent",
    "BookingKindRow",
    "CancellationPolicy",
    "Customer",
    "IdempotencyKey",
    "Installment",
    "Payment",
    "PaymentRequest",
    "PolicyVersion",
    "ProviderCallback",
    "ProviderReport",
    "ReconciliationException",
    "Refund",
    "Reminder",
    "ReportLine",
    "ReviewTask",
    "SandboxOperation",
    "SandboxOrder",
    "Tenant",
    "WebhookDelivery",
    "WebhookEndpoint",
    "metadata",
]
