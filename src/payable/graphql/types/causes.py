"""Why a booking changed or closed: one enum for cancellations and the verticals' changes."""

from __future__ import annotations

import strawberry

from payable.bookings import lifecycle

ChangeCause = strawberry.enum(lifecycle.ChangeCause, name="ChangeCause")
