"""payments inbox reviews sandbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

Payments: the callback inbox, manual review tasks, the sandbox gateway's orders, and the
pending-link bookkeeping on payment requests.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_callbacks",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=True),
        sa.Column("provider_order_id", sa.String(length=128), nullable=True),
        sa.Column("signature_valid", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("deliveries", sa.Integer(), server_default="1", nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('RECEIVED', 'PROCESSED', 'REJECTED', 'FAILED')",
            name=op.f("ck_provider_callbacks_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_callbacks")),
    )
    op.create_index(
        "uq_provider_callbacks_event",
        "provider_callbacks",
        ["provider", "event_id"],
        unique=True,
        postgresql_where=sa.text("event_id IS NOT NULL"),
    )
    op.create_table(
        "sandbox_orders",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column(
            "captured",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "refunded",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("return_url", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lookups", sa.Integer(), server_default="0", nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_orders")),
        sa.UniqueConstraint("order_number", name=op.f("uq_sandbox_orders_order_number")),
    )
    op.create_table(
        "review_tasks",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("booking_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payment_request_id", sa.UUID(), nullable=True),
        sa.Column("payment_id", sa.UUID(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=128), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('LATE_PAYMENT', 'AMOUNT_MISMATCH', 'UNCLEAR_PAYMENT')",
            name=op.f("ck_review_tasks_kind"),
        ),
        sa.CheckConstraint("status IN ('OPEN', 'RESOLVED')", name=op.f("ck_review_tasks_status")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "booking_id"],
            ["bookings.tenant_id", "bookings.id"],
            name=op.f("fk_review_tasks_tenant_id_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_review_tasks_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_tasks")),
    )
    op.create_index(
        "ix_review_tasks_open",
        "review_tasks",
        ["tenant_id", "booking_id"],
        unique=False,
        postgresql_where=sa.text("status = 'OPEN'"),
    )
    op.create_index(op.f("ix_review_tasks_tenant_id"), "review_tasks", ["tenant_id"], unique=False)
    op.add_column("payment_requests", sa.Column("last_error", sa.String(length=64), nullable=True))
    op.add_column(
        "payment_requests", sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("payment_requests", "checked_at")
    op.drop_column("payment_requests", "last_error")
    op.drop_index(op.f("ix_review_tasks_tenant_id"), table_name="review_tasks")
    op.drop_index(
        "ix_review_tasks_open",
        table_name="review_tasks",
        postgresql_where=sa.text("status = 'OPEN'"),
    )
    op.drop_table("review_tasks")
    op.drop_table("sandbox_orders")
    op.drop_index(
        "uq_provider_callbacks_event",
        table_name="provider_callbacks",
        postgresql_where=sa.text("event_id IS NOT NULL"),
    )
    op.drop_table("provider_callbacks")
