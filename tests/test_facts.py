"""The assessment contract: valid files load with defaults, invalid ones are refused whole."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from advisor.model.errors import InputError
from advisor.model.facts import group_facts, load_assessment, loads_assessment, parse_assessment

GOOD: dict[str, Any] = {
    "version": 1,
    "organisation": {"name": "Contoso", "rollout_start": "2027-07"},
    "groups": [{"id": "it", "name": "IT", "users": 250, "platforms": ["windows"]}],
}


def _with(path: str, value: object) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    target: Any = data
    parts = path.split(".")
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is _DELETE:
        del target[parts[-1]]
    else:
        target[parts[-1]] = value
    return data


_DELETE = object()


def test_defaults_follow_the_contract() -> None:
    assessment = parse_assessment(GOOD)
    group = assessment.groups[0]
    assert assessment.organisation.language == "en"
    assert assessment.organisation.split_by == "auto"
    assert assessment.organisation.support_capacity is None
    assert (group.department_name, group.device_count, group.ownership) == ("IT", 250, "corporate")
    assert (group.change_readiness, group.needs_help, group.business_risk) == ("medium",) * 3
    assert (group.it_department, group.executives, group.feedback) == (False, False, False)
    assert group.locations == []
    assert group.requirements == []


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("version", 2, "version: must be 1 (the only format version)"),
        ("organisation.name", "", "organisation.name: must not be empty"),
        ("organisation.name", "   ", "organisation.name: must not be blank"),
        (
            "organisation.rollout_start",
            "2027-13",
            "organisation.rollout_start: must be a month written YYYY-MM",
        ),
        (
            "organisation.rollout_start",
            202707,
            "organisation.rollout_start: must be a month written YYYY-MM",
        ),
        ("organisation.support_capacity", 0, "organisation.support_capacity: must be at least 1"),
        ("organisation.language", "de", "organisation.language: must be one of: en, sv"),
        ("organisation.split_by", "departement", "(did you mean 'department'?)"),
        (
            "organisation.suport_capacity",
            5,
            "is not a known field (did you mean 'support_capacity'?)",
        ),
        ("groups", [], "groups: must have at least 1 item"),
        ("groups.0.users", 0, "groups[0].users: must be at least 1"),
        ("groups.0.users", "250", "groups[0].users: must be a whole number"),
        ("groups.0.users", 2.5, "groups[0].users: must be a whole number"),
        ("groups.0.devices", -1, "groups[0].devices: must be at least 0"),
        (
            "groups.0.id",
            "IT Dept",
            "groups[0].id: must be 1 to 64 lowercase letters, digits or hyphens",
        ),
        ("groups.0.name", _DELETE, "groups[0].name: is required"),
        ("groups.0.platforms", [], "groups[0].platforms: must have at least 1 item"),
        (
            "groups.0.platforms",
            ["iOS"],
            "groups[0].platforms[0]: must be one of: windows, macos, ios, android (did you mean 'ios'?)",
        ),
        ("groups.0.platforms", ["ios", "ios"], "groups[0].platforms: lists ios more than once"),
        ("groups.0.feedback", "yes", "groups[0].feedback: must be true or false"),
        ("groups.0.feedback", 1, "groups[0].feedback: must be true or false"),
        ("groups.0.needs_help", "hihg", "(did you mean 'high'?)"),
        ("groups.0.requirements", ["vpn"], "groups[0].requirements[0]: must be one of"),
        ("groups.0.colour", "red", "groups[0].colour: is not a known field"),
    ],
)
def test_each_invalid_answer_is_named_by_its_path(path: str, value: object, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_assessment(_with(path, value))
    assert any(message in str(p) for p in caught.value.problems), caught.value.problems


def test_every_problem_is_reported_at_once_including_repeated_ids() -> None:
    data = copy.deepcopy(GOOD)
    data["groups"] = [
        {"id": "a", "name": "A", "users": 0, "platforms": ["windows"]},
        {"id": "a", "name": "B", "users": 3, "platforms": []},
    ]
    with pytest.raises(InputError) as caught:
        parse_assessment(data)
    assert [str(p) for p in caught.value.problems] == [
        "groups[0].users: must be at least 1",
        "groups[1].platforms: must have at least 1 item",
        "groups[1].id: 'a' is already used by groups[0]",
    ]


def test_problems_read_in_swedish() -> None:
    with pytest.raises(InputError) as caught:
        parse_assessment(_with("groups.0.users", 0), language="sv")
    assert str(caught.value.problems[0]) == "groups[0].users: måste vara minst 1"


def test_a_thousand_groups_is_the_limit() -> None:
    data = copy.deepcopy(GOOD)
    data["groups"] = [{"id": f"g{i}", "name": "G", "users": 1, "platforms": ["ios"]} for i in range(1001)]
    with pytest.raises(InputError, match="must have at most 1000 items"):
        parse_assessment(data)


def test_json_and_yaml_read_alike(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(GOOD))
    assert load_assessment(path) == parse_assessment(GOOD)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ("a: [1,\n", "not valid YAML"),
        ("- 1\n- 2\n", "must hold a mapping"),
        ("a: &x 1\nb: *x\n", "anchors and aliases are not allowed"),
        ("a: !!python/object:os.system 1\n", "unsupported value"),
    ],
)
def test_malformed_files_get_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        loads_assessment(text, "x.yaml")


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the file"):
        load_assessment(tmp_path / "nope.yaml")


def test_group_facts_derive_counts() -> None:
    group = parse_assessment(_with("groups.0.devices", 500)).groups[0]
    facts = group_facts(group)
    assert facts["device_ratio_percent"] == 200
    assert facts["platforms"] == frozenset({"windows"})
    assert facts["site_count"] == 0
