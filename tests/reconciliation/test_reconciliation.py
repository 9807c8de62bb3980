"""Reconciliation: the gateway's daily report against our books.

The day is real: bookings paid through the sandbox's hosted page, then discrepancies made
the way they happen (a lost callback, a stranger's payment, a refund done at the gateway
only), the sandbox's report written for the tenant and uploaded through GraphQL multipart.
"""

from __future__ import annotations

import io
import json
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from payable.core import clock
from payable.core.money import Currency, Money
from payable.core.principal import Role
from payable.reconciliation import service
from payable.reconciliation.formats import MalformedReport, parse_arca, parse_sandbox
from payable.sandbox.gateway import payment_reference
from payable.sandbox.report import write_report
from tests.api import Api
from tests.payments.factories import pay_on_page, request_link
from tests.refunds.test_refunds import approve, booking, create_clinic, paid_booking, requested

IMPORT = """mutation($provider: String!, $date: Date!, $file: Upload!) {
  importProviderReport(provider: $provider, date: $date, file: $file) {
    errors { code field message }
    report { id lines newLines alreadyImported }
    reconciliation { ...Day } } }"""

QUERY = """query($provider: String!, $date: Date!) {
  reconciliation(provider: $provider, date: $date) { ...Day } }"""

DAY = """fragment Day on Reconciliation {
  provider date lines
  matched { count amounts { amount currency } }
  matchedRefunds { count amounts { amount currency } }
  counts { kind count amounts { amount currency } }
  exceptions { kind operation reference providerOrderId providerAmount { amount currency }
               ourAmount { amount currency } ourState booking { id } taskId } }"""

HEADER = "date,operation,order_id,reference,amount,currency\n"


async def upload(api: Api, content: bytes, provider: str = "sandbox") -> dict[str, Any]:
    """The multipart request of the GraphQL multipart request spec: operations, map, file."""
    operations = {
        "query": IMPORT + DAY,
        "variables": {"provider": provider, "date": _today(), "file": None},
    }
    response = await api.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("report.csv", content, "text/csv")},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]["importProviderReport"]


async def day_report(api: Api, db: asyncpg.Connection) -> bytes:
    """The sandbox's report of today, for this test's tenant only (the database is shared)."""
    out = io.StringIO()
    await write_report(api.app.state.db, await _tenant(api, db), clock.today(), out)
    return out.getvalue().encode()


def _now() -> str:
    return clock.now().astimezone(clock.BUSINESS_ZONE).isoformat(timespec="seconds")


def _stranger(amount: str) -> str:
    """A report line for an order that is not ours."""
    return f"{_now()},PAYMENT,{uuid.uuid4()},SBX-{uuid.uuid4().hex[:16]},{amount},AMD\n"


def _today() -> str:
    return clock.today().isoformat()


async def _tenant(api: Api, db: asyncpg.Connection) -> uuid.UUID:
    await api.data("{ tasks { id } }")  # provisions the tenant on first use
    return await db.fetchval("SELECT id FROM tenants WHERE slug = $1", api.tenant)


def found(day: dict[str, Any]) -> set[tuple[str, str]]:
    return {(e["kind"], e["reference"]) for e in day["exceptions"]}


def count(day: dict[str, Any], kind: str) -> int:
    return next(c["count"] for c in day["counts"] if c["kind"] == kind)


# A booking's paymentStatus (and so updated_at) is derived: it shows MANUAL_REVIEW while a
# review is open. Everything else reconciling must leave as it was.
_BOOKS = {
    "payments": "*",
    "refunds": "*",
    "payment_requests": "*",
    "bookings": "id, status, price, amount_paid, amount_refunded, currency, closed_at",
}


async def books(db: asyncpg.Connection, tenant: uuid.UUID) -> list[Any]:
    """Payments, refunds, links and bookings, as reconciling must leave them."""
    return [
        await db.fetch(f"SELECT {columns} FROM {table} WHERE tenant_id = $1 ORDER BY id", tenant)
        for table, columns in _BOOKS.items()
    ]


async def reports(db: asyncpg.Connection, tenant: uuid.UUID) -> int:
    return await db.fetchval("SELECT count(*) FROM provider_reports WHERE tenant_id = $1", tenant)


async def reconciliation_tasks(db: asyncpg.Connection, tenant: uuid.UUID) -> list[Any]:
    return await db.fetch(
        "SELECT id, booking_id, details FROM review_tasks"
        " WHERE tenant_id = $1 AND kind = 'RECONCILIATION' ORDER BY id",
        tenant,
    )


async def exception_rows(db: asyncpg.Connection, tenant: uuid.UUID) -> list[Any]:
    return await db.fetch(
        "SELECT id, kind, reference, task_id FROM reconciliation_exceptions"
        " WHERE tenant_id = $1 ORDER BY id",
        tenant,
    )


@pytest.fixture
def accountant(api: Api) -> Api:
    return api.as_role(Role.ACCOUNTANT, sub="anna@accounts")


# --- The day ------------------------------------------------------------------------------------


async def test_a_day_with_four_discrepancies_shows_exactly_those(
    api: Api,
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
    accountant: Api,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given: three bookings paid and verified, one of them refunded in part here too
    clean = [await paid_booking(api, client) for _ in range(2)]
    refund_id = await requested(api, clean[1].booking_id, "2000.00")
    assert (await approve(accountant, refund_id))["refund"]["status"] == "SUCCEEDED"
    # (a) the money reached the sandbox, its callback never reached us
    unpaid = await create_clinic(api)
    link = await request_link(api, unpaid)
    monkeypatch.setattr(api.app.state.settings, "sandbox_callback", "drop")
    await pay_on_page(client, link["paymentUrl"])
    monkeypatch.undo()
    lost = payment_reference(uuid.UUID(link["providerOrderId"]))
    # (c) our books say one unit less than the gateway took
    short = await paid_booking(api, client)
    await _rewrite_books(
        db, short, "UPDATE payments SET amount = amount - 1 WHERE id = $1", Decimal("-1")
    )
    # (d) refunded at the gateway, never here
    behind = await paid_booking(api, client)
    refunded = await api.app.state.providers.sandbox.refund(
        str(behind.order_id), Money(Decimal("5000.00"), Currency.AMD)
    )
    # (b) a payment for an order that is not ours, in the gateway's report
    foreign = _stranger("7000.00")
    stranger = foreign.split(",")[3]
    report = await day_report(api, db) + foreign.encode()
    tenant = await _tenant(api, db)
    before = await books(db, tenant)

    # When: the accountant uploads the report
    imported = await upload(accountant, report)

    # Then: exactly the four discrepancies, each recorded once with its task
    assert imported["errors"] == []
    day = imported["reconciliation"]
    assert imported["report"]["alreadyImported"] is False
    assert imported["report"]["lines"] == imported["report"]["newLines"] == day["lines"] == 8
    assert found(day) == {
        ("MISSING_HERE", lost),
        ("MISSING_HERE", stranger),
        ("AMOUNT_MISMATCH", payment_reference(short.order_id)),
        ("STATUS_MISMATCH", refunded.provider_refund_reference),
    }
    assert day["matched"] == {"count": 3, "amounts": [{"amount": "45000.00", "currency": "AMD"}]}
    assert day["matchedRefunds"] == {
        "count": 1,
        "amounts": [{"amount": "2000.00", "currency": "AMD"}],
    }
    assert count(day, "MISSING_HERE") == 2 and count(day, "MISSING_AT_PROVIDER") == 0
    by_reference = {e["reference"]: e for e in day["exceptions"]}
    assert by_reference[payment_reference(short.order_id)]["providerAmount"] == {
        "amount": "15000.00",
        "currency": "AMD",
    }
    assert by_reference[payment_reference(short.order_id)]["ourAmount"]["amount"] == "14999.00"
    assert by_reference[payment_reference(short.order_id)]["booking"] == {"id": short.booking_id}
    assert by_reference[refunded.provider_refund_reference]["booking"] == {"id": behind.booking_id}
    assert by_reference[refunded.provider_refund_reference]["ourAmount"] is None
    assert by_reference[lost]["booking"] == {"id": unpaid}
    # A stranger's money belongs to no booking: a task all the same, with no booking.
    assert by_reference[stranger]["booking"] is None and by_reference[stranger]["taskId"]
    tasks = await reconciliation_tasks(db, tenant)
    assert len(tasks) == 4
    assert sum(t["booking_id"] is None for t in tasks) == 1
    queue = (await accountant.data("{ tasks { id kind } }"))["tasks"]
    assert {e["taskId"] for e in day["exceptions"] if e["taskId"]} == {
        t["id"] for t in queue if t["kind"] == "RECONCILIATION"
    }
    details = {json.loads(t["details"])["reference"]: json.loads(t["details"]) for t in tasks}
    assert details[payment_reference(short.order_id)]["providerAmount"]["amount"] == "15000.00"
    assert details[payment_reference(short.order_id)]["ourAmount"]["amount"] == "14999.00"
    # The gateway's money on our order went through the one door (a lookup): counted, since it
    # was captured while the link was live; nothing else in the books changed.
    after = await books(db, tenant)
    recorded = await db.fetch(
        "SELECT p.amount, p.state, p.verified_by FROM payments p JOIN bookings b"
        " ON b.id = p.booking_id WHERE b.tenant_id = $1 AND p.provider_reference = $2",
        tenant,
        lost,
    )
    assert [tuple(r) for r in recorded] == [(Decimal("15000.00"), "VERIFIED", "STATUS_LOOKUP")]
    assert (await booking(api, unpaid))["amountPaid"]["amount"] == "15000.00"
    assert len(after[0]) == len(before[0]) + 1  # payments: one more
    assert after[1] == before[1]  # refunds unchanged
    before = after

    # When: the same file again, then the day reconciled once more
    rows = await exception_rows(db, tenant)
    again = await upload(accountant, report)
    await service.reconcile(
        db=api.app.state.db, tenant_id=tenant, provider="sandbox", day=clock.today()
    )

    # Then: nothing new
    assert again["report"] == {**imported["report"], "newLines": 0, "alreadyImported": True}
    # the money that was missing here is in the books now: that difference is gone
    assert again["reconciliation"]["exceptions"] == [
        e for e in day["exceptions"] if e["reference"] != lost
    ]
    assert await exception_rows(db, tenant) == rows
    assert await reconciliation_tasks(db, tenant) == tasks
    assert await books(db, tenant) == before

    # And: the query shows the same day, bookings loaded in one statement
    with api.count_statements() as statements:
        shown = await accountant.data(QUERY + DAY, {"provider": "sandbox", "date": _today()})
    assert shown["reconciliation"] == again["reconciliation"]
    assert len([s for s in statements if "FROM bookings" in s]) == 1


async def test_money_here_the_gateway_never_reported_and_money_on_a_closed_booking(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, accountant: Api
) -> None:
    # Given: two payments; the gateway's report lacks one, the other sits in review here
    unreported = await paid_booking(api, client)
    closed = await paid_booking(api, client)
    # as a late payment on a cancelled booking leaves it
    await _rewrite_books(
        db,
        closed,
        "UPDATE payments SET state = 'HELD', held_reason = 'BOOKING_CLOSED' WHERE id = $1",
        Decimal("-15000.00"),
    )
    lines = (await day_report(api, db)).decode().splitlines(keepends=True)
    missing = payment_reference(unreported.order_id)
    report = "".join(line for line in lines if missing not in line).encode()

    # When
    day = (await upload(accountant, report))["reconciliation"]

    # Then
    assert found(day) == {
        ("MISSING_AT_PROVIDER", missing),
        ("CLOSED_BOOKING", payment_reference(closed.order_id)),
    }
    assert day["matched"]["count"] == 0
    by_kind = {e["kind"]: e for e in day["exceptions"]}
    assert by_kind["MISSING_AT_PROVIDER"]["providerAmount"] is None
    assert by_kind["MISSING_AT_PROVIDER"]["ourAmount"] == {"amount": "15000.00", "currency": "AMD"}
    assert by_kind["CLOSED_BOOKING"]["ourState"] == "HELD"
    assert all(e["taskId"] for e in day["exceptions"])


async def test_an_overlapping_report_adds_only_its_new_lines(api: Api, accountant: Api) -> None:
    # Given: a report imported
    first = HEADER + _stranger("100.00") + _stranger("200.00")
    await upload(accountant, first.encode())

    # When: a later export of the same day, one line longer
    later = await upload(accountant, (first + _stranger("300.00")).encode())

    # Then
    assert later["report"]["alreadyImported"] is False
    assert (later["report"]["lines"], later["report"]["newLines"]) == (3, 1)
    assert later["reconciliation"]["lines"] == 3
    assert count(later["reconciliation"], "MISSING_HERE") == 3


async def test_a_malformed_report_is_refused_naming_its_line_and_leaves_nothing(
    api: Api, db: asyncpg.Connection, accountant: Api
) -> None:
    bad = f"{_now()},PAYMENT,x,y,12.345,AMD\n"

    payload = await upload(accountant, (HEADER + _stranger("100.00") + bad).encode())

    assert payload["report"] is None and payload["reconciliation"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("MALFORMED_REPORT", "file")]
    assert payload["errors"][0]["message"].startswith("line 3: amount '12.345'")
    tenant = await _tenant(api, db)
    assert (
        await db.fetchval("SELECT count(*) FROM provider_reports WHERE tenant_id = $1", tenant) == 0
    )


async def test_an_unknown_provider_is_refused(accountant: Api) -> None:
    payload = await upload(accountant, HEADER.encode(), provider="paypal")

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("UNKNOWN_PROVIDER", "provider")
    ]


async def test_a_day_without_a_report_reads_as_null(accountant: Api) -> None:
    body = await accountant.data(QUERY + DAY, {"provider": "sandbox", "date": "2030-01-01"})

    assert body["reconciliation"] is None


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPPORT, Role.INTEGRATOR])
async def test_only_admins_and_accountants_reconcile(
    api: Api, db: asyncpg.Connection, role: Role
) -> None:
    caller = api.as_role(role)

    payload = await upload(caller, HEADER.encode())
    read = await caller.post(QUERY + DAY, {"provider": "sandbox", "date": _today()})

    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    assert [e["extensions"]["code"] for e in read["errors"]] == ["FORBIDDEN"]
    tenant = await _tenant(api, db)
    assert (
        await db.fetchval("SELECT count(*) FROM provider_reports WHERE tenant_id = $1", tenant) == 0
    )
    audited = await db.fetch(
        "SELECT role, outcome FROM audit_log WHERE tenant_id = $1"
        " AND operation = 'importProviderReport'",
        tenant,
    )
    assert [tuple(a) for a in audited] == [(role.value, "FORBIDDEN")]


async def test_admins_reconcile(api: Api) -> None:
    payload = await upload(api.as_role(Role.ADMIN), HEADER.encode())

    assert payload["errors"] == []
    assert payload["reconciliation"]["lines"] == 0


# --- Formats ------------------------------------------------------------------------------------


def test_sandbox_lines_are_read_with_their_types() -> None:
    text = HEADER + "2026-11-21T10:15:00+04:00,REFUND,ord-1,SBX-R-1,2500.5,USD\n\n"

    (line,) = parse_sandbox(io.StringIO(text))

    assert (line.number, line.operation, line.provider_order_id, line.reference) == (
        2,
        "REFUND",
        "ord-1",
        "SBX-R-1",
    )
    assert (line.amount, line.currency) == (Decimal("2500.50"), Currency.USD)
    assert line.occurred_at.isoformat() == "2026-11-21T10:15:00+04:00"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2026-11-21T10:15:00,PAYMENT,o,r,1.00,AMD", "line 3: date '2026-11-21T10:15:00' has no"),
        ("2026-11-21T10:15:00+04:00,PAID,o,r,1.00,AMD", "line 3: unknown operation 'PAID'"),
        ("2026-11-21T10:15:00+04:00,PAYMENT,o,r,1.00,XYZ", "line 3: unsupported currency"),
        ("2026-11-21T10:15:00+04:00,PAYMENT,o,r,0.00,AMD", "line 3: amount '0.00'"),
        ("2026-11-21T10:15:00+04:00,PAYMENT,o,,1.00,AMD", "line 3: reference is empty"),
        ("2026-11-21T10:15:00+04:00,PAYMENT,o,r", "line 3: 4 columns where 6 belong"),
    ],
)
def test_a_malformed_sandbox_line_is_named_by_its_number(line: str, message: str) -> None:
    good = "2026-11-21T10:00:00+04:00,PAYMENT,o,r0,1.00,AMD\n"

    with pytest.raises(MalformedReport) as refused:
        list(parse_sandbox(io.StringIO(HEADER + good + line + "\n")))

    assert refused.value.line_number == 3
    assert str(refused.value).startswith(message)


def test_a_report_without_its_header_is_refused_at_line_one() -> None:
    with pytest.raises(MalformedReport, match=r"^line 1: the header must be"):
        list(parse_arca(io.StringIO("Date,Operation\n")))


ARCA = "Date;Operation;Order ID;Order number;Amount;Currency;Reference\n"


def test_arca_lines_map_operations_minor_units_numeric_currencies_and_yerevan_time() -> None:
    text = (
        ARCA
        + "21.11.2026 09:30:00;DEPOSIT;a1b2;req-1;1500000;051;\n"
        + "21.11.2026 18:00:05;REFUND;a1b2;req-1;500050;051;\n"
        + "22.11.2026 00:00:00;REVERSE;c3d4;req-2;1000;840;c3d4:reversed\n"
    )

    deposit, refund, reversal = parse_arca(io.StringIO(text))

    assert (deposit.operation, deposit.reference, deposit.amount) == (
        "PAYMENT",
        "a1b2",
        Decimal("15000.00"),
    )
    assert deposit.occurred_at.isoformat() == "2026-11-21T09:30:00+04:00"
    assert (refund.operation, refund.reference, refund.amount) == (
        "REFUND",
        "a1b2:refund:5000.50",
        Decimal("5000.50"),
    )
    assert (reversal.operation, reversal.reference, reversal.currency) == (
        "REVERSAL",
        "c3d4:reversed",
        Currency.USD,
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2026-11-21 09:30:00;DEPOSIT;a;r;100;051;", "line 2: Date '2026-11-21 09:30:00'"),
        ("21.11.2026 09:30:00;CHARGE;a;r;100;051;", "line 2: unknown operation 'CHARGE'"),
        ("21.11.2026 09:30:00;DEPOSIT;a;r;15.00;051;", "line 2: Amount/Currency"),
        ("21.11.2026 09:30:00;DEPOSIT;a;r;100;999;", "line 2: Amount/Currency"),
        ("21.11.2026 09:30:00;DEPOSIT;;r;100;051;", "line 2: Order ID is empty"),
    ],
)
def test_a_malformed_arca_line_is_named_by_its_number(line: str, message: str) -> None:
    with pytest.raises(MalformedReport) as refused:
        list(parse_arca(io.StringIO(ARCA + line + "\n")))

    assert refused.value.line_number == 2
    assert str(refused.value).startswith(message)


async def _rewrite_books(db: asyncpg.Connection, paid, statement: str, counted: Decimal) -> None:  # type: ignore[no-untyped-def]
    """Change a payment behind the app's back, with the counted money that follows from it
    (the database refuses books whose counted money differs from their verified payments)."""
    async with db.transaction():
        await db.execute(statement, paid.payment_uuid)
        await db.execute(
            "UPDATE bookings SET amount_paid = amount_paid + $2 WHERE id = $1",
            paid.booking_uuid,
            counted,
        )
        await db.execute(
            "UPDATE installments SET amount_paid = amount_paid + $2 WHERE booking_id = $1",
            paid.booking_uuid,
            counted,
        )


async def test_a_report_sent_as_text_instead_of_a_file_is_refused(
    api: Api, db: asyncpg.Connection
) -> None:
    """Found by fuzzing: the Upload scalar takes any value, and a string was a server error."""
    admin = api.as_role("admin")
    reports_before = await db.fetchval("SELECT count(*) FROM provider_reports")

    body = await admin.data(IMPORT + DAY, {"provider": "sandbox", "date": _today(), "file": HEADER})

    assert body["importProviderReport"] == {
        "errors": [
            {
                "code": "INVALID_FILE",
                "field": "file",
                "message": "send the report as a multipart file upload",
            }
        ],
        "report": None,
        "reconciliation": None,
    }
    assert await db.fetchval("SELECT count(*) FROM provider_reports") == reports_before
