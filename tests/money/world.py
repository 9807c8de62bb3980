"""The money model's world: one tenant's view of the API, the database and the sandbox gateway,
driven from a synchronous hypothesis state machine onto the app's own event loop.

The app, its connection pools and the raw ``db`` connection all live on pytest's session loop.
The state machine runs in a worker thread (the async test awaits it), and every step hands its
coroutine to that loop with ``run_coroutine_threadsafe``: one loop owns every connection, and
the loop keeps serving the app (and the sandbox's own callbacks) while a step waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import asyncpg
import httpx

from payable.core.ids import from_global_id
from payable.payments import workers

try:  # the refund settler: on main since the exactly-once refunds
    from payable.refunds import workers as refund_workers
except ImportError:  # pragma: no cover - before it
    refund_workers = None
from payable.providers.base import OrderState
from payable.sandbox.callbacks import callback_body
from payable.sandbox.signing import signed_headers
from tests.api import Api
from tests.conftest import SANDBOX_SECRET

T = TypeVar("T")
STEP_TIMEOUT = 120  # seconds; a step that hangs this long is a bug (a lock never released)


def local(global_id: str) -> uuid.UUID:
    return from_global_id(global_id)[1]


@dataclass
class Features:
    """What the running code offers; rules and invariants of later stages wait for it."""

    mutations: set[str]
    payment_fields: set[str]
    booking_fields: set[str]
    refund_payload_fields: set[str]

    @property
    def held_money(self) -> bool:  # acceptHeldPayment / returnHeldPayment, Payment.state
        return {"acceptHeldPayment", "returnHeldPayment"} <= self.mutations

    lose_refund_answer: bool = False  # the sandbox's "refund, then lose the answer" knob

    @property
    def amount_held(self) -> bool:
        return "amountHeld" in self.booking_fields

    @property
    def multi_payment_refunds(self) -> bool:  # RefundPayload.refunds: one request, many payments
        return "refunds" in self.refund_payload_fields


INTROSPECT = """{
  m: __type(name: "Mutation") { fields { name } }
  p: __type(name: "Payment") { fields { name } }
  b: __type(name: "ClinicAppointment") { fields { name } }
  r: __type(name: "RefundPayload") { fields { name } }
}"""


@dataclass
class World:
    """Fixtures shared by every example; each example takes a fresh tenant from it."""

    api: Api
    client: httpx.AsyncClient
    db: asyncpg.Connection
    app: Any
    loop: asyncio.AbstractEventLoop
    features: Features | None = None
    examples: int = 0
    steps: int = 0
    rule_counts: dict[str, int] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)  # payment states and refund statuses reached

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run one coroutine on the app's loop and wait for it (from the machine's thread)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(STEP_TIMEOUT)

    async def introspect(self) -> Features:
        if self.features is None:
            data = await self.api.data(INTROSPECT)
            names = {key: {f["name"] for f in (data[key] or {}).get("fields", [])} for key in data}
            sandbox = self.app.state.providers.sandbox
            self.features = Features(
                names["m"],
                names["p"],
                names["b"],
                names["r"],
                lose_refund_answer=hasattr(sandbox, "refund_answer"),
            )
        return self.features

    # --- the gateway's side and the clock -----------------------------------------------------

    async def send_callback(self, body: bytes) -> int:
        """A signed delivery to /webhooks/sandbox, as the gateway (or its retry) would send."""
        response = await self.client.post(
            "/webhooks/sandbox", content=body, headers=signed_headers(SANDBOX_SECRET, body)
        )
        return response.status_code

    @staticmethod
    def new_callback(order_id: str, state: OrderState) -> bytes:
        return callback_body(order_id, state)

    async def lapse(self, request_id: uuid.UUID) -> None:
        """Time passes for one link: its expiry is behind us, on our side and the gateway's."""
        await self.db.execute(
            "UPDATE payment_requests SET expires_at = now() - interval '1 second' WHERE id = $1",
            request_id,
        )
        await self.db.execute(
            """UPDATE sandbox_orders SET expires_at = now() - interval '1 second'
               WHERE id = (SELECT provider_order_id::uuid FROM payment_requests WHERE id = $1)""",
            request_id,
        )

    async def settle(self, tenant_id: uuid.UUID) -> None:
        """Let the workers finish what they would in time: the sweeper, then the poller, until
        neither finds more. This tenant's pending links count as long unchecked (time passes);
        other tests' leftovers are drained along the way, which changes nothing of ours."""
        await self.db.execute(
            """UPDATE payment_requests SET checked_at = NULL,
                      created_at = LEAST(created_at, now() - interval '10 minutes')
               WHERE tenant_id = $1 AND status = 'PENDING'""",
            tenant_id,
        )
        # Refunds handed to the gateway (or approved and never sent) count as long unanswered.
        await self.db.execute(
            """UPDATE refunds SET attempted_at = attempted_at - interval '1 hour',
                      decided_at = decided_at - interval '1 hour'
               WHERE tenant_id = $1 AND status IN ('APPROVED', 'PROCESSING')""",
            tenant_id,
        )
        state = self.app.state
        while await workers.sweep_expired(state.db, state.providers):
            pass
        if hasattr(workers, "cancel_withdrawn"):  # links withdrawn here, cancelled there
            while await workers.cancel_withdrawn(state.db, state.providers):
                pass
        while await workers.poll_pending(state.db, state.providers, older_than=timedelta(0)):
            pass
        if refund_workers is not None:
            await refund_workers.settle_open(state.db, state.providers)

    async def killed_once(self, work: Coroutine[Any, Any, Any], order_id: str) -> None:
        """Run ``work`` and kill it as soon as the gateway holds a new refund of ``order_id``
        (or after a few seconds, e.g. when the approval was refused and nothing was sent)."""
        refunds = (
            "SELECT count(*) FROM sandbox_operations WHERE order_id = $1::uuid"
            " AND operation = 'REFUND'"
        )
        already = await self.db.fetchval(refunds, order_id)
        task = asyncio.ensure_future(work)
        for _ in range(250):
            if task.done() or await self.db.fetchval(refunds, order_id) > already:
                break
            await asyncio.sleep(0.02)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def run_sweeper(self) -> int:
        return await workers.sweep_expired(self.app.state.db, self.app.state.providers)

    async def run_poller(self, tenant_id: uuid.UUID) -> int:
        await self.db.execute(
            "UPDATE payment_requests SET checked_at = NULL WHERE tenant_id = $1"
            " AND status = 'PENDING'",
            tenant_id,
        )
        state = self.app.state
        return await workers.poll_pending(state.db, state.providers, older_than=timedelta(0))
