"""The verticals this server runs. A new vertical is its package plus one line here."""

from __future__ import annotations

from payable.verticals import clinic, course, registry, tour

INSTALLED = (
    clinic.VERTICAL,
    course.VERTICAL,
    tour.VERTICAL,
)


def install() -> None:
    """Register every installed vertical (idempotent): composition roots call it first."""
    for vertical in INSTALLED:
        registry.register(vertical)
