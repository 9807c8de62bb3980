"""Demo data: a tenant with a realistic handful of bookings in every vertical (``seed_demo``)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from payable.bookings import kinds as booking_kinds
from payable.bookings.models import Booking
from payable.core import clock
from payable.core.principal import Principal, Role
from payable.core.tokens import issue
from payable.db.engine import Database
from payable.payments import service as payments
from payable.providers.registry import Providers
from payable.sandbox import plug as sandbox_plug
from payable.settings import Settings
from payable.tenants import service as tenants
from payable.verticals import installed, registry

DEMO_TENANT = "demo"


async def seed(url: str, secret: str, settings: Settings) -> str:
    """Create the demo bookings once; return a bearer token of the demo tenant's admin."""
    db = Database(url, pool_size=2)
    providers = Providers(db, settings)
    installed.install()
    sandbox_plug.plug_in()
    try:
        async with db.session() as session, session.begin():
            await booking_kinds.sync(session, registry.kinds())
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
    return issue(
        secret=secret, tenant=DEMO_TENANT, role=Role.ADMIN, sub="demo-admin", ttl=timedelta(days=7)
    )


async def _links(session, principal: Principal, providers: Providers, public_url: str) -> None:  # type: ignore[no-untyped-def]
    """An open sandbox payment link on the first booking of each vertical, to pay by hand."""
    for kind in registry.kinds():
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
    for vertical in registry.all_verticals():
        if vertical.seed_demo is not None:
            await vertical.seed_demo(session, principal, today)
