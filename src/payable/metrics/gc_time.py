"""Time this process spends in CPython's cyclic garbage collector.

A bench reads ``payable_gc_collections_seconds_total`` before and after a load and divides by
the CPU the load took: the collector's share of the work. The callback runs inside whatever
allocation set the collection off, perhaps while this thread holds a metric's lock, so it only
adds to plain floats; ``flush`` moves the sums into the counter from ordinary code (every
sample and every scrape).
"""

from __future__ import annotations

import gc
import time
from typing import Any

from payable.metrics.families import GC_SECONDS

_GENERATIONS = 3
_spent = [0.0] * _GENERATIONS  # written by the callback only
_flushed = [0.0] * _GENERATIONS  # written by flush only
_started = 0.0


def _on_collection(phase: str, info: dict[str, Any]) -> None:
    global _started
    if phase == "start":
        _started = time.perf_counter()
    else:
        _spent[info["generation"]] += time.perf_counter() - _started


def install() -> None:
    """Start timing collections (once per process; installing again changes nothing)."""
    if _on_collection not in gc.callbacks:
        gc.callbacks.append(_on_collection)


def flush() -> None:
    for generation in range(_GENERATIONS):
        spent = _spent[generation]
        if spent > _flushed[generation]:
            GC_SECONDS.labels(str(generation)).inc(spent - _flushed[generation])
            _flushed[generation] = spent
