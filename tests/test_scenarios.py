"""The scenario suite: every scenario plans as the guide expects, and every shipped rule is used."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.evaluate.engine import Engine
from advisor.model.errors import InputError
from advisor.quality.scenarios import Scenario, load_scenario, run_scenario, scenario_files
from advisor.rulebook import Rulebook
from tests.conftest import RULES

SCENARIOS = scenario_files(RULES / "scenarios")


def test_there_are_at_least_twenty_scenarios() -> None:
    assert len(SCENARIOS) >= 20


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path, engine: Engine) -> None:
    with engine.version() as compiled:
        outcome = run_scenario(load_scenario(path), compiled, str(path))
    assert outcome.passed, "\n".join(map(str, outcome.failures))


def test_every_shipped_rule_is_exercised_by_a_scenario(engine: Engine, rulebook: Rulebook) -> None:
    fired: set[str] = set()
    with engine.version() as compiled:
        for path in SCENARIOS:
            fired |= run_scenario(load_scenario(path), compiled, str(path)).fired
    unused = sorted({info.id for info in rulebook.rules} - fired)
    assert unused == [], f"rules no scenario exercises: {unused}"


def _scenario_text(expect: str) -> str:
    return (
        "name: t\ndescription: d\nassessment:\n  version: 1\n"
        "  organisation: {name: T, rollout_start: 2027-03}\n"
        "  groups:\n  - {id: shop, name: Shop, users: 40, platforms: [ios, android], ownership: mixed,"
        " corporate_devices: new, requirements: [shared_devices]}\n"
        f"expect:\n{expect}"
    )


def _load(tmp_path: Path, text: str) -> Scenario:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)


def test_a_scenario_expects_each_groups_methods_and_the_prerequisites(tmp_path: Path, engine: Engine) -> None:
    right = _scenario_text(
        "  methods:\n    shop:\n"
        "    - 'ios/corporate: ios_ade shared'\n"
        "    - 'ios/personal: ios_app_protection'\n"
        "    - 'android/corporate: android_dedicated shared'\n"
        "    - 'android/personal: android_app_protection'\n"
    )
    with engine.version() as compiled:
        assert run_scenario(_load(tmp_path, right), compiled).passed
        # spacing aside, a missing or extra flag, a wrong method or a missing kind is a failure
        spaced = right.replace("android_dedicated shared", "android_dedicated  shared")
        assert run_scenario(_load(tmp_path, spaced), compiled).passed
        for wrong in (
            right.replace("ios_ade shared", "ios_ade"),
            right.replace("ios_ade shared", "ios_ade reset shared"),
            right.replace("ios_app_protection", "ios_account_driven_user_enrollment"),
            right.replace("    - 'android/personal: android_app_protection'\n", ""),
        ):
            (failure,) = run_scenario(_load(tmp_path, wrong), compiled).failures
            assert str(failure).startswith("shop methods: expected")
        due = _scenario_text("  prerequisites: {intune-licences: 2027-02-15}\n")
        (failure,) = run_scenario(_load(tmp_path, due), compiled).failures
        assert str(failure).startswith("prerequisites: expected [('intune-licences', '2027-02-15')], got [")
        assert "('intune-licences', '2027-02-15')" in str(failure)  # the due day itself is right


@pytest.mark.parametrize(
    ("methods", "message"),
    [
        ("'ios corporate: ios_ade'", "write it as 'platform/owner: method'"),
        ("'ipados/corporate: ios_ade'", "unknown platform 'ipados'"),
        ("'ios/company: ios_ade'", "unknown owner 'company'"),
        ("'ios/corporate: ios_dep'", "unknown method 'ios_dep'"),
        ("'ios/corporate: ios_ade wiped'", "the flags after the method are reset and shared"),
        ("'ios/corporate: ios_ade reset reset'", "the flags after the method are reset and shared"),
    ],
)
def test_a_methods_expectation_that_names_nothing_real_is_refused(
    tmp_path: Path, methods: str, message: str
) -> None:
    with pytest.raises(InputError) as caught:
        _load(tmp_path, _scenario_text(f"  methods: {{shop: [{methods}]}}\n"))
    assert message in str(caught.value)


def test_an_unknown_prerequisite_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        _load(tmp_path, _scenario_text("  prerequisites: {apple-push: 2027-02-15}\n"))
    assert "unknown prerequisites ['apple-push']" in str(caught.value)


def test_a_scenario_without_methods_or_prerequisites_checks_neither(tmp_path: Path, engine: Engine) -> None:
    with engine.version() as compiled:
        assert run_scenario(_load(tmp_path, _scenario_text("  warnings: null\n")), compiled).passed


def test_every_method_scenario_names_its_methods() -> None:
    """The scenarios written for the method stage each expect the methods they are about."""
    with_methods = [p.stem for p in SCENARIOS if load_scenario(p).expect.methods]
    assert len(with_methods) >= 12
