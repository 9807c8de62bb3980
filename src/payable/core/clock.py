"""The business day: dates such as "due today" are Yerevan dates, whatever the server's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

BUSINESS_ZONE = ZoneInfo("Asia/Yerevan")


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return now().astimezone(BUSINESS_ZONE).date()


def start_of_day(day: date) -> datetime:
    """Midnight of a business day (Yerevan), as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=BUSINESS_ZONE)
