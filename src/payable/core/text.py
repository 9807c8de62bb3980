"""Free text from callers: stated maximum lengths, refused beyond them (``TEXT_TOO_LONG``).

Limits count characters after trimming surrounding blanks; the database columns match.
"""

from __future__ import annotations

from payable.core.errors import CommonRefusal

REASON_MAX = 1000  # why a change, cancellation, refund or override was made
LABEL_MAX = 64  # installment labels
REFERENCE_MAX = 128  # ids and references from the CRM (customerRef, crmReference, ids)
SHORT_MAX = 64  # short tags such as sourceChannel


def limit(value: str, *, field: str, max_length: int) -> str:
    """``value`` trimmed, or ``TEXT_TOO_LONG`` naming ``field`` and the limit."""
    trimmed = value.strip()
    if len(trimmed) > max_length:
        raise CommonRefusal.TEXT_TOO_LONG.error(
            field, f"{field} is longer than {max_length} characters"
        )
    return trimmed


def require_reason(reason: str | None, field: str = "reason") -> str:
    """A reason is required for every change and at most ``REASON_MAX`` characters."""
    if reason is None or not reason.strip():
        raise CommonRefusal.REASON_REQUIRED.error(field)
    return limit(reason, field=field, max_length=REASON_MAX)
