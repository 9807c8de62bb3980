"""held money, refunds sent exactly once, database guards on counted money

Revision ID: money_held
Revises: 0004
Create Date: 2026-12-03

Payments are VERIFIED (counted), HELD (waiting for a person, with a reason) or RETURNED;
when the gateway captured the money is kept, because whether it counts is decided from the
link's state at that moment. A refund records when it was handed to the gateway, so one left
in between by a crash is settled by asking, never by sending again; at most one refund per
payment is at the gateway unsettled at a time. Two checks at commit: a booking's counted money
equals its verified payments and its schedule's paid amounts, and no open link asks more than
its installment still owes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "money_held"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint(op.f("ck_payments_state"), "payments", type_="check")
    op.execute("UPDATE payments SET state = 'HELD' WHERE state = 'MANUAL_REVIEW'")
    op.create_check_constraint(
        op.f("ck_payments_state"), "payments", "state IN ('VERIFIED', 'HELD', 'RETURNED')"
    )
    op.add_column("payments", sa.Column("held_reason", sa.String(length=32), nullable=True))
    op.execute("UPDATE payments SET held_reason = 'UNCLEAR' WHERE state = 'HELD'")
    op.create_check_constraint(
        op.f("ck_payments_held_has_reason"),
        "payments",
        "state <> 'HELD' OR held_reason IS NOT NULL",
    )
    op.add_column("payments", sa.Column("captured_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_constraint(op.f("ck_payments_verified_by"), "payments", type_="check")
    op.create_check_constraint(
        op.f("ck_payments_verified_by"),
        "payments",
        "verified_by IN ('WEBHOOK', 'STATUS_LOOKUP', 'PROVIDER_REPORT')",
    )
    op.add_column(
        "payment_requests",
        sa.Column("reverse_pending", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("refunds", sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("refunds", sa.Column("group_id", sa.UUID(), nullable=True))
    op.execute("UPDATE refunds SET group_id = id")
    op.alter_column(
        "refunds",
        "group_id",
        nullable=False,
        server_default=sa.text("gen_random_uuid()"),
    )
    op.create_index(op.f("ix_refunds_group_id"), "refunds", ["group_id"], unique=False)
    op.create_index(
        "uq_refunds_in_flight_payment",
        "refunds",
        ["payment_id"],
        unique=True,
        postgresql_where=sa.text(
            "status IN ('APPROVED', 'PROCESSING') AND attempted_at IS NOT NULL"
        ),
    )
    op.add_column(
        "tenants",
        sa.Column("refund_four_eyes", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.add_column(
        "sandbox_orders", sa.Column("captured_at", sa.DateTime(timezone=True), nullable=True)
    )
    for statement in GUARDS_SQL:
        op.execute(statement)


def downgrade() -> None:
    for trigger, table in GUARD_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS payable_check_counted_money()")
    op.execute("DROP FUNCTION IF EXISTS payable_check_links_within_owed()")
    op.drop_column("sandbox_orders", "captured_at")
    op.drop_column("tenants", "refund_four_eyes")
    op.drop_index("uq_refunds_in_flight_payment", table_name="refunds")
    op.drop_index(op.f("ix_refunds_group_id"), table_name="refunds")
    op.drop_column("refunds", "group_id")
    op.drop_column("refunds", "attempted_at")
    op.drop_column("payment_requests", "reverse_pending")
    op.drop_constraint(op.f("ck_payments_verified_by"), "payments", type_="check")
    op.create_check_constraint(
        op.f("ck_payments_verified_by"), "payments", "verified_by IN ('WEBHOOK', 'STATUS_LOOKUP')"
    )
    op.drop_column("payments", "captured_at")
    op.drop_constraint(op.f("ck_payments_held_has_reason"), "payments", type_="check")
    op.drop_column("payments", "held_reason")
    op.drop_constraint(op.f("ck_payments_state"), "payments", type_="check")
    op.execute("UPDATE payments SET state = 'MANUAL_REVIEW' WHERE state <> 'VERIFIED'")
    op.create_check_constraint(
        op.f("ck_payments_state"), "payments", "state IN ('VERIFIED', 'MANUAL_REVIEW')"
    )


GUARD_TRIGGERS = (
    ("payments_counted_money", "payments"),
    ("bookings_counted_money", "bookings"),
    ("installments_counted_money", "installments"),
    ("payment_requests_within_owed", "payment_requests"),
    ("installments_links_within_owed", "installments"),
)

GUARDS_SQL = (
    # Counted money is exactly the verified payments, and the schedule's paid amounts add up to it.
    """
CREATE FUNCTION payable_check_counted_money() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target uuid;
    counted numeric;
    verified numeric;
    allocated numeric;
BEGIN
    IF TG_TABLE_NAME = 'bookings' THEN
        target := NEW.id;
    ELSE
        target := NEW.booking_id;
    END IF;
    SELECT amount_paid INTO counted FROM bookings WHERE id = target;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(sum(amount), 0) INTO verified FROM payments
        WHERE booking_id = target AND state = 'VERIFIED';
    SELECT coalesce(sum(amount_paid), 0) INTO allocated FROM installments
        WHERE booking_id = target;
    IF counted <> verified OR counted <> allocated THEN
        RAISE EXCEPTION 'booking % counts %, its verified payments are %, its schedule holds %',
            target, counted, verified, allocated
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_bookings_counted_money';
    END IF;
    RETURN NULL;
END $$""",
    """CREATE CONSTRAINT TRIGGER payments_counted_money
    AFTER INSERT OR UPDATE OF state, amount ON payments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION payable_check_counted_money()""",
    """CREATE CONSTRAINT TRIGGER bookings_counted_money
    AFTER UPDATE OF amount_paid ON bookings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION payable_check_counted_money()""",
    """CREATE CONSTRAINT TRIGGER installments_counted_money
    AFTER UPDATE OF amount_paid ON installments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION payable_check_counted_money()""",
    # An open link never asks more than its installment still owes.
    """
CREATE FUNCTION payable_check_links_within_owed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target uuid;
    asked numeric;
    owed numeric;
BEGIN
    IF TG_TABLE_NAME = 'installments' THEN
        target := NEW.id;
    ELSE
        target := NEW.installment_id;
    END IF;
    SELECT r.amount, i.amount_due - i.amount_paid INTO asked, owed
        FROM payment_requests r JOIN installments i ON i.id = r.installment_id
        WHERE r.installment_id = target AND r.status = 'PENDING';
    IF FOUND AND asked > owed THEN
        RAISE EXCEPTION 'an open link of installment % asks %, it owes %', target, asked, owed
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_payment_requests_within_owed';
    END IF;
    RETURN NULL;
END $$""",
    """CREATE CONSTRAINT TRIGGER payment_requests_within_owed
    AFTER INSERT OR UPDATE OF status, amount ON payment_requests
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payable_check_links_within_owed()""",
    """CREATE CONSTRAINT TRIGGER installments_links_within_owed
    AFTER UPDATE OF amount_due, amount_paid ON installments
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payable_check_links_within_owed()""",
)
