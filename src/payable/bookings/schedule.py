"""Payment schedules: installments that add up to the price, and their status on a given day."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol, TypeVar

from payable.bookings.enums import BookingStatus, InstallmentStatus
from payable.bookings.refusals import BookingRefusal
from payable.core import text
from payable.core.money import Currency, Money, parse_amount

MAX_INSTALLMENTS = 36


@dataclass(frozen=True, slots=True)
class InstallmentSpec:
    """An installment as the client asked for it (amount still unparsed)."""

    amount: object
    due_date: date
    grace_days: int = 0
    label: str | None = None
    currency: Currency | None = None


@dataclass(frozen=True, slots=True)
class PlannedInstallment:
    amount: Decimal
    due_date: date
    grace_days: int
    label: str


def single(price: Money, due: date) -> list[PlannedInstallment]:
    """The whole price as one installment due at once."""
    return [PlannedInstallment(price.amount, due, 0, "full payment")]


def deposit_and_balance(
    price: Money, deposit: object, balance_due: date, today: date
) -> list[PlannedInstallment]:
    amount = parse_amount(deposit, field="depositAmount")
    if amount >= price.amount:
        raise BookingRefusal.INVALID_DEPOSIT.error("depositAmount")
    if balance_due < today:
        raise BookingRefusal.INVALID_DUE_DATE.error("balanceDueDate")
    return [
        PlannedInstallment(amount, today, 0, "deposit"),
        PlannedInstallment(price.amount - amount, balance_due, 0, "balance"),
    ]


def from_specs(price: Money, specs: list[InstallmentSpec]) -> list[PlannedInstallment]:
    """Validate client installments: positive, same currency, at most 36, summing to the price."""
    if not specs:
        raise BookingRefusal.EMPTY_SCHEDULE.error("installments")
    if len(specs) > MAX_INSTALLMENTS:
        raise BookingRefusal.TOO_MANY_INSTALLMENTS.error(
            "installments", f"at most {MAX_INSTALLMENTS} installments"
        )
    # Sequence and default labels follow due dates; error fields keep the client's index.
    planned = []
    in_due_order = sorted(enumerate(specs), key=lambda item: item[1].due_date)
    for position, (n, spec) in enumerate(in_due_order, start=1):
        field = f"installments.{n}"
        if spec.currency is not None and spec.currency != price.currency:
            raise BookingRefusal.CURRENCY_MISMATCH.error(
                f"{field}.currency",
                f"installment is in {spec.currency}, the price in {price.currency}",
            )
        if not 0 <= spec.grace_days <= 365:
            raise BookingRefusal.INVALID_GRACE_DAYS.error(f"{field}.graceDays")
        default = f"installment {position}"
        label = text.limit(spec.label or "", field=f"{field}.label", max_length=text.LABEL_MAX)
        label = label or default
        amount = parse_amount(spec.amount, field=f"{field}.amount")
        planned.append(PlannedInstallment(amount, spec.due_date, spec.grace_days, label))
    total = sum((p.amount for p in planned), Decimal("0.00"))
    if total != price.amount:
        raise BookingRefusal.SCHEDULE_MISMATCH.error(
            "installments", f"installments add up to {total}, the price is {price.amount}"
        )
    return planned


def installment_status(
    *, amount_due: Decimal, amount_paid: Decimal, due_date: date, grace_days: int, today: date
) -> InstallmentStatus:
    if amount_paid >= amount_due:
        return InstallmentStatus.PAID
    if today < due_date:
        return InstallmentStatus.UPCOMING
    if today <= due_date + timedelta(days=grace_days):
        return InstallmentStatus.DUE
    return InstallmentStatus.OVERDUE


class ScheduleLine(Protocol):
    sequence: int
    amount_due: Decimal
    amount_paid: Decimal
    due_date: date


Line = TypeVar("Line", bound=ScheduleLine)


# A cancelled or no-show booking collects nothing more, whatever its schedule still shows.
_OWES_NOTHING = (BookingStatus.CANCELLED.value, BookingStatus.NO_SHOW.value)


def next_due(lines: Iterable[Line], *, status: str) -> Line | None:
    """The earliest line still owing money (by due date, then sequence); None when none is owed."""
    if status in _OWES_NOTHING:
        return None
    owing = [line for line in lines if line.amount_paid < line.amount_due]
    return min(owing, key=lambda line: (line.due_date, line.sequence), default=None)
