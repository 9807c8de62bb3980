"""Tour rules: at least one participant; a deposit and a balance unless installments are given."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import dates, schedule
from payable.bookings import service as bookings
from payable.bookings.refusals import BookingRefusal
from payable.core import clock, text
from payable.core.money import MalformedAmount
from payable.core.principal import Principal
from payable.verticals import registry
from payable.verticals.fields import require_text
from payable.verticals.tour.models import KIND, TourBooking
from payable.verticals.tour.refusals import TourRefusal


@dataclass(frozen=True, slots=True)
class Tour:
    tour_date: date
    package_id: str
    participant_count: int
    manager_reference: str | None = None
    source_channel: str | None = None

    def validate(self) -> None:
        require_text(self.package_id, "package_id")
        if self.participant_count < 1:
            raise TourRefusal.INVALID_PARTICIPANT_COUNT.error("participantCount")
        for name in ("manager_reference", "source_channel"):
            value = getattr(self, name)
            if value is not None:
                limit = text.SHORT_MAX if name == "source_channel" else text.REFERENCE_MAX
                require_text(value, name, max_length=limit)


@dataclass(frozen=True, slots=True)
class DepositTerms:
    """``depositAmount`` and ``balanceDueDate`` (the balance defaults to the tour date)."""

    deposit: Decimal | MalformedAmount | None
    balance_due: date | None


async def create(
    *,
    session: AsyncSession,
    principal: Principal,
    basics: bookings.BookingBasics,
    tour: Tour,
    terms: DepositTerms,
) -> uuid.UUID:
    tour.validate()
    dates.day_not_past(tour.tour_date, "tourDate")
    today = clock.today()
    if terms.balance_due is not None and terms.balance_due > tour.tour_date:
        raise BookingRefusal.DUE_AFTER_SERVICE.error("balanceDueDate")
    if terms.deposit is None:
        if terms.balance_due is not None:
            raise TourRefusal.INVALID_SCHEDULE.error(
                "balanceDueDate", "balanceDueDate needs a depositAmount"
            )
        planned = basics.schedule(today)
    elif basics.installments is not None:
        raise TourRefusal.INVALID_SCHEDULE.error(
            "depositAmount", "give either depositAmount or installments, not both"
        )
    else:
        planned = schedule.deposit_and_balance(
            basics.price, terms.deposit, terms.balance_due or tour.tour_date, today
        )

    async def add_details(session: AsyncSession, booking_id: uuid.UUID) -> None:
        await session.execute(
            insert(TourBooking.__table__).values(booking_id=booking_id, **asdict(tour))
        )

    return await bookings.create(
        session=session,
        principal=principal,
        new=bookings.NewBooking(
            vertical=registry.get(KIND),
            basics=basics,
            schedule=planned,
            due_by=tour.tour_date,
            details=asdict(tour),
            add_details=add_details,
        ),
    )
