"""Daily summary and month close: what operators and accountants read each day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import strawberry
from graphql import GraphQLError
from strawberry.tools import merge_types

from payable.core import permissions
from payable.core.errors import DomainError
from payable.graphql import guard
from payable.graphql.context import ctx
from payable.graphql.types.common import BookingKind, Money
from payable.graphql.types.schedule import Installment
from payable.reports import daily
from payable.reports import month as month_report


def _money(amounts: dict[str, Decimal]) -> list[Money]:
    return [Money.of(amount, currency) for currency, amount in sorted(amounts.items())]


@strawberry.type(description="One vertical's day. Amounts are per currency; currencies never mix.")
class VerticalDay:
    kind: BookingKind
    payments: int
    bookings_paid: int = strawberry.field(description="Bookings that received verified money.")
    deposits_paid: int = strawberry.field(
        description="First payments of multi-installment bookings."
    )
    captured: list[Money]
    refunds: int
    refunded: list[Money]
    test_captured: list[Money] = strawberry.field(
        description="The part of captured that is test money (the sandbox gateway): nothing"
        " moved. Only development and demo servers have any."
    )
    test_refunded: list[Money] = strawberry.field(
        description="The part of refunded that is test money (the sandbox gateway)."
    )
    cancellations: int
    weather_cancellations: int
    no_shows: int
    unpaid_balance: list[Money] = strawberry.field(description="Still owed on live bookings (now).")
    installments_due: int
    installments_overdue: int


@strawberry.type
class Reminder:
    installment: Installment
    booking_reference: str
    overdue: bool


# DailySummary is these two around the verticals' own parts (``VerticalApi.daily``): see
# ``daily_summary_type``.
@strawberry.type
class DailySummaryHead:
    date: date
    verticals: list[VerticalDay]
    reminders: list[Reminder] = strawberry.field(
        description="Installments due or overdue: who to remind."
    )
    figures: strawberry.Private[dict[str, object]]  # by kind: the verticals' own lines


@strawberry.type
class DailySummaryTail:
    open_tasks: int


def daily_summary_type(parts: Sequence[type]) -> type:
    return merge_types("DailySummary", (DailySummaryHead, *parts, DailySummaryTail))


@strawberry.type
class MonthTotals:
    kind: BookingKind
    captured: Money
    refunded: Money


@strawberry.type
class MonthClose:
    month: str
    totals: list[MonthTotals]
    exceptions_opened: int
    exceptions_closed: int
    exceptions_open: int


def daily_queries(summary: type) -> type:
    """The ``dailySummary`` field, answering with ``summary`` (see ``daily_summary_type``)."""

    async def daily_summary(self: object, info: strawberry.Info, date: date) -> object:
        principal = await guard.require(
            info, operation="dailySummary", permission=permissions.Action.REPORTS
        )
        found = await daily.summary(
            session=ctx(info).read_session, tenant_id=principal.tenant_id, day=date
        )
        return summary(
            date=found.day,
            verticals=[
                VerticalDay(
                    kind=v.kind,
                    payments=v.payments,
                    bookings_paid=v.bookings_paid,
                    deposits_paid=v.deposits_paid,
                    captured=_money(v.captured),
                    refunds=v.refunds,
                    refunded=_money(v.refunded),
                    test_captured=_money(v.test_captured),
                    test_refunded=_money(v.test_refunded),
                    cancellations=v.cancellations,
                    weather_cancellations=v.weather_cancellations,
                    no_shows=v.no_shows,
                    unpaid_balance=_money(v.unpaid_balance),
                    installments_due=v.installments_due,
                    installments_overdue=v.installments_overdue,
                )
                for v in found.verticals
            ],
            reminders=[
                Reminder(
                    installment=Installment(row=r.installment),
                    booking_reference=r.booking_reference,
                    overdue=r.overdue,
                )
                for r in found.reminders
            ],
            figures=found.figures,
            open_tasks=found.open_tasks,
        )

    daily_summary.__annotations__["return"] = summary
    field = strawberry.field(
        daily_summary,
        description="The day (Asia/Yerevan) per vertical: money, closures, what is due.",
    )
    return strawberry.type(type("DailyQueries", (), {"daily_summary": field}))


@strawberry.type
class MonthQueries:
    @strawberry.field(
        description="A month (YYYY-MM): totals per vertical and currency, and its exceptions."
    )
    async def month_close(self, info: strawberry.Info, month: str) -> MonthClose:
        principal = await guard.require(
            info, operation="monthClose", permission=permissions.Action.REPORTS
        )
        try:
            found = await month_report.close(
                session=ctx(info).read_session, tenant_id=principal.tenant_id, month=month
            )
        except DomainError as error:
            raise GraphQLError(error.message, extensions={"code": error.code}) from None
        return MonthClose(
            month=found.month,
            totals=[
                MonthTotals(
                    kind=t.kind,
                    captured=Money.of(t.captured, t.currency),
                    refunded=Money.of(t.refunded, t.currency),
                )
                for t in found.totals
            ],
            exceptions_opened=found.exceptions_opened,
            exceptions_closed=found.exceptions_closed,
            exceptions_open=found.exceptions_open,
        )
