"""PostgreSQL prints every value the JSON path renders exactly as the GraphQL layer's Python does.

`graphql/json_nodes/sql_values.py` writes SQL expressions for datetimes, dates, amounts,
global ids and enums; here PostgreSQL evaluates them for many generated values and each text
is compared with what the scalar's own serialiser (or `ids.to_global_id`) gives.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
from graphql import GraphQLEnumType
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payable.core import ids
from payable.graphql.json_nodes import sql_values
from payable.graphql.schema import schema

GRAPHQL = schema._schema
DATETIME, DATE, DECIMAL = (GRAPHQL.get_type(name) for name in ("DateTime", "Date", "Decimal"))
EXAMPLES = 200

moments = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 12, 31), timezones=st.just(UTC)
)
amounts = st.decimals(
    min_value=Decimal("-999999999999.99"), max_value=Decimal("999999999999.99"), places=2
)
# The real names, and any GraphQL name (every length modulo 3, and bytes that base64 turns
# into "+" and "/", which the url-safe alphabet writes "-" and "_").
type_names = st.sampled_from(
    ["ClinicAppointment", "CourseEnrollment", "TourBooking", "Installment", "PaymentRequest"]
) | st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,40}", fullmatch=True)


async def _differences(db: asyncpg.Connection, strategy: Any, case: Any) -> list[tuple[Any, ...]]:
    """Every (value, PostgreSQL's text, Python's text) that differ, over generated values
    (hypothesis runs in a thread; each statement on the test's loop)."""
    loop = asyncio.get_running_loop()
    found: list[tuple[Any, ...]] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def compare(value: Any) -> None:
        sql, arguments, expected = case(value)
        printed = asyncio.run_coroutine_threadsafe(db.fetchval(sql, *arguments), loop).result()
        if printed != expected:
            found.append((value, printed, expected))

    await asyncio.to_thread(compare)
    return found


async def test_datetimes_are_printed_as_isoformat(db: asyncpg.Connection) -> None:
    def case(moment: datetime) -> tuple[str, list[Any], str]:
        expression = sql_values.printed("$1::timestamptz", DATETIME)
        return f"SELECT {expression}", [moment], moment.isoformat()

    assert await _differences(db, moments, case) == []
    # the two shapes isoformat has: with and without microseconds
    whole, fraction = datetime(2031, 1, 1, 9, tzinfo=UTC), datetime(2031, 1, 1, 9, 0, 0, 50, UTC)
    for moment in (whole, fraction):
        text = await db.fetchval(
            f"SELECT {sql_values.printed('$1::timestamptz', DATETIME)}", moment
        )
        assert text == moment.isoformat()


async def test_dates_are_printed_as_isoformat(db: asyncpg.Connection) -> None:
    def case(day: date) -> tuple[str, list[Any], str]:
        return f"SELECT {sql_values.printed('$1::date', DATE)}", [day], day.isoformat()

    days = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31))
    assert await _differences(db, days, case) == []


async def test_amounts_have_two_decimals_as_the_decimal_scalar_prints_them(
    db: asyncpg.Connection,
) -> None:
    serialize = DECIMAL.serialize

    def case(amount: Decimal) -> tuple[str, list[Any], str]:
        expression = sql_values.printed("$1::numeric(14,2)", DECIMAL)
        return f"SELECT {expression}", [amount], serialize(amount)

    assert await _differences(db, amounts, case) == []


async def test_global_ids_are_the_relay_ids_python_makes(db: asyncpg.Connection) -> None:
    def case(pair: tuple[str, uuid.UUID]) -> tuple[str, list[Any], str]:
        type_name, local = pair
        expression = sql_values.global_id(type_name, "$1::uuid")
        return f"SELECT {expression}", [local], ids.to_global_id(type_name, local)

    pairs = st.tuples(type_names, st.uuids())
    assert await _differences(db, pairs, case) == []


async def test_every_enum_member_is_printed_by_its_graphql_name(db: asyncpg.Connection) -> None:
    enums = [t for t in GRAPHQL.type_map.values() if isinstance(t, GraphQLEnumType)]
    enums = [t for t in enums if not t.name.startswith("__")]
    assert len(enums) >= 5
    for enum in enums:
        for name, value in enum.values.items():
            stored = str(getattr(value.value, "value", value.value))
            expression = sql_values.printed(sql_values.literal(stored), enum)
            assert await db.fetchval(f"SELECT {expression}") == name, (enum.name, stored)
