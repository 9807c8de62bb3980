"""What a caller may see of a timeline: which events, and whether what people wrote.

One rule for every way out (a booking's timeline, `node(id:)`, the live stream, review
tasks): CRM notes only for the roles that keep them; free text (reasons, labels, note texts,
requests, which can carry medical details) only for staff. Integrators see types, codes,
ids, dates and amounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from payable.core import permissions
from payable.core.principal import Principal
from payable.timeline.events import FREE_TEXT_KEYS, EventType


@dataclass(frozen=True, slots=True)
class Visibility:
    hidden_types: frozenset[str]  # event types the caller does not see at all
    free_text: bool  # whether the caller reads reasons and free text inside data

    def text(self, written: str | None) -> str | None:
        """What a person wrote (an event's reason, a task's resolution), or null."""
        return written if self.free_text else None

    def data(self, data: dict[str, Any]) -> dict[str, Any]:
        """An event's or a task's JSON with the free text under FREE_TEXT_KEYS nulled."""
        return data if self.free_text else _without_free_text(data)


def of(principal: Principal) -> Visibility:
    notes = permissions.allowed(principal, permissions.Action.NOTES)
    return Visibility(
        hidden_types=frozenset() if notes else frozenset({EventType.NOTE.value}),
        free_text=permissions.allowed(principal, permissions.Action.READ_FREE_TEXT),
    )


def _without_free_text(value: Any) -> Any:
    """The same shape with every free-text value nulled, at any depth."""
    if isinstance(value, dict):
        return {
            key: None if key in FREE_TEXT_KEYS else _without_free_text(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_without_free_text(item) for item in value]
    return value
