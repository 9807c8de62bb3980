"""course access layers, self-closing reminders

Revision ID: course_access_layers
Revises: booking_filters
Create Date: 2026-12-03

Course access becomes derived (money, dates, booking status) with two explicit layers on
top: a pause and a manager's override. Both are read back from each enrollment's own
history, so nothing a person decided is lost. Reminder tasks whose installment is paid, or
whose booking is closed, are closed by the system as they would have been.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "course_access_layers"
down_revision = "booking_filters"
branch_labels = None
depends_on = None

# Paused: suspended, and the latest of its PAUSED / RESUMED events is a pause.
BACKFILL_PAUSED = """
UPDATE course_enrollments e SET paused = true
WHERE e.access_status = 'SUSPENDED'
  AND (SELECT ev.type FROM booking_events ev
       WHERE ev.booking_id = e.booking_id AND ev.type IN ('PAUSED', 'RESUMED')
       ORDER BY ev.sequence DESC NULLS FIRST LIMIT 1) = 'PAUSED'
"""

# Overridden: access is still what the latest MANUAL_OVERRIDE set it to.
BACKFILL_OVERRIDE = """
UPDATE course_enrollments e SET access_override = e.access_status
WHERE e.access_status IN ('GRANTED', 'REVOKED')
  AND (SELECT ev.data -> 'accessStatus' ->> 'new' FROM booking_events ev
       WHERE ev.booking_id = e.booking_id AND ev.type = 'MANUAL_OVERRIDE'
       ORDER BY ev.sequence DESC NULLS FIRST LIMIT 1) = e.access_status
"""

CLOSE_MOOT_REMINDERS = """
UPDATE review_tasks t
SET status = 'RESOLVED', resolved_at = now(), resolved_by = 'system',
    resolution = CASE WHEN b.status IN ('CANCELLED', 'NO_SHOW') THEN 'the booking is closed'
                      ELSE 'nothing is owed on the installment any more' END
FROM reminders r
JOIN installments i ON i.id = r.installment_id
JOIN bookings b ON b.id = i.booking_id
WHERE r.task_id = t.id AND t.kind = 'REMINDER' AND t.status = 'OPEN'
  AND (b.status IN ('CANCELLED', 'NO_SHOW') OR i.amount_paid >= i.amount_due)
"""


def upgrade() -> None:
    op.add_column(
        "course_enrollments",
        sa.Column("paused", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column(
        "course_enrollments", sa.Column("access_override", sa.String(length=16), nullable=True)
    )
    op.create_check_constraint(
        op.f("ck_course_enrollments_access_override"),
        "course_enrollments",
        "access_override IS NULL OR access_override IN ('GRANTED', 'REVOKED')",
    )
    op.execute(BACKFILL_PAUSED)
    op.execute(BACKFILL_OVERRIDE)
    op.execute(CLOSE_MOOT_REMINDERS)


def downgrade() -> None:
    op.drop_constraint(
        op.f("ck_course_enrollments_access_override"), "course_enrollments", type_="check"
    )
    op.drop_column("course_enrollments", "access_override")
    op.drop_column("course_enrollments", "paused")
