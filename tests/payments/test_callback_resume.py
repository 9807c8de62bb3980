"""A verified callback left RECEIVED (its server stopped before processing it) is taken up
again by the worker, once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from payable.payments import callbacks
from tests.api import Api
from tests.payments.test_callbacks import (
    _paid_but_unheard,
    _payments,
    _request_status,
    drop_callbacks,
)

__all__ = ["drop_callbacks"]  # the fixture, used by name


@pytest.mark.usefixtures("drop_callbacks")
async def test_a_callback_left_received_is_processed_by_the_worker(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, app: Any
) -> None:
    # Given: a paid link whose verified callback was kept but never processed
    booking_id, link = await _paid_but_unheard(api, client, db)
    row_id = uuid.uuid4()
    await db.execute(
        "INSERT INTO provider_callbacks (id, provider, event_id, provider_order_id,"
        " signature_valid, status, body, received_at)"
        " VALUES ($1, 'sandbox', $2, $3, true, 'RECEIVED', '\\x7b7d',"
        " now() - interval '10 minutes')",
        row_id,
        f"evt-{row_id}",
        link["providerOrderId"],
    )

    # When: the worker's round runs (twice: the second finds nothing left)
    state = app.state
    first = await callbacks.resume_stalled(
        state.db, state.providers, older_than=timedelta(minutes=5)
    )
    second = await callbacks.resume_stalled(
        state.db, state.providers, older_than=timedelta(minutes=5)
    )

    # Then
    assert (first, second) == (1, 0)
    status = await db.fetchval("SELECT status FROM provider_callbacks WHERE id = $1", row_id)
    assert status == "PROCESSED"
    assert await _request_status(db, link["id"]) == "PAID"
    assert [p["amount"] for p in await _payments(db, booking_id)] == [Decimal("15000.00")]
