"""Differences: answers matched by group id, plans group by group with their causes."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from advisor.evaluate.oracle import OracleEvaluator
from advisor.model.facts import parse_assessment
from advisor.planning.planner import make_plan
from advisor.quality.diff import answer_changes, parameter_changes, plan_diff
from advisor.rulebook import Rulebook
from advisor.rulebook.loader import build_rulebook
from tests.conftest import ROOT

CONTOSO: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())


def test_reordering_groups_changes_no_answer() -> None:
    swapped = copy.deepcopy(CONTOSO)
    swapped["groups"].reverse()
    assert answer_changes(CONTOSO, swapped) == []


def test_changed_added_and_removed_answers() -> None:
    new = copy.deepcopy(CONTOSO)
    new["organisation"]["support_capacity"] = 3000
    new["groups"][4]["users"] = 60
    new["groups"].pop()  # executives
    new["groups"].append({"id": "legal", "name": "Legal", "users": 5, "platforms": ["ios"]})
    paths = [(c.path, c.old, c.new) for c in answer_changes(CONTOSO, new)]
    assert ("organisation.support_capacity", 2500, 3000) in paths
    assert ("groups[hr].users", 50, 60) in paths
    assert any(p == "groups[executives]" and n is None for p, _, n in paths)
    assert any(p == "groups[legal]" and o is None for p, o, _ in paths)


def test_the_guides_what_if_executives_as_3000_ordinary_users(rulebook: Rulebook) -> None:
    """Executives become 3,000 users who are not executives and need no help: the approach
    changes from assisted to self-service, and the plan names the rule and the answers."""
    new = copy.deepcopy(CONTOSO)
    executives = new["groups"][-1]
    executives.update(users=3000, devices=3000, executives=False, needs_help="low")
    oracle = OracleEvaluator(rulebook)
    before, after = make_plan(parse_assessment(CONTOSO), oracle), make_plan(parse_assessment(new), oracle)
    diff = plan_diff(before, after, answer_changes(CONTOSO, new))
    change = next(g for g in diff.groups if g.group == "executives")
    assert change.approach_changed
    assert [p.enrollment for p in change.old] == ["assisted"]
    assert {p.enrollment for p in change.new} == {"self_service"}
    assert "self-service-by-default" in [r.rule for r in change.reasons_now]
    assert "assisted-for-executives" in [r.rule for r in change.reasons_before]
    assert all(r.text for r in change.reasons_now + change.reasons_before)  # each said in a sentence
    assert {a.field for a in change.answers} == {"users", "devices", "executives", "needs_help"}
    assert change.answers[0].label("sv")
    assert {a.name for a in change.answers} == {"Executives"}  # the group as people call it


def test_an_unchanged_plan_has_an_empty_diff(rulebook: Rulebook) -> None:
    plan = make_plan(parse_assessment(CONTOSO), OracleEvaluator(rulebook))
    assert plan_diff(plan, plan).empty


def test_written_out_defaults_and_reordered_sets_are_no_change() -> None:
    new = copy.deepcopy(CONTOSO)
    new["groups"][1]["platforms"] = list(reversed(new["groups"][1]["platforms"]))
    new["groups"][2]["it_department"] = False  # the file leaves it out: false is the default
    new["organisation"]["split_by"] = "auto"
    assert answer_changes(CONTOSO, new) == []


def _with_planning(rulebook: Rulebook, old: str, new: str) -> Rulebook:
    sources = {f"rules/{path.name}": path.read_bytes() for path in sorted((ROOT / "rules").glob("*.yaml"))}
    planning = sources["rules/planning.yaml"].decode()
    assert old in planning
    sources["rules/planning.yaml"] = planning.replace(old, new, 1).encode()
    return build_rulebook(sources)


def test_a_changed_list_or_table_parameter_shows_as_changed(rulebook: Rulebook) -> None:
    assert parameter_changes(rulebook, rulebook) == []
    reordered = _with_planning(rulebook, "[ios, android, windows, macos]", "[windows, ios, android, macos]")
    assert [str(c) for c in parameter_changes(rulebook, reordered)] == [
        "parameter platform_order: [ios, android, windows, macos] -> [windows, ios, android, macos]"
    ]
    iceland = _with_planning(
        rulebook, '      SE: ["07", "12"]\n', '      SE: ["07", "12"]\n      IS: ["07"]\n'
    )
    nordic = "NO: [07, 12], DK: [07, 12], FI: [07, 12]"
    assert [str(c) for c in parameter_changes(rulebook, iceland)] == [
        f"parameter quiet_months: {{default: [12], SE: [07, 12], {nordic}}} -> "
        f"{{default: [12], SE: [07, 12], IS: [07], {nordic}}}"
    ]
    # the keys of a table in another order are the same table
    swapped = _with_planning(
        rulebook,
        '      default: ["12"]\n      SE: ["07", "12"]\n',
        '      SE: ["07", "12"]\n      default: ["12"]\n',
    )
    assert parameter_changes(rulebook, swapped) == []


def test_a_group_added_or_removed_reads_as_its_name_and_values_as_words() -> None:
    """No Python dict, id or raw vocabulary reaches a person: a group added or removed shows its
    name, a number per platform reads as `Windows: 50`, a yes/no answer as yes or no."""
    new = copy.deepcopy(CONTOSO)
    added = {**new["groups"][0], "id": "v-rd-och-omsorg", "name": "Vård och omsorg"}
    removed = new["groups"].pop(1)
    new["groups"].append(added)
    new["groups"][0]["it_department"] = not CONTOSO["groups"][0].get("it_department", False)
    changes = {c.path: c for c in answer_changes(CONTOSO, new)}
    group_added = changes["groups[v-rd-och-omsorg]"]
    assert (group_added.label("en"), group_added.before("en"), group_added.after("en")) == (
        "Group added",
        "–",
        "Vård och omsorg",
    )
    group_removed = changes[f"groups[{removed['id']}]"]
    assert (group_removed.label("sv"), group_removed.before("sv")) == ("Grupp borttagen", removed["name"])
    flag = changes[f"groups[{CONTOSO['groups'][0]['id']}].it_department"]
    assert {flag.before("en"), flag.after("en")} == {"yes", "no"}
    assert flag.name == CONTOSO["groups"][0]["name"]
    for change in changes.values():
        for text in (change.before("en"), change.after("en"), change.before("sv"), change.after("sv")):
            assert "{" not in text, text
            assert "'" not in text, text
