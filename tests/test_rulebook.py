"""Loading rule folders: the shipped rulebook is clean; every mistake is named file:line [rule]."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest

from advisor.model.errors import RulebookError
from advisor.rulebook import Rulebook, RuleFile, load_rulebook, template
from advisor.rulebook.loader import build_rulebook
from tests.conftest import FILES, RULES


def test_the_shipped_rulebook_loads_without_a_single_finding() -> None:
    rulebook = load_rulebook(RULES)
    assert rulebook.findings == ()
    assert len(rulebook.rules) >= 30
    for info in rulebook.rules:
        assert info.rule.reason.en
        assert info.rule.reason.sv
        assert info.rule.source


def test_every_problem_of_a_folder_is_reported_at_once() -> None:
    with pytest.raises(RulebookError) as caught:
        load_rulebook(FILES / "rules_with_errors")
    lines = [str(f) for f in caught.value.findings]
    where = str(FILES / "rules_with_errors" / "broken.yaml")
    expected = [
        f"{where}:8 [typo-in-fact]: unknown fact 'exectives' (did you mean 'executives'?)",
        f"{where}:18 [wrong-comparison]: 'gt' does not fit 'ownership' (one of corporate, personal, mixed); use eq, ne, in, not_in",
        f"{where}:25 [impossible-value]: 'enrollment' cannot be 'self_servce'; it is one of self_service, assisted, tech_fair (did you mean 'self_service'?)",
        f"{where}:28 [impossible-value]: 'needs_help' cannot be 'hihg'; it is one of low, medium, high (did you mean 'high'?)",
        f"{where}:29 [impossible-value]: 'users' is a number; 'many' is not",
        f"{where}:30 [impossible-value]: unknown parameter 'asisted_max_users' (did you mean 'assisted_max_users'?)",
        f"{where}:32 [impossible-value]: unknown section anchor '#user-self-servce' (did you mean 'user-self-service'?)",
        f"{where}:38 [no-swedish]: missing Swedish reason text (reason.sv)",
        f"{where}:42 [no-source]: missing source: every rule cites the guide section behind it (URL#anchor)",
    ]
    for line in expected:
        assert line in lines, "\n".join(lines)
    # The last rule repeats an id, decides at the wrong stage, names an unknown placeholder and
    # cites a non-guide URL: all four are reported.
    last = [line for line in lines if f"{where}:47" in line or f"{where}:48" in line or f"{where}:51" in line]
    assert any("duplicate rule id (first defined at" in line for line in lines)
    assert any(
        "'split_by' is decided at the organisation stage, not at the placement stage" in line for line in last
    )
    assert any("names '{sitez}', which is no fact or parameter" in line for line in lines)
    assert any("source must be the planning guide" in line for line in lines)
    assert "error" in caught.value.format_message().splitlines()[-1]


def test_broken_yaml_names_its_line() -> None:
    with pytest.raises(RulebookError) as caught:
        load_rulebook(FILES / "rules_broken_yaml")
    assert [f.line for f in caught.value.findings] == [5]
    assert "not valid YAML" in caught.value.findings[0].message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "rules: [{id: a, decides: pilot, value: limited, reason: {en: a, sv: b}, source: x, provenance: guide}]",
            "a file with rules must name its stage",
        ),
        (
            "stage: group\nrules:\n  - id: Bad_Id\n    decides: pilot\n    value: limited\n"
            "    reason: {en: a, sv: b}\n    source: x\n    provenance: guide\n",
            "[Bad_Id]: id: must be 1 to 64 lowercase letters, digits or hyphens",
        ),
        (
            "stage: group\nrules:\n  - {id: a, decides: pilot, value: limited, priority: 5000,"
            " reason: {en: a, sv: b}, source: x, provenance: guide}\n",
            "[a]: priority: must be at most 1000",
        ),
        (
            "stage: group\nrules:\n  - {id: a, decides: pilot, value: limited, when: {al: []},"
            " reason: {en: a, sv: b}, source: x, provenance: guide}\n",
            "a condition is one of all, any, not, or a fact with op",
        ),
        (
            "stage: group\nrules:\n  - {id: a, decides: pilot, value: limited, prio: 1,"
            " reason: {en: a, sv: b}, source: x, provenance: guide}\n",
            "[a]: prio: is not a known field (did you mean 'priority'?)",
        ),
        (
            "stage: group\nrules:\n  - {id: a, decides: pilot, value: limited, severity: tension,"
            " reason: {en: a, sv: b}, source: https://docs.microsoft.com/intune/planning-guide-rollout-plan#pilot, provenance: guide}\n",
            "severity is only for warnings",
        ),
        (
            "stage: grupp\n",
            "stage: must be one of: group, method, organisation, placement (did you mean 'group'?)",
        ),
        ("a: &x [1]\nb: *x\n", "anchors and aliases are not allowed"),
    ],
)
def test_rule_file_mistakes(text: str, message: str) -> None:
    planning = (RULES / "planning.yaml").read_bytes()
    with pytest.raises(RulebookError) as caught:
        build_rulebook({"rules/planning.yaml": planning, "rules/x.yaml": text.encode()})
    assert any(message in str(f) for f in caught.value.findings), caught.value.format_message()


def test_untranslated_reason_is_a_warning_not_an_error() -> None:
    text = (
        b"stage: group\nrules:\n  - {id: a, decides: pilot, value: limited, reason: {en: Same, sv: Same},"
        b" source: 'https://docs.microsoft.com/intune/planning-guide-rollout-plan#pilot', provenance: guide}\n"
    )
    rulebook = build_rulebook({**_shipped(), "rules/x.yaml": text})
    assert [f.severity for f in rulebook.findings] == ["warning"]
    assert "is it translated?" in str(rulebook.findings[0])


def test_a_missing_planner_parameter_blocks_loading() -> None:
    text = b"parameters: {other: {value: 1, description: {en: a, sv: b}, provenance: beyond_guide}}\n"
    with pytest.raises(RulebookError, match="the planner needs parameter 'limited_pilot_size'"):
        build_rulebook({"rules/x.yaml": text})


def test_the_version_changes_whenever_a_rule_file_changes(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder, ignore=shutil.ignore_patterns("scenarios", "*.json"))
    before = load_rulebook(folder).version
    path = folder / "enrollment.yaml"
    path.write_text(path.read_text().replace("value: 100\n", "value: 120\n", 1))
    after = load_rulebook(folder).version
    assert before != after
    assert load_rulebook(folder).version == after


def test_a_folder_that_does_not_exist_is_reported(tmp_path: Path) -> None:
    with pytest.raises(RulebookError, match="no such rule folder"):
        load_rulebook(tmp_path / "missing")


def test_an_oversized_rule_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_text("# " + "x" * 1_100_000)
    with pytest.raises(RulebookError, match="larger than"):
        load_rulebook(tmp_path)


def test_the_committed_json_schema_is_current() -> None:

    committed = json.loads((RULES / "rules.schema.json").read_text())
    assert committed["title"] == "Rollout Advisor rule file"
    assert committed["$defs"] == RuleFile.model_json_schema()["$defs"]


def _shipped() -> dict[str, bytes]:
    return {f"rules/{path.name}": path.read_bytes() for path in sorted(RULES.glob("*.yaml"))}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"", "enrollment.yaml:1: the file is empty"),
        (b"# nothing left\n", "enrollment.yaml:1: the file is empty"),
        (b"stage: placement\n", "enrollment.yaml:1: the file holds neither rules nor parameters"),
        (b"stage: placement\nrules: []\nparameters: {}\n", "neither rules nor parameters"),
        (b"- a\n", "enrollment.yaml:1: the file is not a mapping"),
    ],
)
def test_an_emptied_or_cut_rule_file_is_an_error(text: bytes, message: str) -> None:
    """Before: an empty enrollment.yaml loaded ("23 rules ... OK") and eight rules vanished."""
    with pytest.raises(RulebookError) as caught:
        build_rulebook({**_shipped(), "rules/enrollment.yaml": text})
    assert any(message in str(f) for f in caught.value.errors), caught.value.format_message()


def test_a_parameters_only_file_is_fine() -> None:
    assert "planning.yaml" in {Path(f).name for f in load_rulebook(RULES).files}
    assert b"rules:" not in (RULES / "planning.yaml").read_bytes()


@pytest.mark.parametrize(
    ("file", "rule", "decision"),
    [
        ("enrollment.yaml", "self-service-by-default", "enrollment"),
        ("pilot.yaml", "production-by-default", "pilot"),
        ("waves.yaml", "wave-middle-by-default", "wave"),
        ("organisation.yaml", "split-by-department", "split_by"),
    ],
)
def test_every_decision_keeps_a_default_rule(file: str, rule: str, decision: str) -> None:
    sources = _shipped()
    text = sources[f"rules/{file}"].decode()
    start = text.index(f"  - id: {rule}")
    following = text.find("\n  - id: ", start + 1)
    sources[f"rules/{file}"] = (text[:start] + (text[following + 1 :] if following > 0 else "")).encode()
    with pytest.raises(RulebookError) as caught:
        build_rulebook(sources)
    assert any(f"no default rule decides '{decision}'" in str(f) for f in caught.value.errors)


def test_a_file_rewritten_in_place_is_never_read_half_written(tmp_path: Path) -> None:
    """A writer truncates enrollment.yaml and writes it back in two parts, over and over; every
    load returns the whole rulebook or refuses, never a rulebook made from half a file."""
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder, ignore=shutil.ignore_patterns("scenarios"))
    whole = load_rulebook(folder).version
    path = folder / "enrollment.yaml"
    content = path.read_bytes()
    cut = content.rindex(b"\n  - id: ") + 1  # the first part alone is a valid file, one rule short
    stop = threading.Event()

    def rewrite() -> None:
        while not stop.is_set():
            with path.open("wb") as stream:  # in place, as an editor that truncates does
                stream.write(content[:cut])
                stream.flush()
                time.sleep(0.003)
                stream.write(content[cut:])
            time.sleep(0.03)

    writer = threading.Thread(target=rewrite)
    writer.start()
    versions, refusals = [], []
    try:
        # Loads until 40 have succeeded (bounded: a busy machine makes more of them overlap a rewrite).
        for _ in range(400):
            try:
                versions.append(load_rulebook(folder).version)
            except RulebookError as exc:
                refusals += [f.message for f in exc.errors]
            if len(versions) >= 40:
                break
    finally:
        stop.set()
        writer.join()
    assert set(versions) <= {whole}
    # Refused while it changed, or read empty both times (the truncated moment): never half of it.
    assert all("kept changing" in m or m.startswith("the file is empty") for m in refusals), refusals
    assert versions  # most loads succeed between rewrites


@pytest.mark.parametrize(
    "reason",
    ["{users:d}", "{users:>20000000}", "{users!r}", "{users.real}", "{users[0]}", "{}", "a { b", "a } b"],
)
def test_a_reason_is_data_not_a_format_string(reason: str) -> None:
    """Before: "{users:d}" passed the check and made every plan fail; "{users:>20000000}" passed
    and made a 100 MB plan. Only {name} placeholders are allowed, checked at load with file:line."""
    sources = _shipped()
    text = sources["rules/enrollment.yaml"].decode()
    quoted = json.dumps(reason)
    first = text.index("      en: ", text.index("    reason:"))
    end = text.index("\n", first)
    sources["rules/enrollment.yaml"] = (text[:first] + f"      en: {quoted}" + text[end:]).encode()
    line = text[:first].count("\n") + 1
    with pytest.raises(RulebookError) as caught:
        build_rulebook(sources)
    (finding,) = caught.value.errors
    assert f"enrollment.yaml:{line} [" in str(finding)
    assert "reason text:" in finding.message


def test_placeholders_are_filled_without_format_specifications() -> None:
    assert template.names("{{literal}} {users} of {assisted_max_users}") == ["users", "assisted_max_users"]
    assert template.fill("{{x}} {users}", {"users": "120"}) == "{x} 120"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0x" + "f" * 20_000, "numbers have at most 30 digits"),  # hex: past the digit count of old
        ("0" + "7" * 40, "numbers have at most 30 digits"),  # YAML 1.1 octal
        ("10000000000000", "must be at most 1000000000000"),
    ],
)
def test_a_huge_number_in_a_condition_is_refused_at_load(value: str, message: str) -> None:
    """Before: a hexadecimal number of 20,000 digits passed `rules check`, then every plan and the
    engine failed (int-string conversion limit), and a server with the file could not start."""
    sources = _shipped()
    text = sources["rules/enrollment.yaml"].decode()
    leaf = "{fact: executives, op: eq, value: true}"
    assert leaf in text
    sources["rules/enrollment.yaml"] = text.replace(
        leaf, f"{{fact: users, op: gte, value: {value}}}", 1
    ).encode()
    with pytest.raises(RulebookError) as caught:
        build_rulebook(sources)
    assert any(message in str(f) and "enrollment.yaml:" in str(f) for f in caught.value.errors), (
        caught.value.format_message()
    )


@pytest.mark.parametrize("character", ["\\0", "\\e", "\\x01", "\\x7f", "\\x9f"])
def test_a_rule_text_with_a_control_character_is_refused_at_load(character: str) -> None:
    """Found by our attack pass: a reason holding NUL or ESC passed the check and the admin save,
    and reached the pages and the Markdown export raw."""
    sources = _shipped()
    text = sources["rules/enrollment.yaml"].decode()
    first = text.index("      en: ", text.index("    reason:"))
    end = text.index("\n", first)
    sources["rules/enrollment.yaml"] = (text[:first] + f'      en: "a{character}b"' + text[end:]).encode()
    with pytest.raises(RulebookError) as caught:
        build_rulebook(sources)
    assert any("must not contain control characters" in f.message for f in caught.value.errors), (
        caught.value.format_message()
    )


GUIDE = "https://docs.microsoft.com/intune/planning-guide-rollout-plan"


def _one_rule(provenance: str, source: str, when: str = "") -> bytes:
    return (
        "stage: placement\nrules:\n  - id: extra\n    decides: enrollment\n    value: assisted\n"
        f"    priority: 1\n{when}    reason: {{en: Because., sv: Därför.}}\n"
        f"    source: {source}\n    provenance: {provenance}\n"
    ).encode()


@pytest.mark.parametrize(
    ("provenance", "source", "when", "message"),
    [
        # our threshold makes the rule ours: it may not read as the guide's
        (
            "guide",
            f"{GUIDE}#user-assisted-enrollment",
            "    when: {all: [{fact: phase_users, op: lte, param: assisted_max_users}]}\n",
            "rests on 'assisted_max_users', our own threshold (beyond_guide): the rule is beyond_guide too",
        ),
        (
            "guide_example",
            f"{GUIDE}#user-assisted-enrollment",
            "    when: {all: [{fact: phase_users, op: lte, param: assisted_max_users}]}\n",
            "the rule is beyond_guide too",
        ),
        # current practice cites the current page it follows, never the 2016 article
        (
            "current_practice",
            f"{GUIDE}#pilot",
            "",
            "a current_practice rule cites the Microsoft page it follows",
        ),
        # the guide's rules and our own cite the article's section
        (
            "guide",
            "https://learn.microsoft.com/mem/intune/enrollment/device-enrollment",
            "",
            "planning guide",
        ),
        ("unsure", f"{GUIDE}#pilot", "", "provenance: must be one of"),
    ],
)
def test_a_rule_says_honestly_where_it_comes_from(
    provenance: str, source: str, when: str, message: str
) -> None:
    with pytest.raises(RulebookError) as caught:
        build_rulebook({**_shipped(), "rules/zz.yaml": _one_rule(provenance, source, when)})
    assert any(message in str(f) for f in caught.value.findings), caught.value.format_message()


def test_our_own_threshold_may_carry_our_own_rule_and_current_practice_its_page() -> None:
    when = "    when: {all: [{fact: phase_users, op: lte, param: assisted_max_users}]}\n"
    ours = build_rulebook({**_shipped(), "rules/zz.yaml": _one_rule("beyond_guide", f"{GUIDE}#pilot", when)})
    assert ours.rule("extra").rule.provenance == "beyond_guide"
    page = "https://learn.microsoft.com/mem/intune/fundamentals/intune-planning-guide"
    current = build_rulebook({**_shipped(), "rules/zz.yaml": _one_rule("current_practice", page)})
    assert current.rule("extra").rule.source == page


def test_every_threshold_of_our_own_says_so_and_why(rulebook: Rulebook) -> None:
    ours = [key for key, where in rulebook.parameter_provenance.items() if where == "beyond_guide"]
    assert ours  # the shipped rulebook has some, each defended in its description
    for key in ours:
        texts = rulebook.parameter_texts[key]
        assert "Our judgement, not the guide's:" in texts.en, key
        assert "Vår bedömning, inte guidens:" in texts.sv, key
    assert set(rulebook.parameter_provenance) == {*rulebook.parameters, *rulebook.lists, *rulebook.tables}


def test_a_reason_quoting_our_threshold_rests_on_it() -> None:
    text = (
        "stage: placement\nrules:\n  - id: extra\n    decides: enrollment\n    value: assisted\n"
        "    priority: 1\n    reason:\n      en: 'At most {assisted_max_users}.'\n      sv: 'Högst {assisted_max_users}.'\n"
        f"    source: {GUIDE}#user-assisted-enrollment\n    provenance: guide\n"
    ).encode()
    with pytest.raises(RulebookError, match="rests on 'assisted_max_users'"):
        build_rulebook({**_shipped(), "rules/zz.yaml": text})


def test_the_shipped_rulebook_holds_the_planners_lists(rulebook: Rulebook) -> None:
    assert rulebook.lists["platform_order"] == ("ios", "android", "windows", "macos")
    nordic = {country: ("07", "12") for country in ("SE", "NO", "DK", "FI")}
    assert rulebook.tables["quiet_months"] == {"default": ("12",), **nordic}
    assert "platform_order" not in rulebook.parameters  # numbers only: conditions and the engine
    assert rulebook.kind("platform_order") == "list"
    assert rulebook.kind("quiet_months") == "table"
    assert rulebook.kind("limited_pilot_size") == "number"
    assert rulebook.kind("nothing") is None
    assert rulebook.parameter_provenance["platform_order"] == "guide_example"
    assert rulebook.parameter_provenance["quiet_months"] == "beyond_guide"
    assert "macOS last is our judgement" in rulebook.parameter_texts["platform_order"].en
    assert "quiet_months" in rulebook.parameter_texts["quiet_months"].sv


def _planning_with(old: str, new: str) -> dict[str, bytes]:
    """The shipped folder with one text of planning.yaml replaced."""
    planning = (RULES / "planning.yaml").read_text(encoding="utf-8")
    assert old in planning
    return {**_shipped(), "rules/planning.yaml": planning.replace(old, new, 1).encode()}


def _line_of(sources: dict[str, bytes], text: str) -> int:
    lines = sources["rules/planning.yaml"].decode().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


@pytest.mark.parametrize(
    ("old", "new", "marker", "message"),
    [
        (
            "[ios, android, windows, macos]",
            "[ios, android, windows]",
            "[ios, android, windows]",
            "platform_order misses macos: it names each platform once",
        ),
        (
            "[ios, android, windows, macos]",
            "[ios, android, windows, macos, linux]",
            "linux",
            "platform_order: 'linux' is not a platform (one of windows, macos, ios, android)",
        ),
        (
            "[ios, android, windows, macos]",
            "[ios, android, windows, macos, ios]",
            "macos, ios]",
            "platform_order: 'ios' is listed twice",
        ),
        (
            "[ios, android, windows, macos]",
            "7",
            "value: 7",
            "the planner reads 'platform_order' as a list of values; here it is a whole number",
        ),
        (
            '    value:\n      default: ["12"]\n',
            "    value: # no default\n",
            "no default",
            "quiet_months needs a 'default' entry",
        ),
        (
            'SE: ["07", "12"]',
            'se: ["07", "12"]',
            "se:",
            "quiet_months: 'se' is neither 'default' nor a country code (ISO 3166-1 alpha-2",
        ),
        (
            'SE: ["07", "12"]',
            'SE: ["7", "12"]',
            "SE:",
            "quiet_months.SE: '7' is not a month: two digits, 01 to 12",
        ),
        (
            'SE: ["07", "12"]',
            'SE: ["07", "12", "07"]',
            "SE:",
            "quiet_months.SE: '07' is listed twice",
        ),
        (
            '    value:\n      default: ["12"]\n      SE: ["07", "12"]\n'
            '      "NO": ["07", "12"]  # quoted: YAML 1.1 reads a bare NO as false\n'
            '      DK: ["07", "12"]\n      FI: ["07", "12"]\n',
            '    value: ["12"]\n',
            'value: ["12"]',
            "the planner reads 'quiet_months' as a table of lists (key: [values]); here it is a list of values",
        ),
    ],
)
def test_the_planners_lists_are_checked_by_line(old: str, new: str, marker: str, message: str) -> None:
    sources = _planning_with(old, new)
    with pytest.raises(RulebookError) as caught:
        build_rulebook(sources)
    line = _line_of(sources, marker)
    assert any(
        message in f.message and f.file == "rules/planning.yaml" and f.line == line
        for f in caught.value.findings
    ), caught.value.format_message()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('["a\\x01"]', "must not contain control characters (U+0001)"),
        ("[" + "x" * 65 + "]", "at most 64"),
        ("{SE: 7}", "parameters.extra.value.SE: must be a list"),
        ("2.5", "a whole number, a list of texts, or a table of such lists"),
    ],
)
def test_a_parameter_value_is_a_number_a_list_or_a_table(value: str, message: str) -> None:
    text = f"parameters:\n  extra:\n    value: {value}\n    description: {{en: a, sv: b}}\n    provenance: beyond_guide\n"
    with pytest.raises(RulebookError) as caught:
        build_rulebook({**_shipped(), "rules/x.yaml": text.encode()})
    found = [f for f in caught.value.findings if f.file == "rules/x.yaml"]
    assert any(message in f.message and f.line == 3 for f in found), caught.value.format_message()


@pytest.mark.parametrize(
    ("where", "name"),
    [
        ("    when: {all: [{fact: phase_users, op: lte, param: platform_order}]}\n", "platform_order"),
        ("    when: {all: [{fact: platforms, op: contains, param: platform_order}]}\n", "platform_order"),
        ("", "quiet_months"),
    ],
)
def test_conditions_and_reasons_use_number_parameters_only(where: str, name: str) -> None:
    reason = "Quiet in {quiet_months}." if name == "quiet_months" else "Text."
    text = (
        "stage: placement\nrules:\n  - id: extra\n    decides: enrollment\n    value: assisted\n"
        f"    priority: 1\n{where}    reason:\n      en: '{reason}'\n      sv: 'Svensk {reason}'\n"
        "    source: https://docs.microsoft.com/intune/planning-guide-rollout-plan#user-assisted-enrollment\n"
        "    provenance: beyond_guide\n"
    ).encode()
    with pytest.raises(RulebookError) as caught:
        build_rulebook({**_shipped(), "rules/zz.yaml": text})
    what = "a list" if name == "platform_order" else "a table of lists"
    expected = f"'{name}' is {what}; conditions and reasons use number parameters"
    line = 7 if where else 8  # the condition's line, or the reason's English text
    assert any(
        f.file == "rules/zz.yaml" and f.line == line and f.rule == "extra" and expected in f.message
        for f in caught.value.findings
    ), caught.value.format_message()


def test_a_list_parameter_is_unique_across_files() -> None:
    text = (
        b"parameters:\n  platform_order:\n    value: [ios, android, windows, macos]\n"
        b"    description: {en: a, sv: b}\n    provenance: beyond_guide\n"
    )
    with pytest.raises(RulebookError) as caught:
        build_rulebook({**_shipped(), "rules/zz.yaml": text})
    line = _line_of(_shipped(), "platform_order:")
    assert [str(f) for f in caught.value.findings] == [
        f"rules/zz.yaml:2: parameter 'platform_order' is already defined at rules/planning.yaml:{line}"
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "  mixed_personal_percent:\n    value: 50",
            "  mixed_personal_percent:\n    value: 400",
            "mixed_personal_percent must be 0 to 100 (a share of devices, in percent), not 400",
        ),
        (
            "  load_percent_zero_touch:\n    value: 50",
            "  load_percent_zero_touch:\n    value: 0",
            "load_percent_zero_touch must be 1 to 1000",
        ),
        (
            "  prerequisite_lead_days:\n    value: 14",
            "  prerequisite_lead_days:\n    value: 10000000",
            "prerequisite_lead_days must be 0 to 365",
        ),
        (
            "      macos_company_portal@corporate: [corporate-identifiers]",
            "      windows_byod_registration@corporate: [corporate-identifiers]",
            "'windows_byod_registration@corporate' is not an enrollment method, method@owner",
        ),
    ],
)
def test_the_method_parameters_are_refused_outside_their_sense(old: str, new: str, message: str) -> None:
    """Found by review: a personal share of 400 % gave corporate kinds negative device counts, and
    a pair of a method with an owner it never serves was accepted."""
    sources = _shipped()
    text = sources["rules/methods.yaml"].decode()
    assert old in text
    sources["rules/methods.yaml"] = text.replace(old, new).encode()
    with pytest.raises(RulebookError) as caught:
        build_rulebook(sources)
    assert any(message in str(f) for f in caught.value.errors), caught.value.errors
