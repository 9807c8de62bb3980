"""The business day: dates such as "due today" are Yerevan dates, whatever the server's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BUSINESS_ZONE = ZoneInfo("Asia/Yerevan")


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return now().astimezone(BUSINESS_ZONE).date()


def start_of_day(day: date) -> datetime:
    """Midnight of a business day (Yerevan), as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=BUSINESS_ZONE)


def end_of_day(day: date) -> datetime:
    """Midnight after a business day: the moment it is over."""
    return start_of_day(day + timedelta(days=1))


def business_date(moment: datetime) -> date:
    return moment.astimezone(BUSINESS_ZONE).date()
