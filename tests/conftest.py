"""Shared fixtures: the shipped rulebook, one engine for the session, the guide's example."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from advisor.engine import Engine
from advisor.facts import Assessment, load_assessment
from advisor.rulebook import Rulebook, load_rulebook

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
FILES = Path(__file__).resolve().parent / "files"


@pytest.fixture(scope="session")
def rulebook() -> Rulebook:
    return load_rulebook(RULES)


@pytest.fixture(scope="session")
def engine(rulebook: Rulebook) -> Iterator[Engine]:
    engine = Engine(rulebook)
    yield engine
    engine.close()


@pytest.fixture
def contoso() -> Assessment:
    return load_assessment(ROOT / "examples" / "contoso.yaml")
