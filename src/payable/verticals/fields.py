"""Validation shared by the verticals' own fields."""

from __future__ import annotations

from payable.core.errors import DomainError


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def require_text(value: str, name: str, *, max_length: int = 128) -> None:
    """Ids from the CRM: present and of sane length."""
    if not value.strip() or len(value) > max_length:
        raise DomainError(
            "INVALID_FIELD", f"{_camel(name)} must be 1 to {max_length} characters", _camel(name)
        )
