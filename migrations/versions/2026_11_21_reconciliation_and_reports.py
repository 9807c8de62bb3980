"""reconciliation and reports

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21

Reconciliation (imported gateway reports, their lines, exceptions), installment reminders,
the sandbox gateway's ledger of operations, and the new review task kinds.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

OLD_KINDS = (
    "LATE_PAYMENT",
    "AMOUNT_MISMATCH",
    "UNCLEAR_PAYMENT",
    "REFUND_FAILED",
    "REFUND_UNCONFIRMED",
    "OVERRIDE_REQUEST",
)
NEW_KINDS = ("RECONCILIATION", "REMINDER")


def _kinds_check(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_report_lines",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("provider_order_id", sa.String(length=128), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "operation IN ('PAYMENT', 'REFUND', 'REVERSAL')",
            name=op.f("ck_provider_report_lines_operation"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_provider_report_lines_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_report_lines")),
        sa.UniqueConstraint(
            "tenant_id",
            "provider",
            "operation",
            "reference",
            name=op.f("uq_provider_report_lines_tenant_id_provider_operation_reference"),
        ),
    )
    op.create_index(
        op.f("ix_provider_report_lines_report_date"),
        "provider_report_lines",
        ["report_date"],
        unique=False,
    )
    op.create_index(
        op.f("ix_provider_report_lines_report_id"),
        "provider_report_lines",
        ["report_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_provider_report_lines_tenant_id"),
        "provider_report_lines",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "provider_reports",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.String(length=128), nullable=False),
        sa.Column(
            "imported_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_provider_reports_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_reports")),
        sa.UniqueConstraint(
            "tenant_id",
            "provider",
            "sha256",
            name=op.f("uq_provider_reports_tenant_id_provider_sha256"),
        ),
    )
    op.create_index(
        op.f("ix_provider_reports_tenant_id"), "provider_reports", ["tenant_id"], unique=False
    )
    op.create_table(
        "reconciliation_exceptions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=False),
        sa.Column("booking_id", sa.UUID(), nullable=True),
        sa.Column("task_id", sa.UUID(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('MISSING_HERE', 'MISSING_AT_PROVIDER', 'AMOUNT_MISMATCH',"
            " 'STATUS_MISMATCH', 'CLOSED_BOOKING')",
            name=op.f("ck_reconciliation_exceptions_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_reconciliation_exceptions_tenant_id_tenants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_exceptions")),
        sa.UniqueConstraint(
            "tenant_id",
            "provider",
            "kind",
            "reference",
            name=op.f("uq_reconciliation_exceptions_tenant_id_provider_kind_reference"),
        ),
    )
    op.create_index(
        op.f("ix_reconciliation_exceptions_report_date"),
        "reconciliation_exceptions",
        ["report_date"],
        unique=False,
    )
    op.create_index(
        op.f("ix_reconciliation_exceptions_tenant_id"),
        "reconciliation_exceptions",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "sandbox_operations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sandbox_orders.id"],
            name=op.f("fk_sandbox_operations_order_id_sandbox_orders"),
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_operations")),
        sa.UniqueConstraint("reference", name=op.f("uq_sandbox_operations_reference")),
    )
    op.create_index(
        op.f("ix_sandbox_operations_order_id"), "sandbox_operations", ["order_id"], unique=False
    )
    op.create_table(
        "reminders",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("installment_id", sa.UUID(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("task_id", sa.UUID(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["installment_id"],
            ["installments.id"],
            name=op.f("fk_reminders_installment_id_installments"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_reminders_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint(
            "installment_id", "period", name=op.f("uq_reminders_installment_id_period")
        ),
    )
    op.create_index(op.f("ix_reminders_tenant_id"), "reminders", ["tenant_id"], unique=False)

    op.drop_constraint(op.f("ck_review_tasks_kind"), "review_tasks", type_="check")
    op.create_check_constraint(
        op.f("ck_review_tasks_kind"), "review_tasks", _kinds_check(OLD_KINDS + NEW_KINDS)
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_review_tasks_kind"), "review_tasks", type_="check")
    op.create_check_constraint(
        op.f("ck_review_tasks_kind"), "review_tasks", _kinds_check(OLD_KINDS)
    )
    op.drop_index(op.f("ix_reminders_tenant_id"), table_name="reminders")
    op.drop_table("reminders")
    op.drop_index(op.f("ix_sandbox_operations_order_id"), table_name="sandbox_operations")
    op.drop_table("sandbox_operations")
    op.drop_index(
        op.f("ix_reconciliation_exceptions_tenant_id"), table_name="reconciliation_exceptions"
    )
    op.drop_index(
        op.f("ix_reconciliation_exceptions_report_date"), table_name="reconciliation_exceptions"
    )
    op.drop_table("reconciliation_exceptions")
    op.drop_index(op.f("ix_provider_reports_tenant_id"), table_name="provider_reports")
    op.drop_table("provider_reports")
    op.drop_index(op.f("ix_provider_report_lines_tenant_id"), table_name="provider_report_lines")
    op.drop_index(op.f("ix_provider_report_lines_report_id"), table_name="provider_report_lines")
    op.drop_index(op.f("ix_provider_report_lines_report_date"), table_name="provider_report_lines")
    op.drop_table("provider_report_lines")
