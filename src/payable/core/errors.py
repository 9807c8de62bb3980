"""Expected business refusals. They become ``UserError``s in mutation payloads, never 500s."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal with a stable ``code`` (part of the API) and the input ``field`` it concerns."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class NotFound(DomainError):
    """Unknown ids and ids of another tenant look the same: the caller learns nothing."""

    def __init__(self, what: str, field: str | None = None) -> None:
        super().__init__("NOT_FOUND", f"{what} not found", field)


class Forbidden(DomainError):
    def __init__(self, action: str) -> None:
        super().__init__("FORBIDDEN", f"your role may not {action}")
