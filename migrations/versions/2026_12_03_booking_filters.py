"""Indexes behind `bookings(filter:)` and the tour departure view.

Revision ID: booking_filters
Revises: money_held
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "booking_filters"
down_revision = "money_held"
branch_labels = None
depends_on = None

# name, table, columns: the same as payable.bookings.search.INDEXES
INDEXES = [
    ("ix_bookings_tenant_customer", "bookings", ["tenant_id", "customer_id"]),
    ("ix_bookings_tenant_crm_reference", "bookings", ["tenant_id", "crm_reference"]),
    ("ix_clinic_appointments_tenant_slot", "clinic_appointments", ["tenant_id", "slot_start"]),
    (
        "ix_clinic_appointments_tenant_specialist",
        "clinic_appointments",
        ["tenant_id", "specialist_id", "slot_start"],
    ),
    (
        "ix_clinic_appointments_tenant_branch",
        "clinic_appointments",
        ["tenant_id", "branch_id", "slot_start"],
    ),
    (
        "ix_clinic_appointments_tenant_service",
        "clinic_appointments",
        ["tenant_id", "service_id", "slot_start"],
    ),
    ("ix_course_enrollments_course_group", "course_enrollments", ["course_id", "group_id"]),
    ("ix_course_enrollments_group_id", "course_enrollments", ["group_id"]),
    ("ix_course_enrollments_period_start", "course_enrollments", ["period_start"]),
    ("ix_tour_bookings_package_date", "tour_bookings", ["package_id", "tour_date"]),
    ("ix_tour_bookings_source_channel", "tour_bookings", ["source_channel"]),
    ("ix_tour_bookings_manager_reference", "tour_bookings", ["manager_reference"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
