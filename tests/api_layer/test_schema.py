"""The exported schema matches the code, and contains the whole fixed contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
)

from payable.graphql.schema import schema

ROOT = Path(__file__).resolve().parents[2]
# The fixed contract lives in ../shared; contract/core.graphql is our copy for checkouts without it.
SHARED_CONTRACT = ROOT.parent / "shared" / "contract" / "core.graphql"
CONTRACT = SHARED_CONTRACT if SHARED_CONTRACT.exists() else ROOT / "contract" / "core.graphql"


def _ours() -> GraphQLSchema:
    return schema._schema


def _kind(named: GraphQLNamedType) -> str:
    """The GraphQL kind (strawberry uses subclasses of graphql-core's classes)."""
    kinds = (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType, GraphQLEnumType)
    return next((k.__name__ for k in kinds if isinstance(named, k)), "scalar")


def _gaps(contract: GraphQLSchema, ours: GraphQLSchema) -> set[str]:
    """Every contract type, field, argument and enum value missing from ours or typed otherwise."""
    gaps: set[str] = set()
    for name, theirs in contract.type_map.items():
        if name.startswith("__"):
            continue
        mine: GraphQLNamedType | None = ours.type_map.get(name)
        if mine is None:
            gaps.add(name)
        elif _kind(mine) != _kind(theirs):
            gaps.add(f"{name} (kind)")
        elif isinstance(theirs, GraphQLObjectType | GraphQLInterfaceType):
            gaps |= _field_gaps(name, theirs, mine)  # type: ignore[arg-type]
            implemented = {i.name for i in mine.interfaces}  # type: ignore[union-attr]
            gaps |= {
                f"{name} implements {i.name}"
                for i in theirs.interfaces
                if i.name not in implemented
            }
        elif isinstance(theirs, GraphQLInputObjectType):
            for field_name, field in theirs.fields.items():
                other = mine.fields.get(field_name)  # type: ignore[union-attr]
                if other is None or str(other.type) != str(field.type):
                    gaps.add(f"{name}.{field_name}")
        elif isinstance(theirs, GraphQLEnumType):
            gaps |= {f"{name}.{v}" for v in theirs.values if v not in mine.values}  # type: ignore[union-attr]
    return gaps


def _field_gaps(name: str, theirs: GraphQLObjectType, mine: GraphQLObjectType) -> set[str]:
    gaps = set()
    for field_name, field in theirs.fields.items():
        other = mine.fields.get(field_name)
        if other is None:
            gaps.add(f"{name}.{field_name}")
            continue
        if str(other.type) != str(field.type):
            gaps.add(f"{name}.{field_name}: {other.type} is not {field.type}")
        for arg_name, arg in field.args.items():
            mine_arg = other.args.get(arg_name)
            if mine_arg is None or str(mine_arg.type) != str(arg.type):
                gaps.add(f"{name}.{field_name}({arg_name})")
    return gaps


@pytest.mark.skipif(not SHARED_CONTRACT.exists(), reason="no ../shared beside this checkout")
def test_contract_copy_is_current() -> None:
    assert (ROOT / "contract" / "core.graphql").read_text() == SHARED_CONTRACT.read_text()


def test_schema_file_matches_the_code() -> None:
    """schema.graphql is exported from code: run `payable export-schema --output schema.graphql`."""
    assert (ROOT / "schema.graphql").read_text() == schema.as_str() + "\n"


def test_the_whole_contract_is_in_the_schema() -> None:
    """Every type, field, argument and enum value of the fixed contract, typed as it says."""
    assert _gaps(build_schema(CONTRACT.read_text()), _ours()) == set()
