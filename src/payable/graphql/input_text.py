"""Every string a request brings, checked in one place before anything runs.

NUL bytes and lone surrogates cannot be stored (PostgreSQL refuses the one, UTF-8 the other)
and control characters other than tab and line breaks mean nothing in a name, reference or
reason; such text is refused as ``INVALID_TEXT``, and text longer than any field takes as
``TEXT_TOO_LONG``, naming where it was. Per-field limits (reasons 1000, references 128, ...)
stay with the domain; this is the floor under all of them, so no field can forget it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from graphql import DocumentNode, StringValueNode, Visitor, visit

from payable.graphql.limits import refusal

_UNFIT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def problem(text: str, *, max_length: int) -> tuple[str, str] | None:
    """The code and reason ``text`` is refused with, or None when it is fine."""
    if len(text) > max_length:
        return "TEXT_TOO_LONG", f"is longer than {max_length} characters"
    found = _UNFIT.search(text)
    if found is None:
        return None
    if "\ud800" <= found.group() <= "\udfff":
        return "INVALID_TEXT", "contains a lone surrogate (not valid Unicode)"
    return "INVALID_TEXT", f"contains the control character U+{ord(found.group()):04X}"


def check(*, document: DocumentNode, variables: Mapping[str, Any] | None, max_length: int) -> None:
    """Refuse the request if any string in its variables or its document is unfit."""
    check_variables(variables, max_length=max_length)
    check_document(document, max_length=max_length)


def check_variables(variables: Mapping[str, Any] | None, *, max_length: int) -> None:
    """Refuse the request if any string in its variables (keys included) is unfit."""
    stack: list[tuple[str, Any]] = [
        (f"${name}", value) for name, value in (variables or {}).items()
    ]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            _refuse_unfit(value, where=where, max_length=max_length)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                _refuse_unfit(str(key), where=where, max_length=max_length)
                stack.append((f"{where}.{key}", item))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(value))


def check_document(document: DocumentNode, *, max_length: int) -> None:
    """Refuse the request if any string literal in its document is unfit."""
    visit(document, _Literals(max_length))  # graphql-core's visit keeps its own stack


class _Literals(Visitor):
    def __init__(self, max_length: int) -> None:
        super().__init__()
        self.max_length = max_length

    def enter_string_value(self, node: StringValueNode, *_: object) -> None:
        _refuse_unfit(
            node.value, where="a string in the document", max_length=self.max_length, node=node
        )


def _refuse_unfit(
    text: str, *, where: str, max_length: int, node: StringValueNode | None = None
) -> None:
    found = problem(text, max_length=max_length)
    if found is not None:
        code, reason = found
        error = refusal(code, f"{where} {reason}", argument=where)
        if node is not None:
            error = type(error)(error.message, nodes=[node], extensions=error.extensions)
        raise error
