"""Lint over the finite answer space: each kind of mistake found, named file:line [rule]."""

from __future__ import annotations

import pytest

from advisor.evaluate.decisions import decide, fired_warnings
from advisor.evaluate.oracle import fired
from advisor.model.errors import RulebookError
from advisor.quality import lint as lint_module
from advisor.quality.lint import Contradiction, contradictions, exercised_by_scenarios, lint
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


def _speaking(
    rule_id: str, stage: str, decides: str, value: str, verdicts: str, when: str, priority: int = 900
) -> str:
    """A rule (as a list item of a file's rules) whose reason states `verdicts`."""
    return (
        f"  - id: {rule_id}\n    decides: {decides}\n    value: {value}\n    priority: {priority}\n"
        f"    when: {when}\n    verdicts: [{verdicts}]\n    reason: {{en: Because., sv: Därför.}}\n"
        f"    source: {SOURCE}\n    provenance: beyond_guide\n"
    )


LATE_WHEN_RISKY = _speaking(
    "late-when-risky", "group", "wave", "late", "late", "{all: [{fact: business_risk, op: eq, value: high}]}"
)
FAIR_EARLY = "{all: [{fact: site_count, op: eq, value: 1}, {fact: phase_number, op: lte, value: 1}]}"


def _placement_rules(*rules: str) -> str:
    return "stage: placement\nrules:\n" + "".join(rules)


def _two_files(group: str, placement: str) -> Rulebook:
    sources = {f"rules/{p.name}": p.read_bytes() for p in sorted(RULES.glob("*.yaml"))}
    if group:
        sources["rules/zz-group.yaml"] = f"stage: group\nrules:\n{group}".encode()
    sources["rules/zz-placement.yaml"] = placement.encode()
    return build_rulebook(sources)


def _ours(found: list[Contradiction]) -> list[Contradiction]:
    """The contradictions between this test's rules (the shipped rules may state verdicts too)."""
    return [
        c
        for c in found
        if {c.first.file, c.second.file} <= {"rules/zz-group.yaml", "rules/zz-placement.yaml"}
    ]


def _holds(contradiction: Contradiction, rulebook: Rulebook) -> None:
    """The example, evaluated with the oracle, puts both rules in the one group's rationale."""
    group_fired = fired(rulebook.stage("group"), contradiction.group, rulebook.parameters)
    decided = {name: decide(rulebook, "group", group_fired, name) for name in ("pilot", "wave")}
    speaking = {d.winner.id for d in decided.values() if d.winner is not None}
    speaking |= {i.id for i in fired_warnings(rulebook, "group", group_fired)}
    for placement in contradiction.placements:
        assert {k: placement[k] for k in contradiction.group} == contradiction.group
        assert (placement["pilot"], placement["wave"]) == (decided["pilot"].value, decided["wave"].value)
        ids = fired(rulebook.stage("placement"), placement, rulebook.parameters)
        winner = decide(rulebook, "placement", ids, "enrollment").winner
        speaking |= {winner.id} if winner is not None else set()
        speaking |= {i.id for i in fired_warnings(rulebook, "placement", ids)}
    assert {contradiction.first.id, contradiction.second.id} <= speaking


def test_two_reasons_that_contradict_in_one_group_are_an_error_with_an_example() -> None:
    placement = _placement_rules(
        _speaking("fair-early", "placement", "enrollment", "tech_fair", "early", FAIR_EARLY)
    )
    rulebook = _two_files(LATE_WHEN_RISKY, placement)
    (found,) = _ours(contradictions(rulebook))
    assert (found.first.id, found.second.id, found.says) == ("late-when-risky", "fair-early", "late")
    _holds(found, rulebook)
    assert len(found.placements) == 1
    (finding,) = [f for f in lint(rulebook) if f.rule == "late-when-risky"]
    assert finding.severity == "error"
    assert str(finding) == (
        "rules/zz-group.yaml:3 [late-when-risky]: says 'late' while [fair-early] "
        "(rules/zz-placement.yaml:3) says 'early' for the same group, e.g. business_risk=high, "
        "site_count=1, phase_number=0"
    )


def test_a_placement_rule_that_excludes_the_other_verdict_does_not_contradict() -> None:
    """Placements see the group's wave as a fact: `wave != late` keeps the two apart, and so does
    a condition on the group's own facts."""
    for when in (
        "{all: [{fact: phase_number, op: lte, value: 1}, {fact: wave, op: ne, value: late}]}",
        "{all: [{fact: phase_number, op: lte, value: 1}, {fact: business_risk, op: ne, value: high}]}",
    ):
        placement = _placement_rules(
            _speaking("fair-early", "placement", "enrollment", "tech_fair", "early", when)
        )
        rulebook = _two_files(LATE_WHEN_RISKY, placement)
        assert _ours(contradictions(rulebook)) == [], when


def test_rules_of_one_decision_never_contradict_as_only_one_wins() -> None:
    early = _speaking(
        "early-when-ready",
        "group",
        "wave",
        "early",
        "early",
        "{all: [{fact: feedback, op: eq, value: true}]}",
        901,
    )
    placement = _placement_rules(
        _speaking("fair-early", "placement", "enrollment", "tech_fair", "early", FAIR_EARLY),
        _speaking(
            "assisted-late",
            "placement",
            "enrollment",
            "assisted",
            "late",
            "{all: [{fact: needs_help, op: eq, value: high}, {fact: phase_number, op: lte, value: 1}]}",
            901,
        ),
    )
    rulebook = _two_files(LATE_WHEN_RISKY + early, placement)
    pairs = {(c.first.id, c.second.id) for c in _ours(contradictions(rulebook))}
    # Each rule wins for some answers, and both rules of a decision fire together for others (when
    # business_risk=high and feedback=true, or needs_help=high at a site): only one of them speaks.
    # The wave's and the enrollment's rules pair across the two decisions, never within one.
    assert pairs == {("late-when-risky", "fair-early"), ("early-when-ready", "assisted-late")}


def test_reasons_for_two_placements_of_one_group_contradict_with_both_placements() -> None:
    """A warning for the group's first production phase and one for its third phase are in one
    rationale, though no single placement has both."""
    placement = _placement_rules(
        _speaking(
            "first-is-early",
            "placement",
            "warning",
            "first-early",
            "early",
            "{all: [{fact: phase_number, op: eq, value: 1}]}",
        ),
        _speaking(
            "third-is-late",
            "placement",
            "warning",
            "third-late",
            "late",
            "{all: [{fact: phase_number, op: eq, value: 3}]}",
        ),
    )
    rulebook = _two_files("", placement)
    (found,) = _ours(contradictions(rulebook))
    assert [p["phase_number"] for p in found.placements] == [1, 3]
    _holds(found, rulebook)
    (finding,) = [f for f in lint(rulebook) if f.rule == "first-is-early"]
    assert "; one placement with phase_number=1, another with phase_number=3" in finding.message


def test_a_space_too_large_to_try_whole_is_a_warning_not_a_silence(monkeypatch: pytest.MonkeyPatch) -> None:
    placement = _placement_rules(
        _speaking("fair-early", "placement", "enrollment", "tech_fair", "early", FAIR_EARLY)
    )
    rulebook = _two_files(LATE_WHEN_RISKY, placement)
    monkeypatch.setattr(lint_module, "MAX_COMBINATIONS", 1_000)
    undecided = [f for f in lint(rulebook) if "could not decide whether reasons contradict" in f.message]
    assert [f.severity for f in undecided] == ["warning"]


def test_a_rule_cannot_state_a_verdict_and_its_opposite() -> None:
    placement = _placement_rules(
        _speaking("both-ways", "placement", "enrollment", "tech_fair", "early, late, early", FAIR_EARLY)
    )
    with pytest.raises(RulebookError) as raised:
        _two_files("", placement)
    messages = [f.message for f in raised.value.errors]
    assert "says both 'early' and 'late'" in messages
    assert "lists the verdict 'early' more than once" in messages


def _method_rule(rule_id: str, value: str, priority: int, when: str) -> str:
    return _rule(rule_id, value, priority, when, stage="method", decides="method")


def test_a_method_rule_for_another_platform_is_an_error_with_an_example() -> None:
    rulebook = _with(
        _method_rule("ipads-for-android", "ios_ade", 40, "{all: [{fact: platform, op: eq, value: android}]}")
    )
    (finding,) = [f for f in lint(rulebook) if f.rule == "ipads-for-android"]
    assert finding.severity == "error"
    text = str(finding)
    assert "decides 'ios_ade', a method for corporate ios devices, for " in text
    assert "android devices, for example when" in text
    assert "platform=android" in text


def test_a_method_that_resets_a_personal_device_is_an_error_with_an_example() -> None:
    rulebook = _with(
        _method_rule(
            "wipe-personal-phones",
            "android_fully_managed",
            40,
            "{all: [{fact: platform, op: eq, value: android}, {fact: owner, op: eq, value: personal}]}",
        )
    )
    (finding,) = [f for f in lint(rulebook) if f.rule == "wipe-personal-phones"]
    assert finding.severity == "error"
    assert "for personal android devices, for example when" in str(finding)
    assert "owner=personal" in str(finding)


def test_a_winning_method_that_resets_devices_the_group_keeps_is_an_error_with_an_example() -> None:
    rulebook = _with(
        _method_rule(
            "managed-whatever-happens",
            "android_fully_managed",
            40,
            "{all: [{fact: platform, op: eq, value: android}, {fact: owner, op: eq, value: corporate}]}",
        )
    )
    (finding,) = [f for f in lint(rulebook) if f.rule == "managed-whatever-happens"]
    assert finding.severity == "error"
    text = str(finding)
    assert (
        "decides 'android_fully_managed', which resets devices in use, for a group whose devices "
        "must not be reset, for example when"
    ) in text
    assert "corporate_devices=in_use_keep" in text
    # the shipped rule of the same method loses to the work profile there, so it is no finding
    assert not [f for f in lint(rulebook) if f.rule == "android-fully-managed"]


def test_a_rulebook_without_a_default_method_for_a_kind_of_device_is_refused() -> None:
    methods = (RULES / "methods.yaml").read_text(encoding="utf-8")
    start = methods.index("  - id: macos-company-portal-for-personal-macs")
    end = methods.index("  - id: ", start + 1)
    sources = {
        f"rules/{p.name}": p.read_bytes() for p in sorted(RULES.glob("*.yaml")) if p.name != "methods.yaml"
    }
    sources["rules/methods.yaml"] = (methods[:start] + methods[end:]).encode()
    with pytest.raises(RulebookError) as caught:
        build_rulebook(sources)
    messages = [f.message for f in caught.value.findings]
    assert any("no default rule decides the 'method' of personal macos devices" in m for m in messages), (
        messages
    )


@pytest.mark.parametrize(
    ("cuts", "low", "high", "points"),
    [
        ([], 0, None, [0]),  # no constant: any value fires the same rules
        ([5], 0, None, [4, 5, 6]),  # below, at, above
        ([0], 0, None, [0, 1]),  # nothing below the lowest value
        ([100], 0, 100, [99, 100]),  # nothing above the highest
        ([3, 4], 0, None, [2, 3, 4, 5]),  # no room between neighbours: no value there
        ([3, 10], 0, None, [2, 3, 4, 10, 11]),  # one value of the stretch between them
        ([-5, 200], 0, 100, [0]),  # constants out of range cut nothing
        ([50, 100], 1, 100, [49, 50, 51, 100]),
    ],
)
def test_points_gives_one_value_per_stretch(
    cuts: list[int], low: int, high: int | None, points: list[int]
) -> None:
    assert lint_module._points(cuts, low, high) == points


def test_points_fire_every_rule_pattern_a_full_range_would() -> None:
    """Every value of the range fires the same comparisons as some point of its stretch."""
    cuts = [1, 3, 4, 10, 100]
    points = [p for p in lint_module._points(cuts, 0, 120) if isinstance(p, int)]
    assert len(points) == len(lint_module._points(cuts, 0, 120))  # numbers, all of them

    def pattern(x: int) -> tuple[bool, ...]:
        return tuple(op(x, c) for c in cuts for op in (int.__lt__, int.__eq__, int.__gt__))

    assert {pattern(x) for x in range(121)} == {pattern(p) for p in points}
    assert len(points) == len({pattern(p) for p in points})  # and no two points alike


def test_the_method_stage_decides_every_kind_of_device_without_conflict(rulebook: Rulebook) -> None:
    """Over the method stage's whole answer space: one method always wins, no two rules of the top
    priority disagree, the method fits the platform and the owner, and it never resets a personal
    device or one the group keeps."""
    from advisor.model.methods import METHODS

    rules = rulebook.stage("method")
    space = lint_module.domain("method", rules, rulebook.parameters)
    assert set(space["platform"]) == {"windows", "macos", "ios", "android"}
    assert set(space["owner"]) == {"corporate", "personal"}
    tried = 0
    for facts in lint_module.combinations("method", space):
        ids = fired(rules, facts, rulebook.parameters)
        decision = decide(rulebook, "method", ids, "method")
        assert decision.winner is not None, facts
        top = [i for i in decision.fired if i.rule.priority == decision.winner.rule.priority]
        assert {i.rule.value for i in top} == {decision.value}, facts
        spec = METHODS[str(decision.value)]
        assert spec.platform == facts["platform"], facts
        assert facts["owner"] in spec.owners, facts
        if facts["owner"] == "personal" or facts.get("corporate_devices") == "in_use_keep":
            assert not spec.resets, facts
        tried += 1
    assert tried >= len(space["platform"]) * len(space["owner"])
    findings = [f for f in lint(rulebook) if f.file.endswith("methods.yaml")]
    assert findings == []
