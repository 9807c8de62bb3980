"""refunds, cancellations and review kinds

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

Refund decisions and failures; when and why a booking closed; more review task kinds; the
audit log of refused actions; and a database guard that the refunds of a payment never
exceed what it captured.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TASK_KINDS = ("LATE_PAYMENT", "AMOUNT_MISMATCH", "UNCLEAR_PAYMENT")
NEW_TASK_KINDS = ("REFUND_FAILED", "REFUND_UNCONFIRMED", "OVERRIDE_REQUEST")


def _kinds_check(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def upgrade() -> None:
    op.add_column("bookings", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("bookings", sa.Column("close_cause", sa.String(length=32), nullable=True))
    op.add_column("refunds", sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("refunds", sa.Column("failure", sa.String(length=64), nullable=True))
    op.drop_constraint(op.f("ck_review_tasks_kind"), "review_tasks", type_="check")
    op.create_check_constraint(
        op.f("ck_review_tasks_kind"), "review_tasks", _kinds_check(TASK_KINDS + NEW_TASK_KINDS)
    )
    for statement in REFUND_GUARD_SQL:
        op.execute(statement)
    op.create_table(
        "audit_log",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_audit_log_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_tenant_id"), "audit_log", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_log_tenant_id"), table_name="audit_log")
    op.drop_table("audit_log")
    op.execute("DROP TRIGGER IF EXISTS refunds_within_captured ON refunds")
    op.execute("DROP FUNCTION IF EXISTS payable_check_refunds()")
    op.drop_constraint(op.f("ck_review_tasks_kind"), "review_tasks", type_="check")
    op.create_check_constraint(
        op.f("ck_review_tasks_kind"), "review_tasks", _kinds_check(TASK_KINDS)
    )
    op.drop_column("refunds", "failure")
    op.drop_column("refunds", "decided_at")
    op.drop_column("bookings", "close_cause")
    op.drop_column("bookings", "closed_at")


# The refunds of a payment that are not rejected or failed never add up to more than it
# captured. The payment row is locked first, so concurrent refunds are checked one at a time.
REFUND_GUARD_SQL = (
    """
CREATE FUNCTION payable_check_refunds() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    captured numeric;
    claimed numeric;
BEGIN
    SELECT amount INTO captured FROM payments WHERE id = NEW.payment_id FOR UPDATE;
    SELECT coalesce(sum(amount), 0) INTO claimed FROM refunds
        WHERE payment_id = NEW.payment_id AND status NOT IN ('REJECTED', 'FAILED');
    IF claimed > captured THEN
        RAISE EXCEPTION 'refunds of payment % would reach %, it captured %',
            NEW.payment_id, claimed, captured
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_refunds_within_captured';
    END IF;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER refunds_within_captured
    AFTER INSERT OR UPDATE OF amount, status, payment_id ON refunds
    FOR EACH ROW EXECUTE FUNCTION payable_check_refunds()""",
)
