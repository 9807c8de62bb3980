"""wallets: the form a wallet payment posts, and money proven by a signed callback alone

Revision ID: wallet_payments
Revises: idempotency_responses
Create Date: 2026-12-03

Idram and Telcell have no order API: the browser posts a form that we build once and keep
with the request (the wallets sign the exact strings they received). They have no status
lookup either, so their signed callbacks verify money by themselves (SIGNED_CALLBACK).
Existing rows need no backfill: card links have no form, and no payment was a wallet's.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "wallet_payments"
down_revision = "idempotency_responses"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "payment_requests",
        sa.Column("payment_form", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.drop_constraint(op.f("ck_payments_verified_by"), "payments", type_="check")
    op.create_check_constraint(
        op.f("ck_payments_verified_by"),
        "payments",
        "verified_by IN ('WEBHOOK', 'STATUS_LOOKUP', 'PROVIDER_REPORT', 'SIGNED_CALLBACK')",
    )


def downgrade() -> None:
    op.execute("DELETE FROM payments WHERE verified_by = 'SIGNED_CALLBACK'")
    op.drop_constraint(op.f("ck_payments_verified_by"), "payments", type_="check")
    op.create_check_constraint(
        op.f("ck_payments_verified_by"),
        "payments",
        "verified_by IN ('WEBHOOK', 'STATUS_LOOKUP', 'PROVIDER_REPORT')",
    )
    op.drop_column("payment_requests", "payment_form")
