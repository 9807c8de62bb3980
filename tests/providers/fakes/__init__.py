"""Local fake card gateways speaking the real protocols (no network reaches the real hosts)."""

from __future__ import annotations

import traceback
from collections.abc import Iterable


def assert_no_secrets(thing: object, secrets: Iterable[str]) -> None:
    """Neither str, repr nor (for exceptions) the printed traceback shows any secret."""
    texts = [str(thing), repr(thing)]
    if isinstance(thing, BaseException):
        texts.append("".join(traceback.format_exception(thing)))
        texts.extend(repr(arg) for arg in thing.args)
    for secret in secrets:
        for text in texts:
            assert secret not in text, f"secret leaked into {text!r}"
