"""The money path, model-checked: random sequences of every money-moving action, through the real
app and PostgreSQL, with the books checked after every step (see tests.money.model).

CI runs a bounded number of examples; ``make explore-money`` runs a long exploration
(PAYABLE_MODEL_EXAMPLES, PAYABLE_MODEL_STEPS; PAYABLE_MODEL_STRICT=1 also enforces the invariants
main cannot satisfy yet). Every counterexample found becomes a plain test in
tests/money/test_money_regressions.py.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import asyncpg
import httpx
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.api import Api
from tests.money.model import MoneyModel
from tests.money.world import World

EXAMPLES = int(os.environ.get("PAYABLE_MODEL_EXAMPLES", "35"))
STEPS = int(os.environ.get("PAYABLE_MODEL_STEPS", "35"))
EXPLORING = "PAYABLE_MODEL_EXAMPLES" in os.environ

PROFILE = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    # CI replays the same examples every run (a red build is a real regression, not luck);
    # an exploration draws new ones and keeps what it finds in .hypothesis/.
    derandomize=not EXPLORING,
    database=None if not EXPLORING else settings.default.database,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)


async def test_money_path_keeps_its_books(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, app: Any
) -> None:
    world = World(api=api, client=client, db=db, app=app, loop=asyncio.get_running_loop())
    MoneyModel.world = world

    await asyncio.to_thread(run_state_machine_as_test, MoneyModel, settings=PROFILE)

    print("money model:", world.examples, "examples", world.steps, "steps", world.rule_counts)
    print("reached:", sorted(world.seen))
    # The run explored what it should: several examples, the money-moving rules ran, and the
    # books reached counted, held and refunded money (if a change of rules loses one of them,
    # rebalance the rules rather than drop the check).
    assert world.examples >= min(EXAMPLES, 5)
    for rule in ("pay", "approveRefund", "requestRefund", "settle_and_reconcile", "link"):
        assert world.rule_counts.get(rule, 0) > 0, world.rule_counts
    assert {"payment VERIFIED", "payment HELD", "refund SUCCEEDED"} <= world.seen, world.seen
