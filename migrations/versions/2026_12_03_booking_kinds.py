"""booking kinds as rows: the registered verticals' kinds, not CHECK lists

Revision ID: booking_kinds
Revises: webhooks
Create Date: 2026-12-03

Bookings and cancellation policies reference ``booking_kinds`` instead of listing the kinds in
CHECK constraints, so a new vertical changes no table of the core: the app adds its kind at
start-up. The kinds already in use are copied over; the app adds the rest.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "booking_kinds"
down_revision = "webhooks"
branch_labels = None
depends_on = None

# What the CHECK constraints listed before; restored on downgrade.
CHECKED_KINDS = "kind IN ('CLINIC_APPOINTMENT', 'COURSE_ENROLLMENT', 'TOUR_BOOKING')"
REFERENCING = ("bookings", "cancellation_policies")


def upgrade() -> None:
    op.create_table(
        "booking_kinds",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_booking_kinds")),
    )
    op.execute(
        "INSERT INTO booking_kinds (kind)"
        " SELECT kind FROM bookings UNION SELECT kind FROM cancellation_policies"
    )
    for table in REFERENCING:
        op.drop_constraint(op.f(f"ck_{table}_kind"), table, type_="check")
        op.create_foreign_key(
            op.f(f"fk_{table}_kind_booking_kinds"), table, "booking_kinds", ["kind"], ["kind"]
        )


def downgrade() -> None:
    for table in REFERENCING:
        op.drop_constraint(op.f(f"fk_{table}_kind_booking_kinds"), table, type_="foreignkey")
        op.create_check_constraint(op.f(f"ck_{table}_kind"), table, CHECKED_KINDS)
    op.drop_table("booking_kinds")
