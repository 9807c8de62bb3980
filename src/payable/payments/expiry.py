"""How long a payment link lives: as asked, but never longer than the gateway's own page.

ArCa and Ameriabank close their payment page after 20 minutes; a link promising more would
read PENDING long after nobody can pay it. An explicit longer lifetime is refused, so the
caller learns the limit; the default (60 minutes) is capped to it, so a caller who asked
for nothing still gets a link.
"""

from __future__ import annotations

from datetime import timedelta

from payable.payments.refusals import PaymentRefusal

DEFAULT_MINUTES = 60
MAX_MINUTES = 7 * 24 * 60


def lifetime(*, minutes: int, gateway: str, max_session: timedelta | None) -> timedelta:
    """The link's lifetime for ``expiresInMinutes``, or a DomainError naming the limit."""
    if not 1 <= minutes <= MAX_MINUTES:
        raise PaymentRefusal.INVALID_EXPIRY.error(
            "expiresInMinutes", f"expiresInMinutes must be 1 to {MAX_MINUTES}"
        )
    asked = timedelta(minutes=minutes)
    if max_session is None or asked <= max_session:
        return asked
    if minutes == DEFAULT_MINUTES:
        return max_session
    limit = int(max_session.total_seconds() // 60)
    raise PaymentRefusal.EXPIRY_BEYOND_GATEWAY_SESSION.error(
        "expiresInMinutes",
        f"the {gateway} payment page closes after {limit} minutes:"
        f" expiresInMinutes must be 1 to {limit}",
    )
