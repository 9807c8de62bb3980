"""Demo appointments: three consultations tomorrow and a dental plan in two payments."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings.schedule import InstallmentSpec
from payable.core import clock
from payable.core.principal import Principal
from payable.verticals.clinic import service as clinic
from payable.verticals.demo import basics


async def seed(session: AsyncSession, principal: Principal, today: date) -> None:
    tomorrow_9 = datetime.combine(
        today + timedelta(days=1), time(9, 0), tzinfo=clock.BUSINESS_ZONE
    ).astimezone(UTC)
    for n, (specialist, price) in enumerate(
        [("dr-sargsyan", "15000"), ("dr-petrosyan", "25000"), ("dr-sargsyan", "18000")]
    ):
        start = tomorrow_9 + timedelta(hours=n)
        appointment = clinic.Appointment(
            "consultation", specialist, "yerevan-center", start, start + timedelta(minutes=45)
        )
        await clinic.create(
            session=session,
            principal=principal,
            basics=basics(f"patient-{n + 1}", price),
            appointment=appointment,
        )
    # A dental plan paid as a deposit now and the balance before the visit.
    start = tomorrow_9 + timedelta(days=14)
    await clinic.create(
        session=session,
        principal=principal,
        basics=basics(
            "patient-4",
            "120000",
            [
                InstallmentSpec(Decimal("40000"), today, 0, "deposit"),
                InstallmentSpec(Decimal("80000"), today + timedelta(days=14), 3, "balance"),
            ],
        ),
        appointment=clinic.Appointment(
            "implant", "dr-hakobyan", "yerevan-center", start, start + timedelta(hours=2)
        ),
    )
