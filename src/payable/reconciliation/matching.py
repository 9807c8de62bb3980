"""What a reconciliation finds: each report line against our books, and our books against
every line known. Only reads: recording exceptions is payable.reconciliation.service's job.

A day's lines are those imported with that day's report. They are matched by reference
against all our payments and refunds, whatever day we booked them, and our payments and
refunds of the day against every line known: money booked just before midnight here and
reported the next day at the gateway is no difference.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from payable.core import clock
from payable.core.money import Currency, Money
from payable.payments.enums import PaymentState
from payable.reconciliation.models import ExceptionKind, Operation

_YIELD = 5_000

_LINES = text("""
WITH day_lines AS (
    SELECT operation, provider_order_id, reference, amount, currency, occurred_at
    FROM provider_report_lines
    WHERE tenant_id = :tenant_id AND provider = :provider AND report_date = :day
), refunded AS (
    SELECT f.provider_refund_reference AS reference,
           sum(f.amount) FILTER (WHERE f.status = 'SUCCEEDED') AS amount,
           min(f.currency) AS currency,
           string_agg(DISTINCT f.status, ', ') AS statuses,
           (array_agg(f.booking_id))[1] AS booking_id,
           (array_agg(f.payment_id))[1] AS payment_id
    FROM refunds f JOIN payments p ON p.id = f.payment_id
    WHERE f.tenant_id = :tenant_id AND p.provider = :provider
      AND f.provider_refund_reference IN (
          SELECT reference FROM day_lines WHERE operation <> 'PAYMENT')
    GROUP BY f.provider_refund_reference
)
SELECT l.operation, l.provider_order_id, l.reference, l.amount, l.currency,
       coalesce(p.amount, r.amount) AS our_amount,
       coalesce(p.currency, r.currency) AS our_currency,
       coalesce(p.state, r.statuses) AS our_state,
       coalesce(p.booking_id, r.booking_id, q.booking_id) AS booking_id,
       coalesce(p.id, r.payment_id) AS payment_id,
       coalesce(p.payment_request_id, q.id) AS payment_request_id
FROM day_lines l
LEFT JOIN payments p ON l.operation = 'PAYMENT' AND p.tenant_id = :tenant_id
     AND p.provider = :provider AND p.provider_reference = l.reference
LEFT JOIN refunded r ON l.operation <> 'PAYMENT' AND r.reference = l.reference
LEFT JOIN payment_requests q ON q.tenant_id = :tenant_id AND q.provider = :provider
     AND q.provider_order_id = l.provider_order_id
ORDER BY l.occurred_at, l.reference""")

# Our money of the day that no line of the gateway's (of any day) accounts for.
_UNREPORTED_PAYMENTS = text("""
SELECT 'PAYMENT' AS operation, q.provider_order_id, p.provider_reference AS reference,
       p.amount, p.currency, p.state AS our_state, p.booking_id, p.id AS payment_id,
       p.payment_request_id
FROM payments p JOIN payment_requests q ON q.id = p.payment_request_id
WHERE p.tenant_id = :tenant_id AND p.provider = :provider
  AND p.state IN ('VERIFIED', 'HELD', 'RETURNED')
  AND p.verified_at >= :start AND p.verified_at < :end
  AND NOT EXISTS (SELECT 1 FROM provider_report_lines l
                  WHERE l.tenant_id = :tenant_id AND l.provider = :provider
                    AND l.operation = 'PAYMENT' AND l.reference = p.provider_reference)
ORDER BY p.verified_at, p.provider_reference""")
_UNREPORTED_REFUNDS = text("""
SELECT 'REFUND' AS operation, q.provider_order_id,
       coalesce(f.provider_refund_reference, 'refund:' || f.id) AS reference,
       f.amount, f.currency, f.status AS our_state, f.booking_id, f.payment_id, p.payment_request_id
FROM refunds f JOIN payments p ON p.id = f.payment_id
     JOIN payment_requests q ON q.id = p.payment_request_id
WHERE f.tenant_id = :tenant_id AND p.provider = :provider AND f.status = 'SUCCEEDED'
  AND f.decided_at >= :start AND f.decided_at < :end
  AND NOT EXISTS (SELECT 1 FROM provider_report_lines l
                  WHERE l.tenant_id = :tenant_id AND l.provider = :provider
                    AND l.operation IN ('REFUND', 'REVERSAL')
                    AND l.reference = f.provider_refund_reference)
ORDER BY f.decided_at, reference""")


@dataclass(frozen=True, slots=True)
class Tally:
    """How many, and how much per currency (sorted by currency)."""

    count: int = 0
    amounts: tuple[Money, ...] = ()

    @classmethod
    def of(cls, amounts: Iterable[Money]) -> Tally:
        running = _Running()
        for money in amounts:
            running.add(money)
        return running.tally()


class _Running:
    """A tally being counted, holding only one sum per currency."""

    def __init__(self) -> None:
        self.count = 0
        self.totals: dict[Currency, Decimal] = defaultdict(Decimal)

    def add(self, money: Money) -> None:
        self.count += 1
        self.totals[money.currency] += money.amount

    def tally(self) -> Tally:
        return Tally(self.count, tuple(Money(self.totals[c], c) for c in sorted(self.totals)))


@dataclass(frozen=True, slots=True)
class Finding:
    """One difference. ``theirs`` is the gateway's amount, ``ours`` what our books hold."""

    kind: ExceptionKind
    operation: Operation
    reference: str
    provider_order_id: str | None
    theirs: Money | None
    ours: Money | None
    our_state: str | None = None  # our payment's state or our refunds' statuses
    booking_id: uuid.UUID | None = None
    payment_id: uuid.UUID | None = None
    payment_request_id: uuid.UUID | None = None
    exception_id: uuid.UUID | None = None  # once recorded
    task_id: uuid.UUID | None = None  # None when no booking is known to file a task under

    @property
    def amount(self) -> Money:
        return self.theirs or self.ours  # type: ignore[return-value]  # one is always known

    def details(self, provider: str, day: date) -> dict[str, Any]:
        """JSON for the exception row and its review task: what a person needs to decide."""
        return {
            "exception": self.kind.value,
            "provider": provider,
            "reportDate": day.isoformat(),
            "operation": self.operation.value,
            "reference": self.reference,
            "providerOrderId": self.provider_order_id,
            "providerAmount": _json(self.theirs),
            "ourAmount": _json(self.ours),
            "ourState": self.our_state,
            "bookingId": _str(self.booking_id),
            "paymentId": _str(self.payment_id),
        }


@dataclass(frozen=True, slots=True)
class Summary:
    provider: str
    day: date
    lines: int  # the day's report lines
    matched: Tally  # payment lines that match a verified payment
    matched_refunds: Tally  # refund and reversal lines that match a succeeded refund
    exceptions: tuple[Finding, ...] = field(default=())

    def tally(self, kind: ExceptionKind) -> Tally:
        """The exceptions of one kind; amounts are the gateway's, else ours."""
        return Tally.of(f.amount for f in self.exceptions if f.kind is kind)

    def describe(self) -> str:
        """For people at a terminal: the totals, then one line per exception."""
        rows = [
            f"{self.provider} {self.day}: {self.lines} report lines",
            f"  matched payments       {_text(self.matched)}",
            f"  matched refunds        {_text(self.matched_refunds)}",
            *(f"  {kind.value:<22} {_text(self.tally(kind))}" for kind in ExceptionKind),
        ]
        for f in self.exceptions:
            theirs = _money_text(f.theirs)
            task = f"task {f.task_id}" if f.task_id else "no booking, no task"
            rows.append(
                f"{f.kind.value} {f.operation.value} {f.reference}: gateway {theirs},"
                f" ours {_money_text(f.ours)} ({f.our_state or 'none'}); {task}"
            )
        return "\n".join(rows)


def classify(
    operation: Operation, theirs: Money, ours: Money | None, our_state: str | None
) -> ExceptionKind | None:
    """The difference a report line shows against our books; None when it matches."""
    if operation is Operation.PAYMENT:
        if ours is None:
            return ExceptionKind.MISSING_HERE  # money arrived; no booking knows it
        if ours != theirs:
            return ExceptionKind.AMOUNT_MISMATCH
        if our_state == PaymentState.HELD.value:
            return ExceptionKind.CLOSED_BOOKING  # money on a closed booking or a dead link
        return None
    if ours is None:
        return ExceptionKind.STATUS_MISMATCH  # refunded or reversed there, not here
    return ExceptionKind.AMOUNT_MISMATCH if ours != theirs else None


async def compare(
    *, session: AsyncSession, tenant_id: uuid.UUID, provider: str, day: date
) -> Summary:
    """Every difference between the day's report lines and our books; changes nothing."""
    params = {"tenant_id": tenant_id, "provider": provider, "day": day}
    findings: list[Finding] = []
    matched, matched_refunds = _Running(), _Running()
    lines = 0
    result = await session.stream(_LINES.execution_options(yield_per=_YIELD), params)
    async for rows in result.partitions(_YIELD):  # by the row, each would cost a greenlet switch
        for row in rows:
            lines += 1
            operation = Operation(row.operation)
            theirs = Money(row.amount, Currency(row.currency))
            ours = _money(row.our_amount, row.our_currency)
            kind = classify(operation, theirs, ours, row.our_state)
            if kind is None:
                (matched if operation is Operation.PAYMENT else matched_refunds).add(theirs)
            else:
                findings.append(_finding(kind, row, theirs=theirs, ours=ours))
    window = {"start": clock.start_of_day(day), "end": clock.start_of_day(day + timedelta(1))}
    for query in (_UNREPORTED_PAYMENTS, _UNREPORTED_REFUNDS):
        for row in await session.execute(query, {**params, **window}):
            ours = _money(row.amount, row.currency)
            findings.append(
                _finding(ExceptionKind.MISSING_AT_PROVIDER, row, theirs=None, ours=ours)
            )
    return Summary(provider, day, lines, matched.tally(), matched_refunds.tally(), tuple(findings))


def _finding(kind: ExceptionKind, row: Any, *, theirs: Money | None, ours: Money | None) -> Finding:
    return Finding(
        kind=kind,
        operation=Operation(row.operation),
        reference=row.reference,
        provider_order_id=row.provider_order_id,
        theirs=theirs,
        ours=ours,
        our_state=row.our_state,
        booking_id=row.booking_id,
        payment_id=row.payment_id,
        payment_request_id=row.payment_request_id,
    )


def _money(amount: Decimal | None, currency: str | None) -> Money | None:
    return None if amount is None or currency is None else Money(amount, Currency(currency))


def _json(money: Money | None) -> dict[str, str] | None:
    return None if money is None else {"amount": f"{money.amount:.2f}", "currency": money.currency}


def _text(tally: Tally) -> str:
    amounts = ", ".join(_money_text(m) for m in tally.amounts)
    return f"{tally.count:>7}  {amounts}"


def _money_text(money: Money | None) -> str:
    return "none" if money is None else f"{money.amount:.2f} {money.currency}"


def _str(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)
