"""The verticals this server runs, in the order of the public ``BookingKind`` values.

A new vertical is its package under ``payable.verticals`` plus one line here.
"""

from __future__ import annotations

import importlib

from payable.verticals import registry

INSTALLED = (
    "clinic",
    "course",
    "tour",
)


def install() -> None:
    """Import and register every installed vertical (idempotent): composition roots call it
    before they build a schema, serve or seed."""
    for name in INSTALLED:
        registry.register(importlib.import_module(f"payable.verticals.{name}").VERTICAL)
