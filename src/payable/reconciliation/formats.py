"""Gateway report formats: text lines in, typed ``Line``s out, one at a time.

Parsers never hold the whole file: a 100,000-line report costs one line of memory here.
A malformed line stops the import with a ``MalformedReport`` naming its line number, so
nothing of a half-read report is ever kept.

sandbox: the sandbox gateway's daily report (payable.sandbox.report writes it), a comma CSV
    ``date,operation,order_id,reference,amount,currency``; dates ISO 8601 with an offset,
    amounts decimal major units ("15000.00"), currencies ISO alpha ("AMD").

arca: a semicolon CSV as ArCa/BPC merchant portals export operations,
    ``Date;Operation;Order ID;Order number;Amount;Currency;Reference``. THE LAYOUT IS OUR
    ASSUMPTION: no official specification was available (see /work/shared/providers.md).
    Date ``dd.MM.yyyy HH:mm:ss`` in Yerevan time; Operation DEPOSIT, REFUND or REVERSE;
    Amount integer minor units (AMD x 100); Currency ISO numeric ("051"). Reference follows
    the adapter (payable.providers.arca): a deposit's is the gateway's orderId, a refund's
    ``<orderId>:refund:<amount in major units>``; when the column is empty it is derived so.

idram, telcell: the wallets publish no report format, so their merchant-cabinet exports are
    taken in the sandbox's layout above (THE LAYOUT IS OUR ASSUMPTION: convert the export to
    it). order_id is our bill number (EDP_BILL_NO / the decoded issuer_id), a payment's
    reference the wallet's transaction id (EDP_TRANS_ID / payment_id), a refund's the
    operator's reference recorded with recordManualRefund. With no status API, a wallet's report
    is how a confirmation lost to an outage (Idram does not retry) reaches the books.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from payable.core import clock
from payable.core.errors import DomainError
from payable.core.money import Currency, Money, parse_amount
from payable.providers.currencies import currency_for_numeric, from_minor_units, to_major_string
from payable.reconciliation.models import Operation
from payable.reconciliation.refusals import ReconciliationRefusal

MAX_TEXT = 128  # width of the reference and order id columns


@dataclass(frozen=True, slots=True)
class Line:
    """One money movement the gateway reports."""

    number: int  # line number in the file, for people
    operation: Operation
    provider_order_id: str
    reference: str
    amount: Decimal
    currency: Currency
    occurred_at: datetime  # aware


class MalformedReport(DomainError):
    """The file is not a report of the named format; ``line_number`` says where."""

    def __init__(self, line_number: int, message: str) -> None:
        refusal = ReconciliationRefusal.MALFORMED_REPORT
        super().__init__(refusal.code, f"line {line_number}: {message}", "file")
        self.line_number = line_number


Parser = Callable[[Iterable[str]], Iterator[Line]]


def text_lines(binary: Iterable[bytes]) -> Iterator[str]:
    """Decode line by line, so an undecodable byte is reported on its own line."""
    for number, raw in enumerate(binary):
        text = raw.decode("utf-8")
        yield text.removeprefix("\ufeff") if number == 0 else text


def _rows(
    lines: Iterable[str], delimiter: str, header: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row by column name) for every non-blank line after the header."""
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        first = next(reader, None)
        if first is None or tuple(cell.strip() for cell in first) != header:
            raise MalformedReport(1, f"the header must be {delimiter.join(header)}")
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise MalformedReport(
                    reader.line_num, f"{len(row)} columns where {len(header)} belong"
                )
            yield reader.line_num, {k: v.strip() for k, v in zip(header, row, strict=True)}
    except UnicodeDecodeError:
        raise MalformedReport(reader.line_num + 1, "the file is not UTF-8 text") from None
    except csv.Error as error:
        raise MalformedReport(reader.line_num, f"not CSV: {error}") from None


def _text(number: int, column: str, value: str) -> str:
    if not value:
        raise MalformedReport(number, f"{column} is empty")
    if len(value) > MAX_TEXT:
        raise MalformedReport(number, f"{column} is longer than {MAX_TEXT} characters")
    return value


SANDBOX_HEADER = ("date", "operation", "order_id", "reference", "amount", "currency")


def parse_sandbox(lines: Iterable[str]) -> Iterator[Line]:
    for number, row in _rows(lines, ",", SANDBOX_HEADER):
        try:
            operation = Operation(row["operation"])
        except ValueError:
            raise MalformedReport(number, f"unknown operation {row['operation']!r}") from None
        try:
            currency = Currency(row["currency"])
        except ValueError:
            raise MalformedReport(number, f"unsupported currency {row['currency']!r}") from None
        try:
            amount = parse_amount(row["amount"], field="amount")
        except DomainError as error:
            raise MalformedReport(number, f"amount {row['amount']!r}: {error.message}") from None
        try:
            occurred_at = datetime.fromisoformat(row["date"])
        except ValueError:
            raise MalformedReport(number, f"date {row['date']!r} is not ISO 8601") from None
        if occurred_at.tzinfo is None:
            raise MalformedReport(number, f"date {row['date']!r} has no UTC offset")
        yield Line(
            number=number,
            operation=operation,
            provider_order_id=_text(number, "order_id", row["order_id"]),
            reference=_text(number, "reference", row["reference"]),
            amount=amount,
            currency=currency,
            occurred_at=occurred_at,
        )


ARCA_HEADER = ("Date", "Operation", "Order ID", "Order number", "Amount", "Currency", "Reference")
_ARCA_OPERATIONS = {
    "DEPOSIT": Operation.PAYMENT,
    "REFUND": Operation.REFUND,
    "REVERSE": Operation.REVERSAL,
}


def parse_arca(lines: Iterable[str]) -> Iterator[Line]:
    for number, row in _rows(lines, ";", ARCA_HEADER):
        operation = _ARCA_OPERATIONS.get(row["Operation"].upper())
        if operation is None:
            raise MalformedReport(number, f"unknown operation {row['Operation']!r}")
        try:
            money = from_minor_units(row["Amount"], currency_for_numeric(row["Currency"]))
            amount = parse_amount(money.amount, field="Amount")
        except (ValueError, DomainError) as error:
            message = error.message if isinstance(error, DomainError) else str(error)
            raise MalformedReport(number, f"Amount/Currency: {message}") from None
        try:
            local = datetime.strptime(row["Date"], "%d.%m.%Y %H:%M:%S")
        except ValueError:
            message = f"Date {row['Date']!r} is not dd.MM.yyyy HH:mm:ss"
            raise MalformedReport(number, message) from None
        order_id = _text(number, "Order ID", row["Order ID"])
        reference = row["Reference"] or _arca_reference(operation, order_id, money)
        yield Line(
            number=number,
            operation=operation,
            provider_order_id=order_id,
            reference=_text(number, "Reference", reference),
            amount=amount,
            currency=money.currency,
            occurred_at=local.replace(tzinfo=clock.BUSINESS_ZONE),
        )


def _arca_reference(operation: Operation, order_id: str, money: Money) -> str:
    """What the adapter records as the provider reference (payable.providers.arca)."""
    if operation is Operation.PAYMENT:
        return order_id
    if operation is Operation.REFUND:
        return f"{order_id}:refund:{to_major_string(money)}"
    return f"{order_id}:reverse"


PARSERS: dict[str, Parser] = {
    "sandbox": parse_sandbox,
    "arca": parse_arca,
    "idram": parse_sandbox,
    "telcell": parse_sandbox,
}


def parser_for(provider: str) -> Parser:
    try:
        return PARSERS[provider]
    except KeyError:
        known = ", ".join(sorted(PARSERS))
        raise ReconciliationRefusal.UNKNOWN_PROVIDER.error(
            "provider", f"no report format for {provider!r}; known: {known}"
        ) from None
