"""Business gauges read from the database at scrape time: a few cheap aggregates, no tenant
labels (series stay few), amounts as plain numbers (metrics, not books)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text

from payable.db.engine import Database

_MONEY = text(
    "SELECT state, provider, currency, count(*), sum(amount) FROM payments"
    " WHERE state IN ('VERIFIED', 'HELD') GROUP BY state, provider, currency"
)
_REFUNDS = text("SELECT status, count(*) FROM refunds GROUP BY status")
# Each delivery of one notification shares its row (deliveries counts them): the extra
# deliveries are the duplicates.
_CALLBACKS = text(
    "SELECT provider,"
    " coalesce(sum(deliveries) FILTER (WHERE signature_valid), 0),"
    " count(*) FILTER (WHERE status = 'REJECTED'),"
    " coalesce(sum(deliveries - 1) FILTER (WHERE signature_valid), 0)"
    " FROM provider_callbacks GROUP BY provider"
)
_LAG = text(
    "SELECT"
    " (SELECT extract(epoch FROM now() - min(created_at)) FROM payment_requests"
    "  WHERE status = 'PENDING'),"
    " (SELECT extract(epoch FROM now() - min(received_at)) FROM provider_callbacks"
    "  WHERE status = 'RECEIVED'),"
    " (SELECT extract(epoch FROM now() - min(created_at)) FROM webhook_deliveries"
    "  WHERE status = 'PENDING')"
)


@dataclass
class Snapshot:
    money: list[tuple[str, str, str, int, float]] = field(default_factory=list)
    refunds: list[tuple[str, int]] = field(default_factory=list)
    callbacks: list[tuple[str, int, int, int]] = field(default_factory=list)
    oldest_pending_link: float = 0.0
    oldest_received_callback: float = 0.0
    oldest_undelivered_webhook: float = 0.0


async def read(db: Database) -> Snapshot:
    """One short read-only transaction of aggregates."""
    async with db.engine.connect() as connection:
        money = (await connection.execute(_MONEY)).all()
        refunds = (await connection.execute(_REFUNDS)).all()
        callbacks = (await connection.execute(_CALLBACKS)).all()
        link_age, callback_age, webhook_age = (await connection.execute(_LAG)).one()
    return Snapshot(
        money=[(s, p, c, int(n), float(total)) for s, p, c, n, total in money],
        refunds=[(status, int(n)) for status, n in refunds],
        callbacks=[(p, int(r), int(x), int(d)) for p, r, x, d in callbacks],
        oldest_pending_link=float(link_age or 0),
        oldest_received_callback=float(callback_age or 0),
        oldest_undelivered_webhook=float(webhook_age or 0),
    )


class SnapshotCollector(Collector):
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        s = self.snapshot
        labels = ["provider", "currency"]
        verified = GaugeMetricFamily(
            "payable_payments_verified", "Verified payments (count).", labels=labels
        )
        verified_amount = GaugeMetricFamily(
            "payable_payments_verified_amount", "Verified money, in the currency.", labels=labels
        )
        held = GaugeMetricFamily(
            "payable_payments_held", "Payments held for a person's decision.", labels=labels
        )
        held_amount = GaugeMetricFamily(
            "payable_payments_held_amount", "Held money, in the currency.", labels=labels
        )
        for state, provider, currency, count, total in s.money:
            count_family, amount_family = (
                (verified, verified_amount) if state == "VERIFIED" else (held, held_amount)
            )
            count_family.add_metric([provider, currency], count)
            amount_family.add_metric([provider, currency], total)
        yield from (verified, verified_amount, held, held_amount)

        refunds = GaugeMetricFamily("payable_refunds", "Refunds by status.", labels=["status"])
        for status, count in s.refunds:
            refunds.add_metric([status], count)
        yield refunds

        received = CounterMetricFamily(
            "payable_callbacks_received",
            "Signed gateway callbacks received, every delivery counted.",
            labels=["provider"],
        )
        rejected = CounterMetricFamily(
            "payable_callbacks_rejected",
            "Callbacks refused: the signature did not verify.",
            labels=["provider"],
        )
        duplicate = CounterMetricFamily(
            "payable_callbacks_duplicate",
            "Repeated deliveries of a notification already received.",
            labels=["provider"],
        )
        for provider, got, refused, repeated in s.callbacks:
            received.add_metric([provider], got)
            rejected.add_metric([provider], refused)
            duplicate.add_metric([provider], repeated)
        yield from (received, rejected, duplicate)

        lag = GaugeMetricFamily(
            "payable_worker_lag_seconds",
            "Age of the oldest item waiting for the workers (0 when none waits).",
            labels=["queue"],
        )
        lag.add_metric(["pending_link"], s.oldest_pending_link)
        lag.add_metric(["received_callback"], s.oldest_received_callback)
        lag.add_metric(["undelivered_webhook"], s.oldest_undelivered_webhook)
        yield lag
