"""What a vertical adds to the schema. ``graphql.schema`` assembles the root types from the
registered verticals' parts, each part in its place, so the core's modules name no vertical."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VerticalApi:
    # The vertical's PayableBooking type, named after the kind (TOUR_BOOKING: TourBooking):
    # global ids and webhook payloads name it so.
    booking_type: type
    create: type  # Mutation fields creating its bookings
    changes: type | None = None  # Mutation fields of its change idiom (reschedule, transfer)
    closing: type | None = None  # Mutation fields closing many bookings at once (a departure)
    queries: type | None = None  # Query fields of its own (a departure's manifest)
    # Fields joined into DailySummary; they read ``self.figures[kind]``, what the vertical's
    # ``daily_figures`` returned for the day.
    daily: type | None = None
