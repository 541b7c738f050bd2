"""The scenario suite: every scenario plans as the guide expects, and every shipped rule is used."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.evaluate.engine import Engine
from advisor.quality.scenarios import load_scenario, run_scenario, scenario_files
from advisor.rulebook import Rulebook
from tests.conftest import RULES

SCENARIOS = scenario_files(RULES / "scenarios")


def test_there_are_at_least_twenty_scenarios() -> None:
    assert len(SCENARIOS) >= 20


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path, engine: Engine) -> None:
    with engine.version() as compiled:
        outcome = run_scenario(load_scenario(path), compiled, str(path))
    assert outcome.passed, "\n".join(outcome.failures)


def test_every_shipped_rule_is_exercised_by_a_scenario(engine: Engine, rulebook: Rulebook) -> None:
    fired: set[str] = set()
    with engine.version() as compiled:
        for path in SCENARIOS:
            fired |= run_scenario(load_scenario(path), compiled, str(path)).fired
    unused = sorted({info.id for info in rulebook.rules} - fired)
    assert unused == [], f"rules no scenario exercises: {unused}"
