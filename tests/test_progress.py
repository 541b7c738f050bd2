"""The plan against what enrolled, in the core: devices placed through their users' departments
and sites, poured into the placements in phase order, phases behind plan, the gates' enrollment
criterion measured, everything the plan does not count counted by reason, and nothing personal
kept."""

from __future__ import annotations

import copy
import html
import itertools
import random
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import yaml

from advisor.directory.aggregate import propose
from advisor.directory.edits import (
    ConfirmExecutives,
    Edit,
    Merge,
    apply_edits,
    assessment_groups,
    merge_answers,
)
from advisor.directory.progress import ProgressSettings, department_key, measure, planned_platform
from advisor.directory.reading import DeviceRow, UserRow
from advisor.directory.settings import DirectorySettings
from advisor.evaluate.oracle import OracleEvaluator
from advisor.model.facts import Assessment, parse_assessment
from advisor.model.plan import Plan
from advisor.model.vocabulary import Language, Platform
from advisor.output.progress import (
    few_placed,
    gate_verdict,
    progress_svg,
    progress_text,
    share,
    trend_svg,
    word,
)
from advisor.planning.planner import make_plan
from advisor.rulebook import Rulebook
from tests.conftest import ROOT

CONTOSO: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
UNDER_WAY: dict[str, Any] = copy.deepcopy(CONTOSO)
UNDER_WAY["organisation"]["rollout_start"] = "2026-03"  # pilots in March, production 1 in April
TODAY = date(2026, 4, 15)  # production 1's window (1 to 21 April) two-thirds gone


NOW = datetime(2026, 4, 13, 8, 30, tzinfo=UTC)  # a recent check-in
OS = {"windows": "Windows", "macos": "macOS", "ios": "iOS/iPadOS", "android": "Android", None: "Linux"}


def user(upn: str, department: str | None, site: str | None, **kind: Any) -> UserRow:
    fields: dict[str, Any] = {"enabled": True, "guest": False, "job_title": None, **kind}
    return UserRow(upn, department, fields["enabled"], fields["guest"], fields["job_title"], site)


def device(
    upn: str | None, platform: Platform | None, *, intune: bool = True, last_check_in: datetime | None = NOW
) -> DeviceRow:
    managed_by = "Intune" if intune else "Exchange ActiveSync"
    return DeviceRow(upn, OS[platform], "1", "corporate", managed_by, intune, last_check_in)


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    return parse_assessment(UNDER_WAY)


@pytest.fixture(scope="module")
def plan(assessment: Assessment, rulebook: Rulebook) -> Plan:
    return make_plan(assessment, OracleEvaluator(rulebook))


@pytest.fixture(scope="module")
def settings(rulebook: Rulebook) -> ProgressSettings:
    return ProgressSettings.from_rulebook(rulebook)


FIRST = ["Åsa", "Björn", "Märta", "Jörgen", "Chloé", "Liam", "Noor", "Sven-Erik", "Zoë", "Ola"]
LAST = ["Öberg", "Lindqvist", "Nguyen", "O'Brien", "Åkesson", "García", "Smith", "Håkansson"]


class People:
    """A seeded, messy organisation: names with åäö, departments in several spellings."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
        self.serial = 0

    def upn(self) -> str:
        self.serial += 1
        first, last = self.random.choice(FIRST), self.random.choice(LAST)
        return f"{first}.{last}{self.serial}@contoso.example".lower()

    def spelled(self, department: str) -> str:
        """The department as a person typed it: case and stray spaces vary."""
        return self.random.choice([department, department.upper(), f" {department.lower()} ", department])

    def users(self, department: str, site: str, count: int, **kind: Any) -> list[UserRow]:
        return [user(self.upn(), self.spelled(department), site, **kind) for _ in range(count)]


def devices(users: list[UserRow], platforms: list[Platform | None], **kind: Any) -> list[DeviceRow]:
    return [device(u.upn, platforms[i % len(platforms)], **kind) for i, u in enumerate(users)]


def test_departments_compare_without_case_or_spaces() -> None:
    assert department_key(" sales   and MARKETING ") == department_key("Sales and marketing")
    assert department_key("  ") == department_key(None) != department_key("Unassigned")


@pytest.mark.parametrize(
    ("os", "platform"),
    [
        ("Windows", "windows"),
        ("macOS", "macos"),
        ("iOS/iPadOS", "ios"),
        ("iPadOS", "ios"),
        ("Android Enterprise", "android"),
        ("AndroidForWork", "android"),
        ("Linux", None),
        ("ChromeOS", None),
        ("", None),
    ],
)
def test_the_plans_platform_of_an_os(os: str, platform: Platform | None) -> None:
    assert planned_platform(os) == platform


def test_a_groups_devices_fill_its_phases_in_order(
    assessment: Assessment, plan: Plan, settings: ProgressSettings
) -> None:
    """IT is 90 devices in the limited pilot and 360 in the expanded one: 120 enrolled devices
    fill the limited pilot and put 30 in the expanded one."""
    people = People(1)
    it = people.users("IT", "Redmond", 120)
    progress = measure(
        assessment,
        plan,
        it,
        devices(it, ["windows", "ios", "android", "macos"]),
        today=TODAY,
        settings=settings,
    )
    placed = {(p.group, p.phase): (p.planned, p.enrolled) for p in progress.placements}
    assert placed[("it", "limited_pilot")] == (90, 90)
    assert placed[("it", "expanded_pilot")] == (360, 30)
    assert placed[("it-executives", "expanded_pilot")] == (20, 0)
    phases = {(p.phase, p.number): p for p in progress.phases}
    assert phases[("limited_pilot", None)].rate == 100.0
    assert phases[("expanded_pilot", None)].enrolled == 30
    assert phases[("expanded_pilot", None)].planned == 380
    group = next(g for g in progress.groups if g.group == "it")
    assert (group.users, group.devices, group.enrolled, group.planned) == (120, 120, 120, 450)
    assert progress.enrolled == 120
    assert progress.planned == sum(p.planned for p in progress.placements) == 4640


def test_only_recent_intune_devices_of_the_planned_platforms_count(
    assessment: Assessment, plan: Plan, settings: ProgressSettings
) -> None:
    people = People(2)
    sales = people.users("Sales and marketing", "Redmond", 400)
    counted = devices(sales[:100], ["ios", "android", "windows"])
    exchange = devices(sales[100:150], ["ios"], intune=False)
    # Thirty days before the end of the day measured: the oldest check-in that still counts.
    thirty_days_ago = datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), UTC) - timedelta(
        days=30
    )
    stale = devices(sales[150:180], ["android"], last_check_in=thirty_days_ago - timedelta(seconds=1))
    never = devices(sales[180:190], ["windows"], last_check_in=None)
    linux = devices(sales[190:200], [None])
    just_in_time = devices(sales[200:205], ["windows"], last_check_in=thirty_days_ago)
    progress = measure(
        assessment,
        plan,
        sales,
        [*counted, *exchange, *stale, *never, *linux, *just_in_time],
        today=TODAY,
        settings=settings,
    )
    group = next(g for g in progress.groups if g.group == "sales-marketing")
    assert group.enrolled == 105
    assert group.devices == 205
    lost = progress.unmatched
    assert (lost.devices_not_intune, lost.devices_stale, lost.devices_other_platform) == (50, 40, 10)


def test_what_the_plan_does_not_count_is_counted_by_reason(
    assessment: Assessment, plan: Plan, settings: ProgressSettings
) -> None:
    people = People(3)
    retail = people.users("Retail", "Seattle", 200)
    disabled = people.users("Retail", "Seattle", 7, enabled=False)
    guests = people.users("Retail", "Seattle", 4, guest=True)
    nowhere = people.users("Catering", "Seattle", 11)
    unassigned = people.users("", "Seattle", 3)
    strangers = [device(f"gone{i}@contoso.example", "ios") for i in range(6)]
    ownerless = [device(None, "android") for _ in range(5)]
    users = [*retail, *disabled, *guests, *nowhere, *unassigned, retail[0], disabled[0]]
    progress = measure(
        assessment,
        plan,
        users,
        [
            *devices(retail, ["ios", "android"]),
            *devices(disabled, ["ios"]),
            *devices(nowhere, ["ios"]),
            *strangers,
            *ownerless,
        ],
        today=TODAY,
        settings=settings,
    )
    lost = progress.unmatched
    assert (lost.users_disabled, lost.users_guest, lost.users_in_no_group) == (7, 4, 14)
    assert lost.users_repeated == 2  # a person's second row counts nowhere
    assert (lost.devices_without_user, lost.devices_user_not_found, lost.devices_in_no_group) == (5, 6, 11)
    assert lost.devices_of_left_out_users == 7
    assert progress.users_read == len(users)
    assert progress.devices_read == 200 + 7 + 11 + 6 + 5
    group = next(g for g in progress.groups if g.group == "retail")
    assert (group.users, group.enrolled) == (200, 200)


def test_devices_beyond_the_plan_count_in_the_last_phase_and_as_over_plan(
    assessment: Assessment, plan: Plan, settings: ProgressSettings
) -> None:
    people = People(4)
    finance = people.users("Finance", "Redmond", 70)  # 50 devices planned, all Windows
    phones = devices(finance[:5], ["ios"])  # Finance plans no iOS device: no placement takes them
    progress = measure(
        assessment, plan, finance, [*devices(finance, ["windows"]), *phones], today=TODAY, settings=settings
    )
    placement = next(p for p in progress.placements if p.group == "finance")
    assert (placement.planned, placement.enrolled, placement.rate) == (50, 50, 100.0)
    assert progress.unmatched.devices_over_plan == 20 + 5
    group = next(g for g in progress.groups if g.group == "finance")
    assert (group.devices, group.enrolled, group.over_plan) == (75, 50, 25)


def test_a_group_past_its_plan_does_not_lift_its_phase_or_gate(
    assessment: Assessment, plan: Plan, settings: ProgressSettings
) -> None:
    """IT enrolls 200 devices beyond its pilots; IT executives (in the expanded pilot too) none:
    the expanded pilot stays short of its gate's 95%."""
    people = People(11)
    it = people.users("IT", "Redmond", 450 + 200)  # 90 + 360 planned over the two pilots
    progress = measure(assessment, plan, it, devices(it, ["windows"]), today=TODAY, settings=settings)
    phase = next(p for p in progress.phases if p.phase == "expanded_pilot")
    assert (phase.planned, phase.enrolled, phase.rate) == (380, 360, 94.7)
    gate = next(g for g in progress.gates if g.after_phase == "expanded_pilot")
    assert (gate.measured, gate.met, gate.due) == (94.7, False, True)
    assert progress.unmatched.devices_over_plan == 200
    assert next(g for g in progress.groups if g.group == "it").over_plan == 200


def test_a_gate_short_of_its_criterion_before_its_day_is_not_yet_due(
    assessment: Assessment, plan: Plan, settings: ProgressSettings
) -> None:
    progress = measure(assessment, plan, [], [], today=TODAY, settings=settings)
    gates = {(g.after_phase, g.after_number): g for g in progress.gates}
    assert (gates[("expanded_pilot", None)].met, gates[("expanded_pilot", None)].due) == (False, True)
    later = gates[("production", 1)]  # its review is on 28 April
    assert (later.met, later.due) == (False, False)
    assert gate_verdict(later.met, later.due) == "not_due"
    text = progress_text(progress, "en")
    assert "2026-04-28: 0% against at least 95%: not yet due" in text
    assert "2026-03-27: 0% against at least 95%: not met" in text


def test_a_phase_has_started_when_its_window_opens(
    assessment: Assessment, plan: Plan, settings: ProgressSettings
) -> None:
    """The expanded pilot's window opens on 17 March (the calendar), not on the first of March."""
    before = measure(assessment, plan, [], [], today=date(2026, 3, 10), settings=settings)
    phase = next(p for p in before.phases if p.phase == "expanded_pilot")
    assert phase.start == "2026-03-17"
    assert (phase.started, phase.behind) == (False, False)
    opened = measure(assessment, plan, [], [], today=date(2026, 3, 17), settings=settings)
    assert next(p for p in opened.phases if p.phase == "expanded_pilot").started


@pytest.mark.parametrize(
    ("language", "value", "written"),
    [
        ("en", 21.7, "21.7%"),
        ("sv", 21.7, "21,7 %"),
        ("sv", 85.0, "85 %"),
        ("en", None, "–"),
        ("sv", None, "–"),
    ],
)
def test_a_share_is_written_as_the_language_writes_numbers(
    language: Language, value: float | None, written: str
) -> None:
    assert share(value, language) == written


def test_executives_go_to_the_executive_group_of_their_department(
    assessment: Assessment, plan: Plan, settings: ProgressSettings
) -> None:
    people = People(5)
    it_execs = people.users("IT", "Redmond", 8, job_title="Chief Information Officer")
    other_execs = people.users("Finance", "Redmond", 12, job_title="Ekonomidirektör")  # the Executives group
    not_execs = people.users("Finance", "Redmond", 3, job_title="Directory administrator")
    users = [*it_execs, *other_execs, *not_execs]
    progress = measure(assessment, plan, users, devices(users, ["windows"]), today=TODAY, settings=settings)
    enrolled = {g.group: g.enrolled for g in progress.groups if g.enrolled}
    assert enrolled == {"it-executives": 8, "executives": 12, "finance": 3}


@pytest.mark.parametrize(
    ("share", "behind"),
    [
        (50, True),  # expected 95% x 15/21 days = 67.9%; 50 + 10 points margin falls short
        (58, False),  # 58 + 10 = 68 reaches it
        (100, False),
    ],
)
def test_a_phase_under_way_is_behind_when_it_falls_short_of_its_even_course(
    assessment: Assessment, plan: Plan, settings: ProgressSettings, share: int, behind: bool
) -> None:
    people = People(6)
    sales = people.users("Sales and marketing", "Redmond", 3000)
    enrolled = sales[: 3000 * share // 100]
    progress = measure(
        assessment,
        plan,
        sales,
        devices(enrolled, ["ios", "android", "windows"]),
        today=TODAY,
        settings=settings,
    )
    phase = next(p for p in progress.phases if (p.phase, p.number) == ("production", 1))
    assert (phase.start, phase.end) == ("2026-04-01", "2026-04-21")
    assert phase.expected == 67.9
    assert phase.rate == share
    assert phase.behind is behind
    later = next(p for p in progress.phases if (p.phase, p.number) == ("production", 2))
    assert (later.started, later.expected, later.behind) == (False, 0.0, False)  # May: not begun


def test_the_gates_show_the_measured_rate_against_their_criterion(
    assessment: Assessment, plan: Plan, settings: ProgressSettings, rulebook: Rulebook
) -> None:
    people = People(7)
    it = people.users("IT", "Redmond", 85)  # 85 of the limited pilot's 90: 94.4%
    progress = measure(assessment, plan, it, devices(it, ["windows"]), today=TODAY, settings=settings)
    gates = {(g.after_phase, g.after_number): g for g in progress.gates}
    first = gates[("limited_pilot", None)]
    assert (first.threshold, first.measured, first.met) == (95, 94.4, False)
    ours = {
        **UNDER_WAY,
        "organisation": {**UNDER_WAY["organisation"], "gate_thresholds": {"enrollment_success": 90}},
    }
    own = parse_assessment(ours)
    own_plan = make_plan(own, OracleEvaluator(rulebook))
    again = measure(own, own_plan, it, devices(it, ["windows"]), today=TODAY, settings=settings)
    first = next(g for g in again.gates if g.after_phase == "limited_pilot")
    assert (first.threshold, first.met) == (90, True)
    assert all(p.target == 90 for p in again.phases)


def test_a_site_picks_the_group_of_a_department_cut_by_location(
    rulebook: Rulebook, settings: ProgressSettings
) -> None:
    answers = copy.deepcopy(UNDER_WAY)
    retail = next(g for g in answers["groups"] if g["id"] == "retail")
    north = {**copy.deepcopy(retail), "id": "retail-north", "name": "Retail north", "locations": ["Umeå"]}
    north.pop("users_by_location", None)
    answers["groups"].append(north)
    assessment = parse_assessment(answers)
    plan = make_plan(assessment, OracleEvaluator(rulebook))
    people = People(8)
    south = people.users("Retail", " seattle ", 30)
    umea = people.users("retail", "UMEÅ", 20)
    elsewhere = people.users("Retail", "Kiruna", 5)
    users = [*south, *umea, *elsewhere]
    progress = measure(assessment, plan, users, devices(users, ["ios"]), today=TODAY, settings=settings)
    enrolled = {g.group: g.enrolled for g in progress.groups if g.enrolled}
    assert enrolled == {"retail": 30, "retail-north": 20}
    assert progress.unmatched.users_in_no_group == 5


def test_only_counts_are_kept(assessment: Assessment, plan: Plan, settings: ProgressSettings) -> None:
    people = People(9)
    users = [*people.users("IT", "Redmond", 300), *people.users("Sales and marketing", "Redmond", 2000)]
    generated = devices(users, ["windows", "ios", "android"])
    progress = measure(assessment, plan, users, generated, today=TODAY, settings=settings)
    kept = progress.model_dump_json()
    assert progress.enrolled > 0
    for user in users:
        assert user.upn not in kept
        assert user.upn.split("@")[0] not in kept
    assert "@" not in kept


def test_a_measure_of_nothing_reads_as_nothing(
    assessment: Assessment, plan: Plan, settings: ProgressSettings
) -> None:
    progress = measure(assessment, plan, [], [], today=TODAY, settings=settings)
    assert (progress.enrolled, progress.users_read, progress.devices_read) == (0, 0, 0)
    assert progress.rate == 0.0
    # The pilots' windows have closed, production 1 is under way: all behind; May has not begun.
    assert [(p.phase, p.behind) for p in progress.phases if p.started] == [
        ("limited_pilot", True),
        ("expanded_pilot", True),
        ("production", True),
    ]


@pytest.mark.parametrize("name", ["Unassigned", "Ej tilldelad"])
def test_users_without_a_department_go_to_the_imports_unassigned_group(
    rulebook: Rulebook, settings: ProgressSettings, name: str
) -> None:
    """The import names the group of users without a department in the assessment's language."""
    answers = copy.deepcopy(UNDER_WAY)
    answers["groups"].append({**copy.deepcopy(answers["groups"][-1]), "id": "unassigned", "name": name})
    answers["groups"][-1].pop("department", None)
    answers["groups"][-1]["executives"] = False
    assessment = parse_assessment(answers)
    plan = make_plan(assessment, OracleEvaluator(rulebook))
    people = People(10)
    users = [*people.users("", "Redmond", 6), user("nodept@contoso.example", None, "Redmond")]
    progress = measure(assessment, plan, users, devices(users, ["windows"]), today=TODAY, settings=settings)
    assert {g.group: g.users for g in progress.groups if g.users} == {"unassigned": 7}


# The assessment as the import makes it: proposed from the users export, edited in the preview,
# saved; then measured against the same people. (The fixtures above write each user's department
# as a group's name; here the groups are what the respondent made of the import's.)


def _imported(
    rulebook: Rulebook, users: list[UserRow], edits: list[Any], **organisation: Any
) -> tuple[Assessment, Plan]:
    proposal = propose(users, None, settings=DirectorySettings.from_rulebook(rulebook))
    groups = assessment_groups(proposal, apply_edits(proposal, edits))
    answers = {
        "version": 1,
        "organisation": {**UNDER_WAY["organisation"], **organisation},
        "groups": groups,
    }
    assessment = parse_assessment(yaml.safe_load(yaml.safe_dump(answers, allow_unicode=True)))
    return assessment, make_plan(assessment, OracleEvaluator(rulebook))


@pytest.fixture(scope="module")
def organisation() -> dict[str, list[UserRow]]:
    """Departments as people typed them, a large one at two sites and none, executives by title."""
    people = People(21)
    return {
        "marketing": people.users("Marketing", "Stockholm", 120),
        "hr": people.users("HR", "Stockholm", 60),
        "sales-umea": people.users("Sales", "Umeå", 200),
        "sales-malmo": people.users("Sales", "Malmö", 100),
        "sales-none": [user(people.upn(), people.spelled("Sales"), None) for _ in range(300)],
        "finance": people.users("Finance", "Stockholm", 76),
        "cfo": people.users("Finance", "Stockholm", 4, job_title="CFO"),
        "ceo": people.users("Management", "Stockholm", 3, job_title="CEO"),
        "it": people.users("IT", "Stockholm", 40),
    }


def test_groups_made_in_the_import_preview_find_their_users(
    rulebook: Rulebook, settings: ProgressSettings, organisation: dict[str, list[UserRow]]
) -> None:
    """Merged groups, the parts of a department split by site (users with no site a part of their
    own) and executives confirmed for some titles only: every user is found in their group."""
    edits: list[Edit] = [
        Merge(groups=["marketing", "hr"], name="Marketing and HR"),
        ConfirmExecutives(group="executives", titles=["CEO"]),
    ]
    assessment, plan = _imported(rulebook, [u for us in organisation.values() for u in us], edits)
    names = {g.name: g.id for g in assessment.groups}
    assert "Sales – No site given" in names
    users = [u for us in organisation.values() for u in us]
    progress = measure(assessment, plan, users, devices(users, ["windows"]), today=TODAY, settings=settings)
    assert progress.unmatched.users_in_no_group == 0
    assert not progress.few_placed
    found = {g.name: g.users for g in progress.groups}
    assert found == {
        "Marketing and HR": 180,
        "Sales – No site given": 300,
        "Sales – Malmö": 100,
        "Sales – Umeå": 200,
        "Finance": 80,  # the CFOs were sent back to Finance: no executives
        "Executives": 3,
        "IT": 40,
    }
    # Every device enrolled: every group and phase at its plan, none behind.
    assert all(g.enrolled == g.planned for g in progress.groups)
    assert not progress.behind
    assert progress.unmatched.devices_over_plan == 0


def test_a_re_import_keeps_which_users_a_group_holds(
    rulebook: Rulebook, organisation: dict[str, list[UserRow]]
) -> None:
    users = [u for us in organisation.values() for u in us]
    options = DirectorySettings.from_rulebook(rulebook)
    edits: list[Edit] = [
        Merge(groups=["marketing", "hr"], name="Marketing and HR"),
        ConfirmExecutives(group="executives", titles=["CEO"]),
    ]
    first = propose(users, None, settings=options)
    saved, _ = merge_answers(None, assessment_groups(first, apply_edits(first, edits)), has_devices=False)
    # Later: a CFO is confirmed too.
    later = propose(users, None, settings=options)
    again: list[Edit] = [
        Merge(groups=["marketing", "hr"], name="Marketing and HR"),
        ConfirmExecutives(group="executives", titles=["CEO", "cfo"]),
    ]
    merged, _ = merge_answers(
        {"groups": saved}, assessment_groups(later, apply_edits(later, again)), has_devices=False
    )
    by_name = {g["name"]: g for g in merged}
    assert by_name["Marketing and HR"]["departments"] == ["HR", "Marketing"]
    assert by_name["Executives"]["executive_titles"] == ["CEO", "CFO"]
    # Then the name is kept for Marketing and IT, and the CFOs go back.
    other: list[Edit] = [
        Merge(groups=["marketing", "it"], name="Marketing and HR"),
        ConfirmExecutives(group="executives", titles=["CEO"]),
    ]
    third, changes = merge_answers(
        {"groups": merged}, assessment_groups(later, apply_edits(later, other)), has_devices=False
    )
    by_name = {g["name"]: g for g in third}
    assert by_name["Marketing and HR"]["departments"] == ["IT", "Marketing"]
    assert by_name["Executives"]["executive_titles"] == ["CEO"]
    assert "departments" not in by_name["HR"]  # back on its own: its name says it
    assert not {c.field for c in changes.changed} & {"departments", "executive_titles"}


def test_a_site_given_to_no_part_of_a_group_fills_its_own_placement_first(
    rulebook: Rulebook, settings: ProgressSettings
) -> None:
    """Split by geography, a group's users with no site are a placement of their own: their
    devices fill it, not another site's."""
    people = People(22)
    sales = [
        *people.users("Sales", "Malmö", 40),
        *people.users("Sales", "Umeå", 40),
        *[user(people.upn(), "Sales", None) for _ in range(20)],
    ]
    it = people.users("IT", "Malmö", 30)
    assessment, plan = _imported(rulebook, [*sales, *it], [], split_by="geography")
    progress = measure(
        assessment, plan, [*sales, *it], devices([*sales, *it], ["windows"]), today=TODAY, settings=settings
    )
    mine = [p for p in progress.placements if p.group == "sales"]
    assert len(mine) > 1
    assert all(p.enrolled == p.planned for p in mine), mine
    assert progress.unmatched.devices_over_plan == 0


def test_a_measure_that_places_few_users_says_so(
    assessment: Assessment, plan: Plan, settings: ProgressSettings
) -> None:
    """Group names that are no department: most users in no group, and the measure flags it."""
    people = People(23)
    users = [*people.users("Försäljning", "Redmond", 90), *people.users("IT", "Redmond", 10)]
    progress = measure(assessment, plan, users, devices(users, ["windows"]), today=TODAY, settings=settings)
    assert progress.unmatched.users_in_no_group == 90
    assert progress.few_placed
    assert few_placed(progress, "en") in progress_text(progress, "en")
    assert "90" in few_placed(progress, "en")


def _texts(svg: str) -> list[tuple[float, str]]:
    """The words of an SVG picture: (font size, text) for each text element."""
    found = []
    for attributes, words in re.findall(r"<text([^>]*)>([^<]*)</text>", svg):
        size = re.search(r'font-size="(\d+)"', attributes)
        found.append((float(size.group(1)) if size else 14.0, html.unescape(words)))
    return found


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_progress_picture_fits_a_phone_when_the_counts_run_to_millions(
    assessment: Assessment, plan: Plan, settings: ProgressSettings, language: Language
) -> None:
    progress = measure(assessment, plan, [], [], today=TODAY, settings=settings)
    huge = progress.model_copy(
        update={
            "phases": [
                p.model_copy(
                    update={"planned": 10_000_000, "enrolled": 9_999_999, "rate": 99.9, "behind": True}
                )
                for p in progress.phases
            ]
        }
    )
    svg = progress_svg(huge, language)
    track = 400 - 2 * 4  # the picture's bar, as wide as its words may run
    for size, words in _texts(svg):
        # DejaVu Sans: digits and most letters are about 0.62 em wide.
        assert len(words) * size * 0.62 <= track, words
    assert word("behind", language) in svg


def test_the_trend_marks_a_new_version_and_never_writes_two_days_over_each_other() -> None:
    day = date(2026, 4, 1)
    history = [
        (day, 10.0, 1),
        (day, 12.0, 1),  # two uploads on one day
        (day + timedelta(days=1), 15.0, 1),
        *[(day + timedelta(days=2 + i), 20.0 + i, 2) for i in range(20)],  # then the answers changed
    ]
    svg = trend_svg(history, "en")
    labels = [
        float(x)
        for x, _ in re.findall(
            r'<text x="([\d.]+)" y="\d+" text-anchor="\w+" font-size="11">(\d\d-\d\d)<', svg
        )
    ]
    days = re.findall(r'font-size="11">(\d\d-\d\d)<', svg)
    assert len(days) == len(set(days))  # a day once
    assert all(b - a >= 44 for a, b in itertools.pairwise(labels)), labels
    assert (days[0], days[-1]) == ("04-01", "04-22")  # the first and the last are always written
    assert svg.count('stroke-dasharray="4 3"') == 1
    assert ">version 2<" in svg
    assert "another version of the answers" in svg
    assert 'stroke-dasharray="4 3"' not in trend_svg([(day, 10.0, 1), (day, 12.0, 1)], "en")


def test_the_group_of_the_smallest_departments_holds_every_department_no_other_group_holds(
    rulebook: Rulebook, settings: ProgressSettings
) -> None:
    """Past the assessment's limit of groups the import puts the smallest departments together:
    their users, and those of a department first seen later, are that group's."""
    people = People(24)
    small = [u for i in range(1010) for u in people.users(f"Enhet {i:04d}", "Kiruna", 1)]
    large = [u for i in range(3) for u in people.users(f"Förvaltning {i}", "Luleå", 20)]
    assessment, plan = _imported(rulebook, [*small, *large], [])
    together = [g for g in assessment.groups if g.other_departments]
    assert len(together) == 1
    assert together[0].departments == []  # not 1,000 names: every other department
    later = people.users("Enhet ny", "Kiruna", 2)
    users = [*small, *large, *later]
    progress = measure(assessment, plan, users, devices(users, ["windows"]), today=TODAY, settings=settings)
    assert progress.unmatched.users_in_no_group == 0
    found = {g.group: g.users for g in progress.groups}
    assert found[together[0].id] == together[0].users + 2  # the departments put together, and the new one
    assert all(n == 20 for g, n in found.items() if g.startswith("forvaltning"))


def test_sites_past_a_groups_limit_fill_its_other_sites_placement(
    rulebook: Rulebook, settings: ProgressSettings
) -> None:
    """A department at more sites than a group may list: the smallest are its "Other sites", and
    their devices fill that placement when the plan cuts by geography."""
    people = People(25)
    field = [u for i in range(230) for u in people.users("Fältservice", f"Ort {i:03d}", 1 if i >= 100 else 3)]
    it = people.users("IT", "Luleå", 30)
    users = [*field, *it]
    assessment, plan = _imported(rulebook, users, [], split_by="geography")
    group = next(g for g in assessment.groups if g.name == "Fältservice")
    assert "Other sites" in group.locations
    progress = measure(assessment, plan, users, devices(users, ["windows"]), today=TODAY, settings=settings)
    assert progress.unmatched.users_in_no_group == 0
    mine = [p for p in progress.placements if p.group == group.id]
    assert all(p.enrolled == p.planned for p in mine), [p for p in mine if p.enrolled != p.planned]
    assert progress.unmatched.devices_over_plan == 0
