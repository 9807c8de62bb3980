"""Each mutation is declared once (role, codes, key, payload); its description lists its codes."""

from __future__ import annotations

from graphql import GraphQLObjectType

from payable.core.errors import CommonRefusal
from payable.graphql.mutations.declaration import DECLARATIONS
from payable.graphql.schema import schema
from payable.idempotency.refusals import IdempotencyRefusal


def _mutations() -> GraphQLObjectType:
    mutation = schema._schema.mutation_type
    assert mutation is not None
    return mutation


def test_every_mutation_field_is_declared() -> None:
    """Each field of Mutation has a declaration; a test-only vertical may add its own."""
    assert set(_mutations().fields) <= set(DECLARATIONS)


def test_each_description_ends_with_the_codes_its_declaration_lists() -> None:
    for name, field in _mutations().fields.items():
        declared = DECLARATIONS[name]
        codes = ", ".join(r.code for r in declared.refusals)
        assert field.description is not None
        assert field.description.endswith(f" Codes: {codes}."), name
        assert declared.refusals[0] is CommonRefusal.FORBIDDEN


def test_a_mutation_takes_a_key_exactly_when_it_declares_the_key_codes() -> None:
    for name, field in _mutations().fields.items():
        declared = DECLARATIONS[name]
        key_codes = set(IdempotencyRefusal) <= set(declared.refusals)
        assert ("idempotencyKey" in field.args) == declared.idempotent == key_codes, name
