"""idempotency keys keep their first answer, for 24 hours

Revision ID: idempotency_responses
Revises: course_access_layers
Create Date: 2026-12-03

A key now keeps the exact first answer (status and body), the refusal it answered with, the
fingerprint of the request that got that answer, and when it expires. Existing keys expire 24
hours after they were made.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "idempotency_responses"
down_revision = "course_access_layers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "idempotency_keys",
        sa.Column("refusal", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column("idempotency_keys", sa.Column("fingerprint", sa.String(length=64)))
    op.add_column("idempotency_keys", sa.Column("response_status", sa.SmallInteger()))
    op.add_column("idempotency_keys", sa.Column("response_body", sa.LargeBinary()))
    op.add_column(
        "idempotency_keys", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute("UPDATE idempotency_keys SET expires_at = created_at + interval '24 hours'")
    op.alter_column("idempotency_keys", "expires_at", nullable=False)
    op.create_index(
        op.f("ix_idempotency_keys_expires_at"), "idempotency_keys", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_idempotency_keys_expires_at"), table_name="idempotency_keys")
    for column in ("expires_at", "response_body", "response_status", "fingerprint", "refusal"):
        op.drop_column("idempotency_keys", column)
