"""Expected business refusals. They become ``UserError``s in mutation payloads, never 500s.

Each domain declares its codes once, as a ``Refusal`` catalogue in its ``refusals.py``: the
member's name is the stable code clients match on, its value the message that explains it.
"""

from __future__ import annotations

import enum


class Refusal(enum.Enum):
    """One catalogue of refusal codes; raise a member with ``raise Catalogue.CODE.error(field)``."""

    @property
    def code(self) -> str:
        return self.name

    @property
    def message(self) -> str:
        return str(self.value)

    def error(self, field: str | None = None, message: str | None = None) -> DomainError:
        """The refusal about input ``field``; ``message`` adds what only this case knows
        (the limit, the amount, the state found), else the catalogue's message is used."""
        return DomainError(self.code, message or self.message, field)


class DomainError(Exception):
    """A refusal with a stable ``code`` (part of the API) and the input ``field`` it concerns.

    Raised through a ``Refusal`` member; built from a code string only where a stored refusal
    is answered again (idempotency)."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@enum.unique
class CommonRefusal(Refusal):
    """Codes any domain may return."""

    FORBIDDEN = "your role may not do this"
    NOT_FOUND = "not found; ids of another tenant look the same as unknown ones"
    REASON_REQUIRED = "a reason is required"
    TEXT_TOO_LONG = "the text is longer than its maximum, after trimming"
    INVALID_AMOUNT = "not a valid amount: a decimal string above zero with at most 2 decimals"
    INVALID_PERIOD = "the period ends before it starts, or is longer than allowed"


class NotFound(DomainError):
    """Unknown ids and ids of another tenant look the same: the caller learns nothing."""

    def __init__(self, what: str, field: str | None = None) -> None:
        super().__init__(CommonRefusal.NOT_FOUND.code, f"{what} not found", field)


class Forbidden(DomainError):
    def __init__(self, action: str) -> None:
        super().__init__(CommonRefusal.FORBIDDEN.code, f"your role may not {action}")
