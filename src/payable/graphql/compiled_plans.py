"""A selection set's plan as one generated Python function.

The executor's plan loop asks the same questions of every field of every object: is it read
directly, does it want an info, is its value a leaf, an object, a list of objects. The
answers are fixed by the plan, so the loop is unrolled once into straight-line code: each
field reads its value and, in the common case (a string, a value its scalar serialises, a
null where one is allowed, an object or a list of objects of the planned class), completes
it inline, objects by their own plan's function. Every other case calls back into the
executor's general methods, which complete it exactly as before, errors and awaitables
included; a list is completed inline only when every item is of the planned class, so
nothing is ever completed twice.

The generated source depends only on the plan's *form* (field names, kinds, nullability,
attribute names), never on a request's values: it is compiled once per form and kept; each
request binds it to its own field definitions.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from graphql.pyutils import Path, Undefined

# How a planned field is read.
GENERAL = "general"  # by graphql-core's execute_field, completion included
READ = "read"  # by calling its resolver with the source
ATTRIBUTE = "attribute"  # a plain attribute of the source
WITH_INFO = "info"  # by calling its resolver with the source, its arguments and an info

# How a value read directly is completed inline.
TEXT = "text"  # String or ID: a str is its own output value
LEAF = "leaf"  # another scalar or an enum: serialised
OBJECT = "object"  # an object, by its plan
OBJECTS = "objects"  # a list of objects, each by its plan
OTHER = "other"  # by the executor


class FieldForm(NamedTuple):
    name: str  # response name
    read: str
    completion: str
    nullable: bool
    attribute: str | None = None  # ATTRIBUTE: the source's attribute
    checked: bool = False  # OBJECT(S): only values of one class are completed inline


Form = tuple[FieldForm, ...]


class FieldConstants(NamedTuple):
    """What the generated code of one field needs from the request's plan."""

    direct: Any
    details: Any
    read: Callable[..., Any] | None
    serialize: Callable[[Any], Any] | None
    origin: type | None


Run = Callable[[Any, Any, Path | None], Any]  # (executor, source, path) -> dict or awaitable


def bind(form: Form, parent_type: Any, constants: Sequence[FieldConstants]) -> Run:
    """The plan's function for this request: the form's code with this request's constants."""
    return _factory(form)(parent_type, parent_type.name, constants, Path, Undefined)


@lru_cache(maxsize=1024)
def _factory(form: Form) -> Callable[..., Run]:
    lines = ["def factory(T, TN, C, Path, Undefined):"]
    for index, field in enumerate(form):
        lines.append(f"    D{index} = C[{index}].direct")
        if field.read == GENERAL:
            lines.append(f"    F{index} = C[{index}].details")
        if field.read in (READ, WITH_INFO):
            lines.append(f"    R{index} = C[{index}].read")
        if field.completion == LEAF:
            lines.append(f"    S{index} = C[{index}].serialize")
        if field.checked:
            lines.append(f"    O{index} = C[{index}].origin")
    lines += [
        "    def run(self, source, path):",
        "        results = {}",
        "        waiting = None",
        "        slow = self._planned_slow",
        "        try:",
        "            pass  # a selection set may be empty (@skip)",
    ]
    for index, field in enumerate(form):
        lines.extend("            " + line for line in _field(index, field))
    lines += [
        "        except Exception:",
        "            if waiting:  # as graphql-core does: what was started is settled",
        "                self.settle_in_background([results[key] for key in waiting])",
        "            raise",
        "        if waiting is None:",
        "            return results",
        "        return self._planned_gather(results, waiting)",
        "    return run",
    ]
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), f"<plan of {len(form)} fields>", "exec"), namespace)
    return namespace["factory"]


def _field(index: int, field: FieldForm) -> list[str]:
    key = repr(field.name)
    if field.read == GENERAL:
        return [
            f"result = self.execute_field(T, source, F{index}, Path(path, {key}, TN), None)",
            f"waiting = self._planned_store(results, waiting, {key}, result)",
        ]
    if field.read == ATTRIBUTE:
        attribute = field.attribute or ""
        assert attribute.isidentifier() and not keyword.iskeyword(attribute)
        read = f"value = source.{attribute}"
    elif field.read == WITH_INFO:
        read = f"value = self._planned_call(D{index}, T, path, {key}, source)"
    else:
        read = f"value = R{index}(source)"
    general = f"waiting = slow(results, waiting, {key}, D{index}, T, path, value, None)"
    out = [
        "try:",
        f"    {read}",
        "except Exception as raised:",
        f"    waiting = slow(results, waiting, {key}, D{index}, T, path, None, raised)",
        "else:",
        "    if value is None:",
        f"        results[{key}] = None" if field.nullable else f"        {general}",
    ]
    completion = field.completion
    if completion == TEXT:
        out += ["    elif value.__class__ is str:", f"        results[{key}] = value"]
    elif completion == LEAF:
        out += [
            "    elif not isinstance(value, Exception):",
            "        try:",
            f"            coerced = S{index}(value)",
            "        except Exception:",
            "            coerced = None",
            "        if coerced is None or coerced is Undefined:",
            f"            {general}",
            "        else:",
            f"            results[{key}] = coerced",
        ]
    elif completion == OBJECT:
        test = (
            f"value.__class__ is O{index}" if field.checked else "not isinstance(value, Exception)"
        )
        out += [
            f"    elif {test} and D{index}.subplan is not None:",
            f"        done = self._planned_object(D{index}, value, Path(path, {key}, TN))",
            f"        results[{key}] = done",
            "        if done.__class__ is not dict and done is not None:",
            f"            waiting = [*(waiting or ()), {key}]",
        ]
    elif completion == OBJECTS:
        each = (
            f"item.__class__ is O{index}"
            if field.checked
            else "item is not None and not isinstance(item, Exception)"
        )
        out += [
            f"    elif value.__class__ is list and D{index}.subplan is not None"
            f" and all({each} for item in value):",
            f"        done = self._planned_objects(D{index}, value, Path(path, {key}, TN))",
            f"        results[{key}] = done",
            "        if done.__class__ is not list and done is not None:",
            f"            waiting = [*(waiting or ()), {key}]",
        ]
    out += ["    else:", f"        {general}"]
    return out
