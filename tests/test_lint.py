"""Lint over the finite answer space: each kind of mistake found, named file:line [rule]."""

from __future__ import annotations

from advisor.quality.lint import exercised_by_scenarios, lint
from advisor.rulebook import Rulebook
from advisor.rulebook.loader import build_rulebook
from tests.conftest import RULES, without_rules

SOURCE = "https://docs.microsoft.com/intune/planning-guide-rollout-plan#it-tech-fair"


def _with(extra: str, drop: str | None = None) -> Rulebook:
    sources = {f"rules/{p.name}": p.read_bytes() for p in sorted(RULES.glob("*.yaml")) if p.name != drop}
    sources["rules/zz-extra.yaml"] = extra.encode()
    return build_rulebook(sources)


def _rule(
    rule_id: str, value: str, priority: int, when: str, stage: str = "placement", decides: str = "enrollment"
) -> str:
    return (
        f"stage: {stage}\nrules:\n  - id: {rule_id}\n    decides: {decides}\n    value: {value}\n"
        f"    priority: {priority}\n    when: {when}\n    reason: {{en: Because., sv: Därför.}}\n"
        f"    source: {SOURCE}\n    provenance: beyond_guide\n"
    )


def test_the_shipped_rulebook_lints_clean_and_every_rule_is_exercised(rulebook: Rulebook) -> None:
    assert lint(rulebook, exercised_by_scenarios(rulebook, RULES / "scenarios")) == []


def test_a_rule_that_can_never_fire_is_found() -> None:
    rulebook = _with(_rule("impossible", "assisted", 5, "{all: [{fact: phase_users, op: lt, value: 1}]}"))
    findings = [str(f) for f in lint(rulebook)]
    assert (
        "rules/zz-extra.yaml:3 [impossible]: warning: this rule can never fire: no answers satisfy its conditions"
        in findings
    )


def test_two_rules_deciding_differently_at_one_priority_are_an_error_with_an_example() -> None:
    rulebook = _with(
        _rule("fair-for-small-groups", "tech_fair", 30, "{all: [{fact: phase_users, op: lt, value: 50}]}")
    )
    conflict = [f for f in lint(rulebook) if "same priority" in f.message]
    assert len(conflict) == 1
    assert conflict[0].severity == "error"
    text = str(conflict[0])
    assert "assisted-for-small-groups-needing-help" in text
    assert "fair-for-small-groups" in text
    assert "for example when" in text
    assert "phase_users=" in text
    assert "needs_help=high" in text


def test_answers_with_no_enrollment_decided_are_an_error() -> None:
    """Loading refuses a rulebook without a default rule for a decision; the lint stays as a
    second line for rulebooks put together otherwise (the default is taken out after loading)."""
    loaded = _with(
        _rule("only-for-executives", "assisted", 50, "{all: [{fact: executives, op: eq, value: true}]}")
    )
    rulebook = without_rules(
        loaded, lambda i: i.rule.decides == "enrollment" and i.id != "only-for-executives"
    )
    gaps = [str(f) for f in lint(rulebook) if "no rule decides" in f.message]
    assert gaps == [
        "rules/enrollment.yaml: at the placement stage no rule decides 'enrollment' when executives=false"
    ]


def test_a_rule_no_scenario_exercises_is_a_warning(rulebook: Rulebook) -> None:
    findings = lint(
        rulebook, exercised=[info.id for info in rulebook.rules if info.id != "split-by-platform"]
    )
    assert [(f.rule, f.severity) for f in findings] == [("split-by-platform", "warning")]
