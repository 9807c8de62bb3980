"""GraphQL face of tour bookings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from payable.bookings import lifecycle
from payable.core import permissions
from payable.graphql.booking_inputs import BookingInputBase, basics
from payable.graphql.booking_mutations import booking_payload
from payable.graphql.types.booking import BookingPayload, PayableBooking, booking_id
from payable.graphql.types.causes import ChangeCause
from payable.verticals.tour import changes, models, service


@strawberry.type(description="Participants on a tour package's departure date.")
class TourBooking(PayableBooking):
    detail: strawberry.Private[models.TourBooking]

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
    @strawberry.mutation(description="Book a tour; by default a deposit now and the balance later.")
    async def create_tour_booking(
        self,
        info: strawberry.Info,
        input: CreateTourBookingInput,
        idempotency_key: str | None = None,
    ) -> BookingPayload:
        tour = service.Tour(
            input.tour_date,
            input.package_id,
            input.participant_count,
            input.manager_reference,
            input.source_channel,
        )
        terms = service.DepositTerms(input.deposit_amount, input.balance_due_date)
        return await booking_payload(
            info,
            permission=permissions.Action.CREATE_BOOKING,
            operation="createTourBooking",
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: service.create(
                session=session, principal=principal, basics=basics(input), tour=tour, terms=terms
            ),
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
    @strawberry.mutation(description="Move to another departure date (e.g. WEATHER).")
    async def transfer_tour(
        self, info: strawberry.Info, input: TransferTourInput, idempotency_key: str | None = None
    ) -> BookingPayload:
        return await booking_payload(
            info,
            operation="transferTour",
            permission=permissions.Action.CHANGE_BOOKING,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: changes.transfer(
                session=session,
                principal=principal,
                booking_id=booking_id(input.booking_id),
                new_date=input.new_tour_date,
                reason=input.reason,
                cause=lifecycle.ChangeCause(input.cause),
            ),
        )

    @strawberry.mutation(
        description="More participants add an installment for the difference; fewer leave the"
        " money paid and show the excess as refundable."
    )
    async def adjust_tour_participants(
        self,
        info: strawberry.Info,
        input: AdjustTourParticipantsInput,
        idempotency_key: str | None = None,
    ) -> BookingPayload:
        return await booking_payload(
            info,
            operation="adjustTourParticipants",
            permission=permissions.Action.CHANGE_BOOKING,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: changes.adjust_participants(
                session=session,
                principal=principal,
                booking_id=booking_id(input.booking_id),
                participant_count=input.participant_count,
                reason=input.reason,
                new_price=input.new_price,
            ),
        )
