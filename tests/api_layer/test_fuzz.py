"""Fuzzing every query and mutation through the real app: no input is a server error.

hypothesis-graphql writes documents from the schema, valid ones and ones with one violation
(a wrong type, a missing argument), with strategies for our scalars (Date, DateTime, Decimal,
Upload) and for IDs, which are half the time ids of this tenant's real objects (a paid booking,
its link, payment, refund, task) so mutations reach their rules, not only "not found". Each
root field is asked about in turn. Any HTTP 5xx or "Internal server error" fails the run, with
the documents that caused it.

CI runs a bounded number of documents with fixed draws (a red build is a regression, not
luck); ``make fuzz`` runs more with new draws (PAYABLE_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import Any

import graphql
import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from hypothesis_graphql import strategies as gql

from payable.bookings import due_reminders
from payable.core import clock
from payable.graphql.schema import schema
from tests.api import Api
from tests.bookings.test_cancellations import REQUEST_REFUND
from tests.payments.factories import pay_on_page, request_link
from tests.verticals.course.factories import CREATE_COURSE, course_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

EXAMPLES = int(os.environ.get("PAYABLE_FUZZ_EXAMPLES", "1500"))
EXPLORING = "PAYABLE_FUZZ_EXAMPLES" in os.environ
SCHEMA = schema._schema
# Root fields whose answer is a stream (subscriptions) are not HTTP; everything else is fuzzed.
ROOTS = [
    ("query", name)
    for name in SCHEMA.query_type.fields  # type: ignore[union-attr]
] + [("mutation", name) for name in SCHEMA.mutation_type.fields]  # type: ignore[union-attr]

_text = st.text(max_size=40)
_garbage = st.one_of(
    _text,
    st.sampled_from(["", "1e309", "NaN", "-Infinity", "0x10", "2030-13-45", "24:61", "\x00"]),
)


def _scalars(real_ids: list[str]) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Value nodes for the custom scalars and IDs: mostly well formed, often not."""
    decimals = st.one_of(
        st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
        st.decimals(min_value=-(10**6), max_value=10**6, places=2).map(str),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.sampled_from(["1e309", "1E-400", "0.001", "999999999999999.99", "-0"]),
    )
    moments = st.datetimes(timezones=st.just(UTC)).map(lambda m: m.isoformat())
    return {
        "Date": st.one_of(st.dates().map(str), _garbage).map(nodes.String),
        "DateTime": st.one_of(moments, st.datetimes().map(str), _garbage).map(nodes.String),
        "Decimal": st.one_of(
            decimals.map(nodes.String),
            st.integers(min_value=-(10**20), max_value=10**20).map(nodes.Int),
            st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
            _garbage.map(nodes.String),
        ),
        "Upload": _garbage.map(nodes.String),  # a JSON body carries no file
        "ID": st.one_of(st.sampled_from(real_ids), _garbage).map(nodes.String),
    }


def _violable(kind: str, name: str) -> bool:
    """Whether a wrong document can be written for this field: it takes an argument."""
    root = SCHEMA.query_type if kind == "query" else SCHEMA.mutation_type
    return bool(root.fields[name].args)  # type: ignore[union-attr]


@dataclass
class Run:
    sent: Counter[str] = field(default_factory=Counter)
    failures: dict[str, list[tuple[str, int, str]]] = field(default_factory=dict)


async def _real_ids(api: Api, client: httpx.AsyncClient, app: Any) -> list[str]:
    """A paid tour with a refund asked, a course with a reminder task: ids of every kind."""
    tour = (await api.data(CREATE_TOUR, {"input": tour_input()}))["createTourBooking"]["booking"]
    link = await request_link(api, tour["id"])
    await pay_on_page(client, link["paymentUrl"])
    refund = await api.data(
        REQUEST_REFUND,
        {"input": {"bookingId": tour["id"], "amount": "1000.00", "reason": "fuzz"}},
    )
    months = [
        {"amount": "30000.00", "dueDate": (clock.today() - timedelta(days=1)).isoformat()},
        {"amount": "30000.00", "dueDate": (clock.today() + timedelta(days=30)).isoformat()},
    ]
    course = (
        await api.data(
            CREATE_COURSE,
            {
                "input": course_input(
                    installments=months, price={"amount": "60000.00", "currency": "AMD"}
                )
            },
        )
    )["createCourseEnrollment"]["booking"]
    await due_reminders.remind(db=app.state.db, today=clock.today())
    tasks = (await api.data("{ tasks { id } }"))["tasks"]
    found = await api.data(
        """query($id: ID!) { node(id: $id) { ... on PayableBooking { id customer { id }
        policy { id } schedule { id } paymentRequests { id } payments { id } refunds { id }
        timeline(first: 3) { edges { node { id } } } } } }""",
        {"id": tour["id"]},
    )
    node = found["node"]
    ids = [node["id"], course["id"], node["customer"]["id"], node["policy"]["id"]]
    for many in ("schedule", "paymentRequests", "payments", "refunds"):
        ids += [item["id"] for item in node[many]]
    ids += [edge["node"]["id"] for edge in node["timeline"]["edges"]]
    ids += [task["id"] for task in tasks]
    assert refund["requestRefund"]["errors"] == [], refund
    assert len(ids) >= 10, ids
    return ids


async def test_no_document_is_a_server_error(api: Api, client: httpx.AsyncClient, app: Any) -> None:
    admin = api.as_role("admin")
    scalars = _scalars(await _real_ids(admin, client, app))
    headers = {"Authorization": f"Bearer {admin.token}"}
    loop = asyncio.get_running_loop()
    run = Run()

    def document(kind: str, name: str, mode: gql.Mode) -> st.SearchStrategy[tuple[str, str]]:
        build = gql.queries if kind == "query" else gql.mutations
        text = build(SCHEMA, fields=[name], custom_scalars=scalars, mode=mode)
        return st.tuples(st.just(name), text)

    cases = [document(kind, name, gql.Mode.POSITIVE) for kind, name in ROOTS]
    cases += [
        document(kind, name, gql.Mode.NEGATIVE) for kind, name in ROOTS if _violable(kind, name)
    ]
    documents = st.sampled_from(cases).flatmap(lambda case: case)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not EXPLORING,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(documents)
    def send(case: tuple[str, str]) -> None:
        name, text = case
        post = client.post("/graphql", json={"query": text}, headers=headers)
        response = asyncio.run_coroutine_threadsafe(post, loop).result()
        run.sent[name] += 1
        if response.status_code >= 500 or "Internal server error" in response.text:
            found = (text, response.status_code, response.text[:300])
            run.failures.setdefault(name, []).append(found)

    await asyncio.to_thread(send)

    total, errors = sum(run.sent.values()), sum(len(f) for f in run.failures.values())
    print(f"fuzz: {total} requests over {len(run.sent)} root fields, {errors} server errors")
    assert run.failures == {}, {name: found[0] for name, found in run.failures.items()}
    # The run reached (nearly) every root field: a schema change that starves one shows here.
    if EXAMPLES >= 400:
        assert len(run.sent) >= 0.9 * len(ROOTS), sorted({n for _, n in ROOTS} - set(run.sent))
