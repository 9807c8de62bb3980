"""Refusal codes come from one catalogue per domain: raised through it, documented from it."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

from payable.graphql.catalogue import catalogues, markdown

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "src" / "payable").rglob("*.py"))


def test_the_readme_shows_the_catalogue_as_the_code_declares_it() -> None:
    readme = (ROOT / "README.md").read_text()
    shown = re.search(r"<!-- refusal codes -->\n(.*?)<!-- /refusal codes -->", readme, re.S)
    assert shown is not None
    assert shown.group(1) == markdown(), "regenerate it with `payable refusal-codes`"


def test_each_code_is_declared_once_with_a_message() -> None:
    codes = Counter(refusal.code for catalogue in catalogues() for refusal in catalogue)
    assert [code for code, count in codes.items() if count > 1] == []
    assert len(codes) > 60
    for catalogue in catalogues():
        for refusal in catalogue:
            assert refusal.code == refusal.code.upper() and refusal.message.strip()


def test_no_refusal_is_raised_from_a_bare_string() -> None:
    """DomainError("CODE", ...) would bypass the catalogue: codes are raised as members."""
    bare = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "DomainError"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bare == []


def test_every_declared_code_is_raised_somewhere() -> None:
    """A code nobody raises is a promise the API does not keep."""
    text = "\n".join(p.read_text() for p in SOURCES if p.name != "refusals.py")
    unused = [
        f"{catalogue.__name__}.{refusal.code}"
        for catalogue in catalogues()
        for refusal in catalogue
        if f"{catalogue.__name__}.{refusal.code}" not in text
    ]
    assert unused == []
