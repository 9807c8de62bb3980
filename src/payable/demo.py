"""Demo data: a tenant with a realistic handful of bookings in all three verticals."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from payable.bookings.models import Booking
from payable.bookings.schedule import InstallmentSpec
from payable.bookings.service import BookingBasics
from payable.core import clock
from payable.core.money import Currency, Money, parse_amount
from payable.core.principal import Principal, Role
from payable.core.tokens import issue
from payable.db.engine import Database
from payable.payments import service as payments
from payable.providers.registry import Providers
from payable.settings import Settings
from payable.tenants import service as tenants
from payable.verticals.clinic import service as clinic
from payable.verticals.course import service as course
from payable.verticals.tour import service as tour

DEMO_TENANT = "demo"


def _amd(amount: str) -> Money:
    return Money(parse_amount(amount, field="price"), Currency.AMD)


def _basics(
    customer: str, price: str, installments: list[InstallmentSpec] | None = None
) -> BookingBasics:
    return BookingBasics(customer, f"crm-{customer}", None, _amd(price), installments)


async def seed(url: str, secret: str, settings: Settings) -> str:
    """Create the demo bookings once; return an Authorization header for the demo tenant."""
    db = Database(url, pool_size=2)
    providers = Providers(db, settings)
    try:
        async with db.session() as session:
            tenant_id = await tenants.ensure(session=session, slug=DEMO_TENANT)
        principal = Principal(
            sub="demo-seed", tenant_slug=DEMO_TENANT, role=Role.ADMIN, tenant_id=tenant_id
        )
        async with db.session() as session, session.begin():
            existing = await session.scalar(
                select(func.count()).where(Booking.tenant_id == tenant_id)
            )
            if not existing:
                await _bookings(session, principal)
                await _links(session, principal, providers, settings.public_url)
    finally:
        await providers.close()
        await db.dispose()
    token = issue(
        secret=secret, tenant=DEMO_TENANT, role=Role.ADMIN, sub="demo-admin", ttl=timedelta(days=7)
    )
    return f'{{"Authorization": "Bearer {token}"}}'


async def _links(session, principal: Principal, providers: Providers, public_url: str) -> None:  # type: ignore[no-untyped-def]
    """An open sandbox payment link on the first booking of each vertical, to pay by hand."""
    for kind in ("CLINIC_APPOINTMENT", "COURSE_ENROLLMENT", "TOUR_BOOKING"):
        booking_id = await session.scalar(
            select(Booking.id)
            .where(Booking.tenant_id == principal.tenant_id, Booking.kind == kind)
            .order_by(Booking.created_at)
            .limit(1)
        )
        await payments.request_payment(
            session=session,
            principal=principal,
            provider=providers.sandbox,
            public_url=public_url,
            booking_id=booking_id,
            installment_id=None,
            expires_in_minutes=7 * 24 * 60,
            return_url=None,
        )


async def _bookings(session, principal: Principal) -> None:  # type: ignore[no-untyped-def]
    today = clock.today()
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
            basics=_basics(f"patient-{n + 1}", price),
            appointment=appointment,
        )
    # A dental plan paid as a deposit now and the balance before the visit.
    start = tomorrow_9 + timedelta(days=14)
    await clinic.create(
        session=session,
        principal=principal,
        basics=_basics(
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
            basics=_basics(f"student-{n + 1}", "135000", months),
            enrollment=enrollment,
        )
    for n, (package, people) in enumerate(
        [("dilijan-sevan", 2), ("tatev-wings", 4), ("garni-geghard", 1)]
    ):
        tour_date = today + timedelta(days=21 + 7 * n)
        price = str(60000 * people)
        await tour.create(
            session=session,
            principal=principal,
            basics=_basics(f"traveller-{n + 1}", price),
            tour=tour.Tour(
                tour_date, package, people, "manager-anna", "instagram" if n else "website"
            ),
            terms=tour.DepositTerms(Decimal(20000 * people), tour_date - timedelta(days=7)),
        )
