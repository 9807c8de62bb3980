"""Business days and months as time ranges (Asia/Yerevan)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from payable.core.clock import start_of_day
from payable.core.errors import CommonRefusal
from payable.reports.refusals import ReportRefusal


def day_range(day: date) -> tuple[datetime, datetime]:
    return start_of_day(day), start_of_day(day + timedelta(days=1))


def days_range(first: date, last: date) -> tuple[datetime, datetime]:
    if last < first:
        raise CommonRefusal.INVALID_PERIOD.error("to")
    if (last - first).days > 366:
        raise CommonRefusal.INVALID_PERIOD.error("to")
    return start_of_day(first), start_of_day(last + timedelta(days=1))


def month_range(month: str) -> tuple[datetime, datetime]:
    """``YYYY-MM`` as [first day, first day of next month)."""
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        raise ReportRefusal.INVALID_MONTH.error("month") from None
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start_of_day(first), start_of_day(following)
