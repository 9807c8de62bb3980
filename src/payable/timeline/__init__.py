"""The booking timeline: an append-only log of events with actor, reason and time."""
