"""The fast impact gives what planning every case under both rulebooks gives: the filter never
skips a plan that changes, and a saved plan stands in for the plan before only when it may."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.evaluate.oracle import OracleEvaluator
from advisor.model.errors import InputError, RolloutTooLong
from advisor.model.facts import parse_assessment
from advisor.planning.planner import make_plan
from advisor.quality.impact import (
    PARALLEL_FROM,
    Case,
    Change,
    Filter,
    _plan,
    changed_rules,
    describe_change,
    impact_of,
    scenario_assessments,
)
from advisor.rulebook import Rulebook, load_rulebook
from advisor.rulebook.loader import RuleInfo, build_rulebook, read_folder
from advisor.rulebook.schema import AllOf, Leaf, leaves
from tests.strategies import assessments

ROOT = Path(__file__).resolve().parent.parent
RULEBOOK = load_rulebook(ROOT / "rules")
CONDITIONS = {leaf.param for i in RULEBOOK.rules if i.rule.when for leaf in leaves(i.rule.when) if leaf.param}


def _rulebook(rules: tuple[RuleInfo, ...] | None = None, **changes: Any) -> Rulebook:
    """The shipped rulebook with some of its parts replaced (a new version)."""
    return Rulebook(
        label=RULEBOOK.label,
        rules=RULEBOOK.rules if rules is None else rules,
        parameters=changes.get("parameters", RULEBOOK.parameters),
        parameter_texts=RULEBOOK.parameter_texts,
        parameter_provenance=RULEBOOK.parameter_provenance,
        lists=changes.get("lists", RULEBOOK.lists),
        tables=RULEBOOK.tables,
        version="changed",
    )


def _full(old: Rulebook, new: Rulebook, cases: list[Case]) -> list[Change]:
    """The straightforward impact: every case planned under both rulebooks."""
    before, after = OracleEvaluator(old), OracleEvaluator(new)
    found = [
        describe_change(c.name, _plan(c.assessment, before, 240), _plan(c.assessment, after, 240))
        for c in cases
    ]
    return [change for change in found if change is not None]


@st.composite
def single_changes(draw: st.DrawFn) -> Rulebook:
    """One change of the kinds an admin makes: a number, a rule's priority, a rule gone, a list
    reordered."""
    kind = draw(st.sampled_from(["number", "number", "priority", "removed", "list"]))
    if kind == "number":
        # Half of them a number some rule's condition reads (what the filter bounds), half any.
        name = draw(st.sampled_from(sorted(CONDITIONS)) | st.sampled_from(sorted(RULEBOOK.parameters)))
        value = RULEBOOK.parameters[name]
        new = draw(st.integers(max(0, value - 20), value + 20) | st.integers(0, 5000))
        return _rulebook(parameters={**RULEBOOK.parameters, name: new})
    if kind == "list":
        name = draw(st.sampled_from(sorted(RULEBOOK.lists)))
        return _rulebook(lists={**RULEBOOK.lists, name: tuple(reversed(RULEBOOK.lists[name]))})
    index = draw(st.integers(0, len(RULEBOOK.rules) - 1))
    if kind == "removed":
        return _rulebook(RULEBOOK.rules[:index] + RULEBOOK.rules[index + 1 :])
    info = RULEBOOK.rules[index]
    changed = replace(info, rule=info.rule.model_copy(update={"priority": draw(st.integers(0, 1000))}))
    return _rulebook((*RULEBOOK.rules[:index], changed, *RULEBOOK.rules[index + 1 :]))


def _cases(drawn: list[dict[str, Any]], saved: list[bool]) -> list[Case]:
    """The assessments as saved: some with the plan the running rulebook made for them (on a day
    after their start, so with its dated warnings), some without."""
    cases = []
    for i, (answers, with_plan) in enumerate(zip(drawn, saved, strict=True)):
        try:
            assessment = parse_assessment(answers)
        except InputError:
            continue
        plan = None
        if with_plan:
            try:
                made = make_plan(
                    assessment, OracleEvaluator(RULEBOOK), max_months=240, today=date(2031, 1, 1)
                )
                plan = made.model_dump(mode="json")
            except RolloutTooLong:
                pass
        cases.append(Case(f"case {i}", assessment, plan, RULEBOOK.version))
    return cases


@settings(max_examples=90, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    new=single_changes(),
    drawn=st.lists(assessments(max_groups=5), min_size=1, max_size=3),
    saved=st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_the_filtered_impact_is_the_full_impact(
    new: Rulebook, drawn: list[dict[str, Any]], saved: list[bool]
) -> None:
    cases = _cases(drawn, saved[: len(drawn)])
    assert impact_of(RULEBOOK, new, cases, max_months=240) == _full(RULEBOOK, new, cases)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=assessments(max_groups=6), threshold=st.integers(0, 400))
def test_a_threshold_of_a_group_rule_touches_only_the_groups_it_flips(
    drawn: dict[str, Any], threshold: int
) -> None:
    new = _rulebook(parameters={**RULEBOOK.parameters, "many_devices_percent": threshold})
    check = Filter(RULEBOOK, new)
    assert check.changed == frozenset({"warn-many-devices-per-user"})
    try:
        case = Case("drawn", parse_assessment(drawn))
    except InputError:
        return
    if not check.touches(case):
        assert _full(RULEBOOK, new, [case]) == []


def test_a_change_the_filter_cannot_bound_touches_every_plan() -> None:
    planner_read = _rulebook(parameters={**RULEBOOK.parameters, "limited_pilot_size": 7})
    reordered = _rulebook(tuple(reversed(RULEBOOK.rules)))
    organisation = _rulebook(parameters={**RULEBOOK.parameters, "few_sites_max": 9})
    for new in (planner_read, reordered, organisation):
        assert changed_rules(RULEBOOK, new) is None
    assert changed_rules(RULEBOOK, _rulebook()) == frozenset()


def test_a_number_the_planner_reads_touches_every_plan_even_when_a_rule_reads_it_too() -> None:
    """A rule may compare a fact with a planner's number (the lint allows it): changing that
    number changes plans through the planner, not only where the rule flips."""
    index, info = next((i, r) for i, r in enumerate(RULEBOOK.rules) if r.id == "limited-pilot-from-it")
    condition = Leaf(fact="users", op="gte", param="limited_pilot_size")
    reading = info.rule.model_copy(
        update={"when": condition if info.rule.when is None else AllOf(all=[info.rule.when, condition])}
    )
    rules = (*RULEBOOK.rules[:index], replace(info, rule=reading), *RULEBOOK.rules[index + 1 :])
    old = _rulebook(rules)
    new = replace(old, parameters={**RULEBOOK.parameters, "limited_pilot_size": 5}, version="changed again")
    assert "limited_pilot_size" in {leaf.param for leaf in leaves(reading.when) if leaf.param}
    assert changed_rules(old, new) is None


def test_the_numbers_rule_conditions_read_are_never_read_by_the_planner_itself() -> None:
    """The filter bounds a change of such a number by the rules that read it; a planner step that
    read one directly would make that unsound (it would then need to touch every plan)."""
    read = {
        leaf.param
        for info in RULEBOOK.rules
        if info.rule.when
        for leaf in leaves(info.rule.when)
        if leaf.param
    }
    assert read
    planner = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "advisor" / "planning").glob("*.py"))
    assert not {name for name in read if re.search(rf"[\"']{name}[\"']", planner)}


@pytest.mark.parametrize("version", [RULEBOOK.version, "another"])
def test_a_saved_plan_stands_in_only_for_the_rulebook_that_made_it(version: str) -> None:
    """A plan saved under another rulebook is not the plan before: the case is planned again."""
    contoso = parse_assessment(__import__("yaml").safe_load((ROOT / "examples" / "contoso.yaml").read_text()))
    other = make_plan(
        contoso, OracleEvaluator(_rulebook(parameters={**RULEBOOK.parameters, "limited_pilot_size": 1}))
    )
    case = Case("contoso", contoso, other.model_dump(mode="json"), version)
    new = _rulebook(parameters={**RULEBOOK.parameters, "limited_pilot_size": 1})
    found = impact_of(RULEBOOK, new, [case])
    # Trusted, the saved plan says nothing changes; planned again, the pilot's size does.
    assert (found == []) == (version == RULEBOOK.version)


def test_planning_in_processes_gives_what_one_process_gives() -> None:
    """With enough cases the impact plans them in a pool of processes (spawned: each builds both
    rulebooks from their files); the changes and their order are those of one process."""
    sources = read_folder(ROOT / "rules")
    name = str(ROOT / "rules" / "planning.yaml")
    changed = dict(sources)
    changed[name] = sources[name].replace(
        b"limited_pilot_size:\n    value: 50", b"limited_pilot_size:\n    value: 5"
    )
    assert changed[name] != sources[name]
    new = build_rulebook(changed)
    cases = scenario_assessments(ROOT / "rules" / "scenarios")
    assert len(cases) >= PARALLEL_FROM  # enough for the pool
    alone = impact_of(RULEBOOK, new, cases, max_months=240)
    pooled = impact_of(RULEBOOK, new, cases, max_months=240, sources=(sources, changed), processes=2)
    assert alone  # the change alters plans: the comparison is not between two empty lists
    assert pooled == alone == _full(RULEBOOK, new, cases)


WARNING_RULES = [i for i in RULEBOOK.rules if i.stage == "group" and i.rule.decides == "warning"]


@st.composite
def warning_changes(draw: st.DrawFn) -> Rulebook:
    """A change of the group stage's warning rules only: a threshold they read, one of them gone,
    its priority, or its code (the warning it gives)."""
    kind = draw(st.sampled_from(["number", "removed", "priority", "code"]))
    if kind == "number":
        return _rulebook(
            parameters={**RULEBOOK.parameters, "many_devices_percent": draw(st.integers(0, 600))}
        )
    index = RULEBOOK.rules.index(draw(st.sampled_from(WARNING_RULES)))
    info = RULEBOOK.rules[index]
    if kind == "removed":
        return _rulebook(RULEBOOK.rules[:index] + RULEBOOK.rules[index + 1 :])
    update: dict[str, Any] = (
        {"priority": draw(st.integers(0, 1000))} if kind == "priority" else {"value": "renamed-warning"}
    )
    changed = replace(info, rule=info.rule.model_copy(update=update))
    return _rulebook((*RULEBOOK.rules[:index], changed, *RULEBOOK.rules[index + 1 :]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(new=warning_changes(), drawn=st.lists(assessments(max_groups=6), min_size=1, max_size=3))
def test_a_change_of_warning_rules_read_off_the_saved_plans_is_the_full_impact(
    new: Rulebook, drawn: list[dict[str, Any]]
) -> None:
    """Such a change only adds or takes away its rules' warnings: the impact reads it off the
    saved plans, and it is what planning both sides gives."""
    assert Filter(RULEBOOK, new).warnings_only
    cases = _cases(drawn, [True] * len(drawn))
    assert impact_of(RULEBOOK, new, cases, max_months=240) == _full(RULEBOOK, new, cases)


def test_a_change_of_warning_rules_plans_nothing_when_the_plans_are_saved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    contoso = parse_assessment(__import__("yaml").safe_load((ROOT / "examples" / "contoso.yaml").read_text()))
    many = contoso.model_copy(
        update={"groups": [g.model_copy(update={"devices": g.users * 3}) for g in contoso.groups]}
    )
    saved = make_plan(many, OracleEvaluator(RULEBOOK)).model_dump(mode="json")
    new = _rulebook(parameters={**RULEBOOK.parameters, "many_devices_percent": 400})
    expected = _full(RULEBOOK, new, [Case("contoso", many)])
    assert expected  # the warning goes: something to read off
    import advisor.quality.impact as impact

    def refuse(*_args: object) -> None:
        raise AssertionError("planned")

    monkeypatch.setattr(impact, "_plan", refuse)
    assert impact_of(RULEBOOK, new, [Case("contoso", many, saved, RULEBOOK.version)]) == expected


def test_a_change_that_does_more_than_warn_is_planned() -> None:
    info = WARNING_RULES[0]
    index = RULEBOOK.rules.index(info)
    to_planner_code = replace(info, rule=info.rule.model_copy(update={"value": "long-rollout"}))
    shared = _rulebook((*RULEBOOK.rules[:index], to_planner_code, *RULEBOOK.rules[index + 1 :]))
    priority = next(i for i in RULEBOOK.rules if i.stage == "group" and i.rule.decides != "warning")
    j = RULEBOOK.rules.index(priority)
    deciding = _rulebook(
        (
            *RULEBOOK.rules[:j],
            replace(priority, rule=priority.rule.model_copy(update={"priority": priority.rule.priority + 1})),
            *RULEBOOK.rules[j + 1 :],
        )
    )
    assert not Filter(RULEBOOK, shared).warnings_only  # a code the planner gives itself
    assert not Filter(RULEBOOK, deciding).warnings_only


def test_the_planner_names_every_warning_it_gives_of_itself() -> None:
    """PLANNER_WARNINGS is what the warnings-only reading relies on: every code the planning
    code writes out is in it."""
    from advisor.planning.planner import PLANNER_WARNINGS

    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "advisor" / "planning").glob("*.py"))
    written = set(re.findall(r'_assume\(\s*"([a-z0-9-]+)"', source))
    written |= set(re.findall(r'warnings\.append\(\(\s*"([a-z0-9-]+)"', source))
    assert written
    assert written == set(PLANNER_WARNINGS)


def test_a_parameter_only_the_import_reads_touches_no_plan() -> None:
    """The import's patterns and numbers (rules/directory.yaml) change no plan: the planning code
    never names them, so the impact of changing them is nothing, not every plan planned again."""
    from advisor.model.vocabulary import IMPORT_PARAMETERS

    assert IMPORT_PARAMETERS
    planner = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "advisor" / "planning").glob("*.py"))
    assert not {name for name in IMPORT_PARAMETERS if name in planner}
    number = _rulebook(parameters={**RULEBOOK.parameters, "directory_active_days": 90})
    patterns = _rulebook(lists={**RULEBOOK.lists, "directory_executive_patterns": ("chief",)})
    for new in (number, patterns):
        assert changed_rules(RULEBOOK, new) == frozenset()
