"""Background settlement of refunds left between approval and the gateway's answer.

Safe with several server processes: sending claims the refund row and stamps ``attempted_at``
first, so one process sends; settling asks the gateway and records under the booking lock.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy import and_, or_, select

from payable.core import clock
from payable.db.engine import Database
from payable.providers.registry import Providers
from payable.refunds import execution
from payable.refunds.enums import IN_FLIGHT
from payable.refunds.models import Refund

log = structlog.get_logger("payable.workers")
BATCH = 50
# An approved refund the approving request did not send within this long was interrupted.
UNSENT_AFTER = timedelta(minutes=1)


async def settle_open(db: Database, providers: Providers, *, limit: int = BATCH) -> int:
    """Send interrupted approvals, settle refunds of unknown outcome; how many were looked at."""
    now = clock.now()
    async with db.session() as session:
        due = (
            await session.scalars(
                select(Refund.id)
                .where(
                    Refund.status.in_(IN_FLIGHT),
                    or_(
                        and_(
                            Refund.attempted_at.is_(None), Refund.decided_at <= now - UNSENT_AFTER
                        ),
                        Refund.attempted_at <= now - execution.SETTLE_AFTER,
                    ),
                )
                .order_by(Refund.decided_at)
                .limit(limit)
            )
        ).all()
    for refund_id in due:
        try:
            await execution.execute(db, providers.by_name, refund_id)
        except Exception:  # one bad row must not stop the others
            log.exception("refund settlement failed", refund_id=str(refund_id))
    return len(due)
