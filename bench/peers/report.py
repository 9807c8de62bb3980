"""The figures: medians over the rounds per system and concurrency, and payable's ratios to
the others taken round by round (each round runs every system under the same conditions)."""

from __future__ import annotations

import statistics
from collections.abc import Callable

from peers.load import Run

Pick = Callable[[Run], float]
COLUMNS: dict[str, Pick] = {
    "req/s": lambda r: r.sample.rps,
    "p50 ms": lambda r: r.sample.p50_ms,
    "p99 ms": lambda r: r.sample.p99_ms,
    "app CPU ms/req": lambda r: r.app_cpu_ms,
    "PG CPU ms/req": lambda r: r.db_cpu_ms,
}


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _median(runs: list[Run], pick: Pick) -> float:
    return statistics.median(pick(r) for r in runs)


def figures(runs: list[Run], systems: list[str]) -> str:
    lines = [_row(["system", "c", *COLUMNS, "errors"]), _row(["---"] * (len(COLUMNS) + 3))]
    for concurrency in sorted({r.concurrency for r in runs}, reverse=True):
        for system in systems:
            mine = [r for r in runs if (r.system, r.concurrency) == (system, concurrency)]
            cells = [f"{_median(mine, pick):.1f}" for pick in COLUMNS.values()]
            errors = sum(r.sample.errors for r in mine)
            lines.append(_row([system, str(concurrency), *cells, str(errors)]))
    return "\n".join(lines)


def ratios(runs: list[Run], subject: str, others: list[str]) -> str:
    """``subject`` / other per round, median (min-max): req/s above 1 is faster, latency and
    CPU below 1 are better."""
    picks = {k: COLUMNS[k] for k in ("req/s", "p50 ms", "p99 ms", "app CPU ms/req")}
    lines = [_row([f"{subject} / ", "c", *picks]), _row(["---"] * (len(picks) + 2))]
    by_key = {(r.system, r.concurrency, r.round): r for r in runs}
    for concurrency in sorted({r.concurrency for r in runs}, reverse=True):
        rounds = sorted({r.round for r in runs if r.concurrency == concurrency})
        for other in others:
            cells = []
            for pick in picks.values():
                each = [
                    pick(by_key[subject, concurrency, n])
                    / max(pick(by_key[other, concurrency, n]), 1e-9)
                    for n in rounds
                ]
                cells.append(f"{statistics.median(each):.2f} ({min(each):.2f}-{max(each):.2f})")
            lines.append(_row([other, str(concurrency), *cells]))
    return "\n".join(lines)
