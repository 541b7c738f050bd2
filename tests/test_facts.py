"""The assessment contract: valid files load with defaults, invalid ones are refused whole."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from advisor.model.errors import InputError
from advisor.model.facts import group_facts, load_assessment, loads_assessment, parse_assessment, site_key
from advisor.model.vocabulary import Language

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


# The optional answers the calendar and the splits by platform and site use.
DIVIDED: dict[str, Any] = {
    "version": 1,
    "organisation": {"name": "Contoso", "rollout_start": "2027-07"},
    "groups": [
        {
            "id": "field",
            "name": "Field",
            "users": 120,
            "devices": 250,
            "platforms": ["windows", "ios"],
            "locations": ["Umeå", "Luleå"],
            "devices_by_platform": {"windows": 120, "ios": 130},
            "users_by_location": {"Umeå": 80, "Luleå": 40},
            "avoid_months": ["01", "2027-12"],
        }
    ],
}


def _divided(path: str, value: object) -> dict[str, Any]:
    data = copy.deepcopy(DIVIDED)
    section, *rest = path.split(".")
    target = data["organisation"] if section == "organisation" else data["groups"][0]
    if value is _DELETE:
        del target[rest[0]]
    else:
        target[rest[0]] = value
    return data


def _problems(data: dict[str, Any], language: Language = "en") -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_assessment(data, language=language)
    return [str(p) for p in caught.value.problems]


def test_the_optional_answers_load_as_given() -> None:
    group = parse_assessment(DIVIDED).groups[0]
    assert group.devices_by_platform == {"windows": 120, "ios": 130}
    assert group.users_by_location == {"Umeå": 80, "Luleå": 40}
    assert group.avoid_months == ["01", "2027-12"]
    # Left out: the organisation's country and quiet months are unknown, a group avoids nothing.
    organisation = parse_assessment(GOOD).organisation
    assert (organisation.country, organisation.quiet_months) == (None, None)
    assert parse_assessment(GOOD).groups[0].avoid_months == []
    assert parse_assessment(GOOD).groups[0].devices_by_platform is None


@pytest.mark.parametrize("written", ["SE", "se", " se ", "Se\n"])
def test_a_country_is_two_letters_in_any_case_kept_upper_case(written: str) -> None:
    assert parse_assessment(_divided("organisation.country", written)).organisation.country == "SE"


@pytest.mark.parametrize("written", ["Sweden", "S", "SWE", "S E", "", "46", 46, "ÅÄ"])
def test_anything_else_is_no_country(written: object) -> None:
    assert _problems(_divided("organisation.country", written)) == [
        "organisation.country: must be a two-letter country code such as SE"
    ]


def test_no_quiet_months_differs_from_the_country_s_usual_ones() -> None:
    assert parse_assessment(_divided("organisation.quiet_months", [])).organisation.quiet_months == []
    assert parse_assessment(_divided("organisation.quiet_months", None)).organisation.quiet_months is None
    given = parse_assessment(_divided("organisation.quiet_months", ["07", "2027-12"]))
    assert given.organisation.quiet_months == ["07", "2027-12"]


@pytest.mark.parametrize("field", ["organisation.quiet_months", "groups.avoid_months"])
def test_months_are_mm_or_yyyy_mm_each_once(field: str) -> None:
    shown = field.replace("groups.", "groups[0].")
    form = "must be a month written MM (every year, such as 07) or YYYY-MM (that month only, such as 2027-12)"
    assert _problems(_divided(field, ["7", "13", "2027-7", 7, "July", "2027-07"])) == [
        f"{shown}[{i}]: {form}" for i in range(5)
    ]
    assert _problems(_divided(field, ["07", "2027-12", "07"])) == [f"{shown}: lists 07 more than once"]


def test_devices_by_platform_names_exactly_the_platforms() -> None:
    assert _problems(_divided("groups.devices_by_platform", {"windows": 120, "android": 130})) == [
        "groups[0].devices_by_platform: must name exactly the group's platforms: ios missing; "
        "android not among them"
    ]
    assert _problems(_divided("groups.devices_by_platform", {"windows": 250})) == [
        "groups[0].devices_by_platform: must name exactly the group's platforms: ios missing"
    ]
    assert _problems(_divided("groups.devices_by_platform", {"windows": 1, "ios": 1, "macos": 248})) == [
        "groups[0].devices_by_platform: must name exactly the group's platforms: macos not among them"
    ]


def test_devices_by_platform_add_up_to_the_devices_or_else_the_users() -> None:
    assert _problems(_divided("groups.devices_by_platform", {"windows": 120, "ios": 100})) == [
        "groups[0].devices_by_platform: adds up to 220, but the group has 250 devices"
    ]
    assert _problems(_divided("groups.devices", _DELETE)) == [
        "groups[0].devices_by_platform: adds up to 250, but the group has 120 devices (one per user)"
    ]
    assert _problems(_divided("groups.devices_by_platform", {"windows": -1, "ios": 2.5})) == [
        "groups[0].devices_by_platform.windows: must be at least 0",
        "groups[0].devices_by_platform.ios: must be a whole number",
    ]


def test_users_by_location_names_exactly_the_sites_whatever_their_case_and_spaces() -> None:
    same = parse_assessment(_divided("groups.users_by_location", {" umeå ": 80, "LULEÅ": 40}))
    assert same.groups[0].users_by_location == {" umeå ": 80, "LULEÅ": 40}
    assert _problems(_divided("groups.users_by_location", {"Umeå": 80, "Kiruna": 40})) == [
        "groups[0].users_by_location: must name exactly the group's sites: Luleå missing; "
        "Kiruna not among them"
    ]
    assert _problems(_divided("groups.users_by_location", {"Umeå": 80, "umeå": 0, "Luleå": 40})) == [
        "groups[0].users_by_location: lists the site Umeå more than once (case and surrounding spaces "
        "do not make another site)"
    ]
    assert _problems(_divided("groups.users_by_location", {"Umeå": 80, "Luleå": 41})) == [
        "groups[0].users_by_location: adds up to 121, but the group has 120 users"
    ]


def test_a_site_named_twice_is_one_site_named_twice() -> None:
    assert _problems(_divided("groups.locations", ["Umeå", " umeå ", "Luleå"])) == [
        "groups[0].locations: lists the site Umeå more than once (case and surrounding spaces do not "
        "make another site)"
    ]


def test_site_key_ignores_case_and_surrounding_spaces_only() -> None:
    assert site_key(" Umeå ") == site_key("UMEÅ") == "umeå"
    assert site_key("Straße") == site_key("STRASSE")  # casefold, not lower
    assert site_key("New York") != site_key("NewYork")


def test_the_divisions_read_in_swedish() -> None:
    assert _problems(_divided("groups.users_by_location", {"Umeå": 80, "Kiruna": 39}), "sv") == [
        "groups[0].users_by_location: måste ange precis gruppens platser: Luleå saknas; "
        "Kiruna finns inte bland dem"
    ]
    assert _problems(_divided("groups.devices_by_platform", {"windows": 1, "ios": 0}), "sv") == [
        "groups[0].devices_by_platform: blir sammanlagt 1, men gruppen har 250 enheter"
    ]
    assert _problems(_divided("organisation.country", "Sverige"), "sv") == [
        "organisation.country: måste vara en landskod med två bokstäver, till exempel SE"
    ]


def test_a_division_is_not_checked_against_an_answer_that_is_wrong_itself() -> None:
    # The wrong answer is named; the division is not refused for disagreeing with it.
    assert _problems(_divided("groups.users", 0)) == ["groups[0].users: must be at least 1"]
    assert _problems(_divided("groups.platforms", [])) == ["groups[0].platforms: must have at least 1 item"]


def test_twelve_quiet_months_leave_no_month_to_start_in() -> None:
    data = {
        "version": 1,
        "organisation": {
            "name": "T",
            "rollout_start": "2027-01",
            "quiet_months": [f"{m:02d}" for m in range(1, 13)],
        },
        "groups": [
            {
                "id": "a",
                "name": "A",
                "users": 5,
                "platforms": ["ios"],
                "avoid_months": [f"{m:02d}" for m in range(1, 13)],
            }
        ],
    }
    with pytest.raises(InputError) as refused:
        parse_assessment(data)
    assert [(p.path, p.message) for p in refused.value.problems] == [
        ("organisation.quiet_months", "names every month of the year: no phase could start"),
        ("groups[0].avoid_months", "names every month of the year: no phase could start"),
    ]


def test_what_a_directory_import_keeps_on_a_group_is_optional_and_checked() -> None:
    group = parse_assessment(GOOD).groups[0]
    assert (group.departments, group.other_departments, group.executive_titles) == ([], False, [])
    answers = {
        **GOOD,
        "groups": [{**GOOD["groups"][0], "departments": ["HR", "Marketing"], "executive_titles": ["CEO"]}],
    }
    kept = parse_assessment(answers).groups[0]
    assert (kept.departments, kept.executive_titles) == (["HR", "Marketing"], ["CEO"])
    assert any(
        "departments" in p and "more than once" in p
        for p in _problems(_with("groups.0.departments", ["HR", "HR"]))
    )
    assert any("executive_titles" in p for p in _problems(_with("groups.0.executive_titles", ["CEO\u0007"])))
    assert any("other_departments" in p for p in _problems(_with("groups.0.other_departments", "yes")))
