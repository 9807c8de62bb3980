"""The import contracts in pyproject.toml hold, and they catch what they are there for: a lower
layer importing a higher one, the core importing a vertical, the registry building the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from importlinter import configuration
from importlinter.adapters.building import GraphBuilder
from importlinter.application import use_cases
from importlinter.application.app_config import settings

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
CONTRACTS = ("layers", "no-vertical", "reports-read")  # their ids in pyproject.toml


class WithOneMoreImport(GraphBuilder):
    """The real graph plus one import, as if someone had just written it."""

    def __init__(self, importer: str, imported: str) -> None:
        self.importer, self.imported = importer, imported

    def build(self, *args: Any, **kwargs: Any) -> Any:
        graph = super().build(*args, **kwargs)
        graph.add_import(
            importer=self.importer,
            imported=self.imported,
            line_number=1,
            line_contents=f"import {self.imported}",
        )
        return graph


@pytest.fixture(autouse=True)
def linter() -> Iterator[None]:
    configuration.configure()
    yield
    configuration.configure()


def _broken(extra: tuple[str, str] | None = None) -> set[str]:
    """The ids of the contracts that fail (``lint-imports`` itself, one contract at a time)."""
    if extra is not None:
        settings.configure(GRAPH_BUILDER=WithOneMoreImport(*extra))
    return {
        contract
        for contract in CONTRACTS
        if not use_cases.lint_imports(
            config_filename=str(PYPROJECT), limit_to_contracts=(contract,), cache_dir=None
        )
    }


def test_the_import_contracts_hold() -> None:
    assert _broken() == set()


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("payable.payments.service", "payable.graphql.schema"),  # a domain reaching the API
        ("payable.providers.registry", "payable.sandbox.gateway"),  # building the sandbox
        ("payable.core.clock", "payable.bookings.models"),  # the bottom reaching a domain
    ],
)
def test_a_lower_layer_importing_a_higher_one_breaks_the_layers(
    importer: str, imported: str
) -> None:
    assert _broken((importer, imported)) == {"layers"}


def test_reports_reaching_a_writer_is_caught() -> None:
    assert _broken(("payable.reports.daily", "payable.payments.service")) == {"reports-read"}


def test_the_core_importing_a_vertical_is_caught() -> None:
    broken = _broken(("payable.bookings.service", "payable.verticals.tour.models"))
    assert broken == {"no-vertical", "layers"}
