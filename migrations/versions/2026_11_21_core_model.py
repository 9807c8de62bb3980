"""core model

Revision ID: 0001
Revises:
Create Date: 2026-11-21

The whole core model: tenants, customers, versioned policies, bookings with one detail
table per vertical, schedules, payment requests, payments, refunds, the append-only
timeline and idempotency keys. Invariants the tables cannot express as plain constraints
are triggers at the end of upgrade().
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("slug", name=op.f("uq_tenants_slug")),
    )
    op.create_table(
        "cancellation_policies",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('CLINIC_APPOINTMENT', 'COURSE_ENROLLMENT', 'TOUR_BOOKING')",
            name=op.f("ck_cancellation_policies_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_cancellation_policies_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cancellation_policies")),
        sa.UniqueConstraint(
            "tenant_id", "code", name=op.f("uq_cancellation_policies_tenant_id_code")
        ),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_cancellation_policies_tenant_id_id")),
    )
    op.create_index(
        op.f("ix_cancellation_policies_tenant_id"),
        "cancellation_policies",
        ["tenant_id"],
        unique=False,
    )
    op.create_index(
        "uq_cancellation_policies_default",
        "cancellation_policies",
        ["tenant_id", "kind"],
        unique=True,
        postgresql_where=sa.text("is_default"),
    )
    op.create_table(
        "clinic_specialists",
        sa.Column("key", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_clinic_specialists_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_clinic_specialists")),
        sa.UniqueConstraint(
            "tenant_id", "external_id", name=op.f("uq_clinic_specialists_tenant_id_external_id")
        ),
        sa.UniqueConstraint(
            "tenant_id",
            "key",
            "external_id",
            name=op.f("uq_clinic_specialists_tenant_id_key_external_id"),
        ),
    )
    op.create_index(
        op.f("ix_clinic_specialists_tenant_id"), "clinic_specialists", ["tenant_id"], unique=False
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("external_ref", sa.String(length=128), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_customers_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint(
            "tenant_id", "external_ref", name=op.f("uq_customers_tenant_id_external_ref")
        ),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_customers_tenant_id_id")),
    )
    op.create_index(op.f("ix_customers_tenant_id"), "customers", ["tenant_id"], unique=False)
    op.create_table(
        "idempotency_keys",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("result_id", sa.UUID(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_idempotency_keys_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(
        op.f("ix_idempotency_keys_tenant_id"), "idempotency_keys", ["tenant_id"], unique=False
    )
    op.create_table(
        "cancellation_policy_versions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("policy_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("free_cancellation_hours", sa.Integer(), nullable=False),
        sa.Column("late_cancellation_refund_percent", sa.Integer(), nullable=False),
        sa.Column("no_show_refund_percent", sa.Integer(), nullable=False),
        sa.Column("published_by", sa.String(length=128), nullable=False),
        sa.Column(
            "published_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "free_cancellation_hours >= 0",
            name=op.f("ck_cancellation_policy_versions_hours_not_negative"),
        ),
        sa.CheckConstraint(
            "late_cancellation_refund_percent BETWEEN 0 AND 100",
            name=op.f("ck_cancellation_policy_versions_late_percent_range"),
        ),
        sa.CheckConstraint(
            "no_show_refund_percent BETWEEN 0 AND 100",
            name=op.f("ck_cancellation_policy_versions_no_show_percent_range"),
        ),
        sa.CheckConstraint(
            "version > 0", name=op.f("ck_cancellation_policy_versions_version_positive")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "policy_id"],
            ["cancellation_policies.tenant_id", "cancellation_policies.id"],
            name=op.f("fk_cancellation_policy_versions_tenant_id_cancellation_policies"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_cancellation_policy_versions_tenant_id_tenants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cancellation_policy_versions")),
        sa.UniqueConstraint(
            "policy_id", "version", name=op.f("uq_cancellation_policy_versions_policy_id_version")
        ),
        sa.UniqueConstraint(
            "tenant_id", "id", name=op.f("uq_cancellation_policy_versions_tenant_id_id")
        ),
    )
    op.create_index(
        op.f("ix_cancellation_policy_versions_policy_id"),
        "cancellation_policy_versions",
        ["policy_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_cancellation_policy_versions_tenant_id"),
        "cancellation_policy_versions",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("crm_reference", sa.String(length=128), nullable=True),
        sa.Column("policy_version_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("payment_status", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column(
            "amount_paid",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "amount_refunded",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "currency IN ('AMD', 'USD', 'EUR', 'RUB')", name=op.f("ck_bookings_currency")
        ),
        sa.CheckConstraint(
            "kind IN ('CLINIC_APPOINTMENT', 'COURSE_ENROLLMENT', 'TOUR_BOOKING')",
            name=op.f("ck_bookings_kind"),
        ),
        sa.CheckConstraint(
            "payment_status IN ('UNPAID', 'PENDING', 'DEPOSIT_PAID', 'PAID', 'MANUAL_REVIEW')",
            name=op.f("ck_bookings_payment_status"),
        ),
        sa.CheckConstraint(
            "status IN ('AWAITING_PAYMENT', 'CONFIRMED', 'CANCELLED', 'NO_SHOW', 'COMPLETED')",
            name=op.f("ck_bookings_status"),
        ),
        sa.CheckConstraint("amount_paid >= 0", name=op.f("ck_bookings_amount_paid_not_negative")),
        sa.CheckConstraint(
            "amount_refunded <= amount_paid", name=op.f("ck_bookings_refunds_within_paid")
        ),
        sa.CheckConstraint(
            "amount_refunded >= 0", name=op.f("ck_bookings_amount_refunded_not_negative")
        ),
        sa.CheckConstraint("price > 0", name=op.f("ck_bookings_price_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_bookings_tenant_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "policy_version_id"],
            ["cancellation_policy_versions.tenant_id", "cancellation_policy_versions.id"],
            name=op.f("fk_bookings_tenant_id_cancellation_policy_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_bookings_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("id", "currency", name=op.f("uq_bookings_id_currency")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_bookings_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "reference", name=op.f("uq_bookings_tenant_id_reference")),
    )
    op.create_index(op.f("ix_bookings_customer_id"), "bookings", ["customer_id"], unique=False)
    op.create_index(
        op.f("ix_bookings_policy_version_id"), "bookings", ["policy_version_id"], unique=False
    )
    op.create_index(op.f("ix_bookings_tenant_id"), "bookings", ["tenant_id"], unique=False)
    op.create_table(
        "booking_events",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=True),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "booking_id"],
            ["bookings.tenant_id", "bookings.id"],
            name=op.f("fk_booking_events_tenant_id_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_booking_events_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_events")),
        sa.UniqueConstraint("sequence", name=op.f("uq_booking_events_sequence")),
    )
    op.create_index(
        "ix_booking_events_booking_sequence",
        "booking_events",
        ["booking_id", "sequence"],
        unique=False,
    )
    op.create_index(
        op.f("ix_booking_events_tenant_id"), "booking_events", ["tenant_id"], unique=False
    )
    op.create_index(
        "ix_booking_events_tenant_sequence",
        "booking_events",
        ["tenant_id", "sequence"],
        unique=False,
    )
    op.create_table(
        "clinic_appointments",
        sa.Column("booking_id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("service_id", sa.String(length=128), nullable=False),
        sa.Column("specialist_id", sa.String(length=128), nullable=False),
        sa.Column("specialist_key", sa.BigInteger(), nullable=False),
        sa.Column("branch_id", sa.String(length=128), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slot_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slot_held", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        postgresql.ExcludeConstraint(
            (sa.text("int8range(specialist_key, specialist_key, '[]')"), "="),
            (sa.text("tstzrange(slot_start, slot_end)"), "&&"),
            where=sa.text("slot_held"),
            using="gist",
            name="ex_clinic_appointments_specialist_slot",
        ),
        sa.CheckConstraint("slot_end > slot_start", name=op.f("ck_clinic_appointments_slot_order")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_clinic_appointments_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "booking_id"],
            ["bookings.tenant_id", "bookings.id"],
            name=op.f("fk_clinic_appointments_tenant_id_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "specialist_key", "specialist_id"],
            [
                "clinic_specialists.tenant_id",
                "clinic_specialists.key",
                "clinic_specialists.external_id",
            ],
            name=op.f("fk_clinic_appointments_tenant_id_clinic_specialists"),
        ),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_clinic_appointments")),
    )
    op.create_table(
        "course_enrollments",
        sa.Column("booking_id", sa.UUID(), nullable=False),
        sa.Column("student_id", sa.String(length=128), nullable=False),
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("group_id", sa.String(length=128), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("access_status", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "access_status IN ('NONE', 'GRANTED', 'SUSPENDED', 'REVOKED')",
            name=op.f("ck_course_enrollments_access_status"),
        ),
        sa.CheckConstraint(
            "period_end >= period_start", name=op.f("ck_course_enrollments_period_order")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_course_enrollments_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_course_enrollments")),
    )
    op.create_table(
        "installments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("amount_due", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column(
            "amount_paid",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.CheckConstraint("amount_due >= 0", name=op.f("ck_installments_amount_due_not_negative")),
        sa.CheckConstraint(
            "amount_paid >= 0", name=op.f("ck_installments_amount_paid_not_negative")
        ),
        sa.CheckConstraint("grace_days >= 0", name=op.f("ck_installments_grace_days_not_negative")),
        sa.CheckConstraint("sequence > 0", name=op.f("ck_installments_sequence_positive")),
        sa.ForeignKeyConstraint(
            ["booking_id", "currency"],
            ["bookings.id", "bookings.currency"],
            name=op.f("fk_installments_booking_id_bookings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installments")),
        sa.UniqueConstraint(
            "booking_id", "sequence", name=op.f("uq_installments_booking_id_sequence")
        ),
        sa.UniqueConstraint("id", "booking_id", name=op.f("uq_installments_id_booking_id")),
    )
    op.create_index(
        op.f("ix_installments_booking_id"), "installments", ["booking_id"], unique=False
    )
    op.create_table(
        "tour_bookings",
        sa.Column("booking_id", sa.UUID(), nullable=False),
        sa.Column("tour_date", sa.Date(), nullable=False),
        sa.Column("package_id", sa.String(length=128), nullable=False),
        sa.Column("participant_count", sa.Integer(), nullable=False),
        sa.Column("manager_reference", sa.String(length=128), nullable=True),
        sa.Column("source_channel", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "participant_count >= 1", name=op.f("ck_tour_bookings_participants_positive")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_tour_bookings_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_tour_bookings")),
    )
    op.create_index(
        op.f("ix_tour_bookings_package_id"), "tour_bookings", ["package_id"], unique=False
    )
    op.create_index(
        op.f("ix_tour_bookings_tour_date"), "tour_bookings", ["tour_date"], unique=False
    )
    op.create_table(
        "payment_requests",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("installment_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_order_id", sa.String(length=128), nullable=True),
        sa.Column("payment_url", sa.Text(), nullable=False),
        sa.Column("return_url", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('PENDING', 'PAID', 'EXPIRED', 'CANCELLED', 'FAILED', 'MANUAL_REVIEW')",
            name=op.f("ck_payment_requests_status"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_requests_amount_positive")),
        sa.ForeignKeyConstraint(
            ["booking_id", "currency"],
            ["bookings.id", "bookings.currency"],
            name=op.f("fk_payment_requests_booking_id_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["installment_id", "booking_id"],
            ["installments.id", "installments.booking_id"],
            name=op.f("fk_payment_requests_installment_id_installments"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "booking_id"],
            ["bookings.tenant_id", "bookings.id"],
            name=op.f("fk_payment_requests_tenant_id_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_payment_requests_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_requests")),
        sa.UniqueConstraint("id", "booking_id", name=op.f("uq_payment_requests_id_booking_id")),
        sa.UniqueConstraint(
            "provider",
            "provider_order_id",
            name=op.f("uq_payment_requests_provider_provider_order_id"),
        ),
    )
    op.create_index(
        op.f("ix_payment_requests_booking_id"), "payment_requests", ["booking_id"], unique=False
    )
    op.create_index(
        op.f("ix_payment_requests_installment_id"),
        "payment_requests",
        ["installment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_payment_requests_tenant_id"), "payment_requests", ["tenant_id"], unique=False
    )
    op.create_index(
        "uq_payment_requests_active_installment",
        "payment_requests",
        ["installment_id"],
        unique=True,
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("payment_request_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_reference", sa.String(length=128), nullable=False),
        sa.Column("verified_by", sa.String(length=32), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "state IN ('VERIFIED', 'MANUAL_REVIEW')", name=op.f("ck_payments_state")
        ),
        sa.CheckConstraint(
            "verified_by IN ('WEBHOOK', 'STATUS_LOOKUP')", name=op.f("ck_payments_verified_by")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["booking_id", "currency"],
            ["bookings.id", "bookings.currency"],
            name=op.f("fk_payments_booking_id_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_request_id", "booking_id"],
            ["payment_requests.id", "payment_requests.booking_id"],
            name=op.f("fk_payments_payment_request_id_payment_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "booking_id"],
            ["bookings.tenant_id", "bookings.id"],
            name=op.f("fk_payments_tenant_id_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_payments_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("id", "booking_id", name=op.f("uq_payments_id_booking_id")),
        sa.UniqueConstraint(
            "provider", "provider_reference", name=op.f("uq_payments_provider_provider_reference")
        ),
    )
    op.create_index(op.f("ix_payments_booking_id"), "payments", ["booking_id"], unique=False)
    op.create_index(
        op.f("ix_payments_payment_request_id"), "payments", ["payment_request_id"], unique=False
    )
    op.create_index(op.f("ix_payments_tenant_id"), "payments", ["tenant_id"], unique=False)
    op.create_table(
        "refunds",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("approved_by", sa.String(length=128), nullable=True),
        sa.Column("provider_refund_reference", sa.String(length=128), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('REQUESTED', 'APPROVED', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'REJECTED')",
            name=op.f("ck_refunds_status"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["booking_id", "currency"],
            ["bookings.id", "bookings.currency"],
            name=op.f("fk_refunds_booking_id_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id", "booking_id"],
            ["payments.id", "payments.booking_id"],
            name=op.f("fk_refunds_payment_id_payments"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "booking_id"],
            ["bookings.tenant_id", "bookings.id"],
            name=op.f("fk_refunds_tenant_id_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_refunds_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
    )
    op.create_index(op.f("ix_refunds_booking_id"), "refunds", ["booking_id"], unique=False)
    op.create_index(op.f("ix_refunds_payment_id"), "refunds", ["payment_id"], unique=False)
    op.create_index(op.f("ix_refunds_tenant_id"), "refunds", ["tenant_id"], unique=False)

    for statement in (*APPEND_ONLY_SQL, *EVENT_SEQUENCE_SQL, *SCHEDULE_SUM_SQL):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS bookings_schedule_sums_to_price ON bookings")
    op.execute("DROP TRIGGER IF EXISTS installments_sum_to_price ON installments")
    op.execute("DROP FUNCTION IF EXISTS payable_check_schedule()")
    op.execute("DROP TRIGGER IF EXISTS booking_events_sequence_at_commit ON booking_events")
    op.execute("DROP FUNCTION IF EXISTS payable_sequence_event()")
    op.execute("DROP TRIGGER IF EXISTS booking_events_append_only ON booking_events")
    op.execute("DROP TRIGGER IF EXISTS booking_events_no_delete ON booking_events")
    op.execute("DROP FUNCTION IF EXISTS payable_guard_event_update()")
    op.execute("DROP TRIGGER IF EXISTS booking_events_no_truncate ON booking_events")
    op.execute("DROP FUNCTION IF EXISTS payable_reject_change()")
    op.drop_index(op.f("ix_refunds_tenant_id"), table_name="refunds")
    op.drop_index(op.f("ix_refunds_payment_id"), table_name="refunds")
    op.drop_index(op.f("ix_refunds_booking_id"), table_name="refunds")
    op.drop_table("refunds")
    op.drop_index(op.f("ix_payments_tenant_id"), table_name="payments")
    op.drop_index(op.f("ix_payments_payment_request_id"), table_name="payments")
    op.drop_index(op.f("ix_payments_booking_id"), table_name="payments")
    op.drop_table("payments")
    op.drop_index(
        "uq_payment_requests_active_installment",
        table_name="payment_requests",
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.drop_index(op.f("ix_payment_requests_tenant_id"), table_name="payment_requests")
    op.drop_index(op.f("ix_payment_requests_installment_id"), table_name="payment_requests")
    op.drop_index(op.f("ix_payment_requests_booking_id"), table_name="payment_requests")
    op.drop_table("payment_requests")
    op.drop_index(op.f("ix_tour_bookings_tour_date"), table_name="tour_bookings")
    op.drop_index(op.f("ix_tour_bookings_package_id"), table_name="tour_bookings")
    op.drop_table("tour_bookings")
    op.drop_index(op.f("ix_installments_booking_id"), table_name="installments")
    op.drop_table("installments")
    op.drop_table("course_enrollments")
    op.drop_table("clinic_appointments")
    op.drop_index("ix_booking_events_tenant_sequence", table_name="booking_events")
    op.drop_index(op.f("ix_booking_events_tenant_id"), table_name="booking_events")
    op.drop_index("ix_booking_events_booking_sequence", table_name="booking_events")
    op.drop_table("booking_events")
    op.execute("DROP SEQUENCE IF EXISTS booking_event_sequence")
    op.drop_index(op.f("ix_bookings_tenant_id"), table_name="bookings")
    op.drop_index(op.f("ix_bookings_policy_version_id"), table_name="bookings")
    op.drop_index(op.f("ix_bookings_customer_id"), table_name="bookings")
    op.drop_table("bookings")
    op.drop_index(
        op.f("ix_cancellation_policy_versions_tenant_id"), table_name="cancellation_policy_versions"
    )
    op.drop_index(
        op.f("ix_cancellation_policy_versions_policy_id"), table_name="cancellation_policy_versions"
    )
    op.drop_table("cancellation_policy_versions")
    op.drop_index(op.f("ix_idempotency_keys_tenant_id"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index(op.f("ix_customers_tenant_id"), table_name="customers")
    op.drop_table("customers")
    op.drop_index(op.f("ix_clinic_specialists_tenant_id"), table_name="clinic_specialists")
    op.drop_table("clinic_specialists")
    op.drop_index(
        "uq_cancellation_policies_default",
        table_name="cancellation_policies",
        postgresql_where=sa.text("is_default"),
    )
    op.drop_index(op.f("ix_cancellation_policies_tenant_id"), table_name="cancellation_policies")
    op.drop_table("cancellation_policies")
    op.drop_table("tenants")


# History is never erased: the database itself refuses to change or remove an event. The one
# write an event ever gets is its sequence number, given once, at commit.
APPEND_ONLY_SQL = (
    """
CREATE FUNCTION payable_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$""",
    """
CREATE FUNCTION payable_guard_event_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.sequence IS NULL AND NEW.sequence IS NOT NULL
       AND (NEW.id, NEW.tenant_id, NEW.booking_id, NEW.type, NEW.actor, NEW.reason, NEW.data,
            NEW.occurred_at)
       IS NOT DISTINCT FROM
           (OLD.id, OLD.tenant_id, OLD.booking_id, OLD.type, OLD.actor, OLD.reason, OLD.data,
            OLD.occurred_at)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'booking_events is append-only: UPDATE refused'
        USING ERRCODE = 'insufficient_privilege';
END $$""",
    """CREATE TRIGGER booking_events_append_only BEFORE UPDATE ON booking_events
    FOR EACH ROW EXECUTE FUNCTION payable_guard_event_update()""",
    """CREATE TRIGGER booking_events_no_delete BEFORE DELETE ON booking_events
    FOR EACH ROW EXECUTE FUNCTION payable_reject_change()""",
    """CREATE TRIGGER booking_events_no_truncate BEFORE TRUNCATE ON booking_events
    FOR EACH STATEMENT EXECUTE FUNCTION payable_reject_change()""",
)

# Sequences follow commit order within a tenant: numbers are drawn at commit under a
# per-tenant lock that is released only once the commit is visible. A reader that has seen
# sequence N of a tenant will never later meet a smaller one of that tenant.
EVENT_SEQUENCE_SQL = (
    "CREATE SEQUENCE booking_event_sequence",
    """
CREATE FUNCTION payable_sequence_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(NEW.tenant_id::text, 7));
    UPDATE booking_events SET sequence = nextval('booking_event_sequence') WHERE id = NEW.id;
    RETURN NULL;
END $$""",
    """CREATE CONSTRAINT TRIGGER booking_events_sequence_at_commit
    AFTER INSERT ON booking_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION payable_sequence_event()""",
)

# A booking's installments add up to its price, checked at commit so a transaction may change
# the price and the schedule together.
SCHEDULE_SUM_SQL = (
    """
CREATE FUNCTION payable_check_schedule() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    targets uuid[];
    target uuid;
    booking_price numeric;
    scheduled numeric;
BEGIN
    IF TG_TABLE_NAME = 'bookings' THEN
        targets := ARRAY[NEW.id];
    ELSIF TG_OP = 'DELETE' THEN
        targets := ARRAY[OLD.booking_id];
    ELSIF TG_OP = 'UPDATE' THEN
        -- an installment moved to another booking changes both sums
        targets := ARRAY[OLD.booking_id, NEW.booking_id];
    ELSE
        targets := ARRAY[NEW.booking_id];
    END IF;
    FOREACH target IN ARRAY targets LOOP
        SELECT price INTO booking_price FROM bookings WHERE id = target;
        CONTINUE WHEN NOT FOUND;
        SELECT coalesce(sum(amount_due), 0) INTO scheduled
            FROM installments WHERE booking_id = target;
        IF scheduled <> booking_price THEN
            RAISE EXCEPTION 'installments of booking % add up to %, its price is %',
                target, scheduled, booking_price
                USING ERRCODE = 'check_violation',
                      CONSTRAINT = 'ck_bookings_schedule_sums_to_price';
        END IF;
    END LOOP;
    RETURN NULL;
END $$""",
    """CREATE CONSTRAINT TRIGGER installments_sum_to_price
    AFTER INSERT OR UPDATE OF amount_due, booking_id OR DELETE ON installments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION payable_check_schedule()""",
    """CREATE CONSTRAINT TRIGGER bookings_schedule_sums_to_price
    AFTER INSERT OR UPDATE OF price ON bookings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION payable_check_schedule()""",
)
