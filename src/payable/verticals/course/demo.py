"""Demo enrollments: three students paying monthly."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings.schedule import InstallmentSpec
from payable.core.principal import Principal
from payable.verticals.course import service as course
from payable.verticals.demo import basics


async def seed(session: AsyncSession, principal: Principal, today: date) -> None:
    for n, group in enumerate(["python-evening", "english-b2", "python-evening"]):
        months = [
            InstallmentSpec(Decimal("45000"), today + timedelta(days=30 * m), 5, f"month {m + 1}")
            for m in range(3)
        ]
        enrollment = course.Enrollment(
            f"student-{n + 1}", group.split("-")[0], group, today, today + timedelta(days=89)
        )
        await course.create(
            session=session,
            principal=principal,
            basics=basics(f"student-{n + 1}", "135000", months),
            enrollment=enrollment,
        )
