"""Demo tour bookings: three departures, each a deposit now and the balance a week before."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from payable.core.principal import Principal
from payable.verticals.demo import basics
from payable.verticals.tour import service as tour


async def seed(session: AsyncSession, principal: Principal, today: date) -> None:
    for n, (package, people) in enumerate(
        [("dilijan-sevan", 2), ("tatev-wings", 4), ("garni-geghard", 1)]
    ):
        tour_date = today + timedelta(days=21 + 7 * n)
        price = str(60000 * people)
        await tour.create(
            session=session,
            principal=principal,
            basics=basics(f"traveller-{n + 1}", price),
            tour=tour.Tour(
                tour_date, package, people, "manager-anna", "instagram" if n else "website"
            ),
            terms=tour.DepositTerms(Decimal(20000 * people), tour_date - timedelta(days=7)),
        )
