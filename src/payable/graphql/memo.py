"""Results worked out once per key and kept, a bounded number of them.

Per-document work (a cost, a compiled statement) is keyed by the ids of the parsed document
and the schema: cheap to hash, but an id can name another object once the first is gone. So
each result is kept with the objects whose ids its key holds, and found only while they are
the same objects. The least recently used results go first: unique documents cannot grow
memory without limit.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Memo(Generic[T]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, tuple[tuple[Any, ...], T]] = OrderedDict()

    def get(self, key: Hashable, anchors: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """``compute()``'s result for ``key``, computed once (an exception is not kept)."""
        found = self._kept.get(key)
        if found is not None and all(a is b for a, b in zip(found[0], anchors, strict=True)):
            self._kept.move_to_end(key)
            return found[1]
        result = compute()
        self._kept[key] = (anchors, result)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return result
