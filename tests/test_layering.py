"""The core's boundaries: no Flask in `advisor/`, and only the engine module imports durable_rules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

CORE = sorted((ROOT / "advisor").rglob("*.py"))


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", CORE, ids=[str(p.relative_to(ROOT)) for p in CORE])
def test_the_core_never_imports_flask(path: Path) -> None:
    assert not _imports(path) & {"flask", "werkzeug", "flask_babel", "flask_wtf"}


def test_only_the_engine_imports_durable_rules() -> None:
    importers = {str(p.relative_to(ROOT)) for p in CORE if _imports(p) & {"durable", "durable_rules_engine"}}
    assert importers == {"advisor/engine.py"}
