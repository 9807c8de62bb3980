"""Creating bookings: the part every vertical shares. Verticals add their details and rules."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import dates, schedule
from payable.bookings.enums import BookingStatus, PaymentStatus
from payable.bookings.models import Booking, Installment
from payable.bookings.schedule import InstallmentSpec, PlannedInstallment
from payable.core import clock, text
from payable.core.errors import NotFound
from payable.core.money import Money
from payable.core.principal import Principal
from payable.customers import service as customers
from payable.policies import service as policies
from payable.timeline import service as timeline
from payable.timeline.data import encode_keys
from payable.timeline.events import EventType

if TYPE_CHECKING:
    from payable.verticals.base import Vertical

# Crockford base32 without look-alikes: references are read out over the phone.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_REFERENCE_ATTEMPTS = 5

AddDetails = Callable[[AsyncSession, uuid.UUID], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class BookingBasics:
    """What every create input carries, whatever the vertical."""

    customer_ref: str
    crm_reference: str | None
    policy_code: str | None
    price: Money
    installments: list[InstallmentSpec] | None

    def schedule(self, today: date) -> list[PlannedInstallment]:
        """The client's installments, or the whole price due at once."""
        if self.installments is None:
            return schedule.single(self.price, today)
        return schedule.from_specs(self.price, self.installments)


@dataclass(frozen=True, slots=True)
class NewBooking:
    vertical: Vertical
    basics: BookingBasics
    details: dict[str, object]  # the vertical's own fields, recorded (encoded) in CREATED
    add_details: AddDetails
    schedule: list[PlannedInstallment] | None = None  # default: the basics' schedule
    # The last business day anything may fall due: the service's day (see ``bookings.dates``).
    due_by: date | None = None


async def create(*, session: AsyncSession, principal: Principal, new: NewBooking) -> uuid.UUID:
    """Insert the booking, its schedule, its vertical details and its CREATED event."""
    tenant_id = principal.tenant_id
    kind, basics = new.vertical.kind, new.basics
    planned = new.schedule if new.schedule is not None else basics.schedule(clock.today())
    if new.due_by is not None:
        dates.due_by(planned, basics.installments, new.due_by)
    if basics.crm_reference is not None:
        text.limit(basics.crm_reference, field="crmReference", max_length=text.REFERENCE_MAX)
    policy_version_id = await policies.current_version_id(
        session=session, tenant_id=tenant_id, kind=kind, code=basics.policy_code
    )
    customer_id = await customers.find_or_create(
        session=session, tenant_id=tenant_id, external_ref=basics.customer_ref
    )
    booking_id = uuid.uuid4()
    price = basics.price
    reference = await _insert_booking(
        session,
        id=booking_id,
        tenant_id=tenant_id,
        kind=kind,
        prefix=new.vertical.reference_prefix,
        customer_id=customer_id,
        crm_reference=basics.crm_reference,
        policy_version_id=policy_version_id,
        status=BookingStatus.AWAITING_PAYMENT.value,
        payment_status=PaymentStatus.UNPAID.value,
        currency=price.currency.value,
        price=price.amount,
    )
    await session.execute(
        insert(Installment.__table__),
        [
            {
                "id": uuid.uuid4(),
                "booking_id": booking_id,
                "currency": price.currency.value,
                "sequence": n,
                "label": p.label,
                "amount_due": p.amount,
                "due_date": p.due_date,
                "grace_days": p.grace_days,
            }
            for n, p in enumerate(planned, start=1)
        ],
    )
    await new.add_details(session, booking_id)
    await timeline.append(
        session=session,
        tenant_id=tenant_id,
        booking_id=booking_id,
        type=EventType.CREATED,
        actor=principal.sub,
        data={
            "kind": kind,
            "reference": reference,
            "price": {"amount": f"{price.amount:.2f}", "currency": price.currency.value},
            "schedule": [
                {"amount": f"{p.amount:.2f}", "dueDate": p.due_date.isoformat(), "label": p.label}
                for p in planned
            ],
            **encode_keys(new.details),
        },
    )
    return booking_id


async def _insert_booking(session: AsyncSession, *, prefix: str, **values: object) -> str:
    """Insert with a fresh random reference, retrying the rare collision inside a savepoint."""
    for _ in range(_REFERENCE_ATTEMPTS):
        reference = f"{prefix}-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))
        try:
            async with session.begin_nested():
                await session.execute(
                    insert(Booking.__table__).values(reference=reference, **values)
                )
            return reference
        except IntegrityError as error:
            if "uq_bookings_tenant_id_reference" not in str(error.orig):
                raise
    raise RuntimeError("could not allocate a unique booking reference")


async def lock(
    *, session: AsyncSession, tenant_id: uuid.UUID, booking_id: uuid.UUID, field: str = "bookingId"
) -> Booking:
    """The booking, row-locked for this transaction: every change to one booking is serialized."""
    booking = await session.scalar(
        select(Booking)
        .where(Booking.tenant_id == tenant_id, Booking.id == booking_id)
        .with_for_update()
    )
    if booking is None:
        raise NotFound("booking", field)
    return booking
