"""The Decimal scalar: money as decimal strings. Unreadable input reaches the domain as
``MalformedAmount`` so it is refused as a typed INVALID_AMOUNT error naming the field."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import strawberry
from graphql import FloatValueNode, IntValueNode, StringValueNode, ValueNode

from payable.core.money import MalformedAmount


def _parse(value: object) -> Decimal | MalformedAmount:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return MalformedAmount(value)  # floats included: they cannot carry money exactly
    try:
        return Decimal(value)
    except (InvalidOperation, ValueError):
        return MalformedAmount(value)


def _parse_literal(node: ValueNode, _variables: object = None) -> Decimal | MalformedAmount:
    if isinstance(node, StringValueNode):
        return _parse(node.value)
    if isinstance(node, IntValueNode):
        return _parse(int(node.value))
    if isinstance(node, FloatValueNode):
        return MalformedAmount(float(node.value))
    return MalformedAmount(getattr(node, "value", None))


DecimalScalar = strawberry.scalar(
    name="Decimal",
    description='A money amount as a decimal string, e.g. "15000.00"; never a float.',
    serialize=lambda value: f"{value:.2f}",
    parse_value=_parse,
    parse_literal=_parse_literal,
)
