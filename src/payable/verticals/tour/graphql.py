"""GraphQL face of tour bookings."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import ClassVar

import strawberry

from payable.bookings import lifecycle
from payable.bookings.refusals import CHANGING, BookingRefusal
from payable.core.errors import CommonRefusal
from payable.core.permissions import Action
from payable.graphql.bookings.inputs import CREATE_REFUSALS, BookingInputBase, basics
from payable.graphql.bookings.payload import booking_payload
from payable.graphql.mutations.declaration import Call, mutation
from payable.graphql.types.booking import PayableBooking, booking_id
from payable.graphql.types.causes import ChangeCause
from payable.verticals.tour import changes, models, service
from payable.verticals.tour.refusals import TourRefusal


@strawberry.type(description="Participants on a tour package's departure date.")
class TourBooking(PayableBooking):
    detail: strawberry.Private[models.TourBooking]
    # Fields that show the detail row's column of the same name as it is: a list renders
    # them in SQL (graphql/json_nodes).
    detail_columns: ClassVar[tuple[str, ...]] = (
        "tour_date",
        "package_id",
        "participant_count",
        "manager_reference",
        "source_channel",
    )

    @strawberry.field
    def tour_date(self) -> date:
        return self.detail.tour_date

    @strawberry.field
    def package_id(self) -> strawberry.ID:
        return strawberry.ID(self.detail.package_id)

    @strawberry.field
    def participant_count(self) -> int:
        return self.detail.participant_count

    @strawberry.field
    def manager_reference(self) -> str | None:
        return self.detail.manager_reference

    @strawberry.field
    def source_channel(self) -> str | None:
        return self.detail.source_channel


@strawberry.input
class CreateTourBookingInput(BookingInputBase):
    tour_date: date
    package_id: strawberry.ID
    participant_count: int
    manager_reference: str | None = None
    source_channel: str | None = None
    deposit_amount: Decimal | None = strawberry.field(
        default=None, description="With balanceDueDate: a deposit now and the balance later."
    )
    balance_due_date: date | None = strawberry.field(
        default=None, description="Defaults to the tour date."
    )


@strawberry.type
class TourMutations:
    @mutation(
        role=Action.CREATE_BOOKING,
        answer=booking_payload,
        refusals=(
            *CREATE_REFUSALS,
            TourRefusal.INVALID_PARTICIPANT_COUNT,
            TourRefusal.INVALID_SCHEDULE,
        ),
        description="Book a tour; by default a deposit now and the balance later.",
    )
    async def create_tour_booking(call: Call, input: CreateTourBookingInput) -> uuid.UUID:
        tour = service.Tour(
            input.tour_date,
            input.package_id,
            input.participant_count,
            input.manager_reference,
            input.source_channel,
        )
        terms = service.DepositTerms(input.deposit_amount, input.balance_due_date)
        return await service.create(
            session=call.session,
            principal=call.principal,
            basics=basics(input),
            tour=tour,
            terms=terms,
        )


@strawberry.input
class TransferTourInput:
    booking_id: strawberry.ID
    new_tour_date: date
    reason: str
    cause: ChangeCause


@strawberry.input
class AdjustTourParticipantsInput:
    booking_id: strawberry.ID
    participant_count: int
    reason: str
    new_price: Decimal | None = strawberry.field(
        default=None, description="Defaults to the current price per participant."
    )


@strawberry.type
class TourChangeMutations:
    @mutation(
        role=Action.CHANGE_BOOKING,
        answer=booking_payload,
        refusals=(*CHANGING, BookingRefusal.NO_CHANGE, BookingRefusal.DATE_IN_PAST),
        description="Move to another departure date (e.g. WEATHER).",
    )
    async def transfer_tour(call: Call, input: TransferTourInput) -> uuid.UUID:
        return await changes.transfer(
            session=call.session,
            principal=call.principal,
            booking_id=booking_id(input.booking_id),
            new_date=input.new_tour_date,
            reason=input.reason,
            cause=lifecycle.ChangeCause(input.cause),
        )

    @mutation(
        role=Action.CHANGE_BOOKING,
        answer=booking_payload,
        refusals=(
            *CHANGING,
            BookingRefusal.NO_CHANGE,
            CommonRefusal.INVALID_AMOUNT,
            TourRefusal.INVALID_PARTICIPANT_COUNT,
        ),
        description="More participants add an installment for the difference; fewer leave the"
        " money paid and show the excess as refundable.",
    )
    async def adjust_tour_participants(call: Call, input: AdjustTourParticipantsInput) -> uuid.UUID:
        return await changes.adjust_participants(
            session=call.session,
            principal=call.principal,
            booking_id=booking_id(input.booking_id),
            participant_count=input.participant_count,
            reason=input.reason,
            new_price=input.new_price,
        )
