"""The rollout as a calendar (issue 13): dated events on working days, gates with criteria and
rollback, go/no-go decisions that move the later phases, and the helpdesk's load per week."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import holidays
import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from advisor.evaluate.engine import Engine
from advisor.evaluate.oracle import OracleEvaluator
from advisor.model.errors import InputError, RolloutTooLong
from advisor.model.facts import Assessment, loads_assessment
from advisor.model.plan import Plan
from advisor.model.vocabulary import CRITERIA, MESSAGE_KINDS, day_name
from advisor.planning.planner import make_plan
from advisor.rulebook.loader import Rulebook
from tests.conftest import ROOT
from tests.strategies import assessments


def _plan(engine: Engine, data: dict[str, Any], language: str | None = None) -> Plan:
    with engine.version() as compiled:
        return make_plan(Assessment.model_validate(data), compiled, language)  # type: ignore[arg-type]  # a test passes the language as text


def _swedish(**organisation: Any) -> dict[str, Any]:
    """A Swedish organisation with a pilot group, a tech fair group at three sites and a big one."""
    return {
        "version": 1,
        "organisation": {
            "name": "Norrland",
            "rollout_start": "2027-06",
            "language": "sv",
            "country": "SE",
            "support_capacity": 400,
            **organisation,
        },
        "groups": [
            {
                "id": "it",
                "name": "IT",
                "users": 40,
                "platforms": ["windows"],
                "it_department": True,
                "change_readiness": "high",
                "feedback": True,
                "needs_help": "low",
                "business_risk": "low",
                "requirements": ["compliance"],
            },
            {
                "id": "drivers",
                "name": "Drivers",
                "users": 120,
                "platforms": ["android"],
                "locations": ["Umeå", "Luleå", "Skellefteå"],
                "needs_help": "high",
            },
            {"id": "office", "name": "Office", "users": 300, "platforms": ["windows", "ios"]},
        ],
    }


def _events(plan: Plan, kind: str, group: str | None = None) -> list[str]:
    return [e.date for e in plan.calendar if e.kind == kind and (group is None or e.group == group)]


def test_the_guide_example_gets_a_calendar_on_working_days(engine: Engine, contoso: Assessment) -> None:
    with engine.version() as compiled:
        plan = make_plan(contoso, compiled)
    assert [e.date for e in plan.calendar] == sorted(e.date for e in plan.calendar)
    assert all(date.fromisoformat(e.date).weekday() < 5 for e in plan.calendar)
    # One training and one kickoff for everyone, in that order before the first announcement.
    (training,) = _events(plan, "training")
    (kickoff,) = _events(plan, "kickoff")
    assert training < kickoff < min(_events(plan, "announce"))
    # Every group gets its messages and window in each phase it enrolls in.
    for group in plan.groups:
        phases = {(p.phase, p.number) for p in group.placements}
        for phase, number in phases:
            mine = [
                e for e in plan.calendar if e.group == group.id and (e.phase, e.number) == (phase, number)
            ]
            kinds: list[str] = [e.kind for e in mine]
            assert kinds.count("announce") == 2
            for kind in ("instructions", "enrollment_start", "reminder", "enrollment_end", "follow_up"):
                assert kinds.count(kind) == 1, (group.id, phase, kind)
            on: dict[str, str] = {e.kind: e.date for e in mine}
            assert max(e.date for e in mine if e.kind == "announce") <= on["instructions"]
            assert on["instructions"] <= on["enrollment_start"] <= on["reminder"] <= on["enrollment_end"]
            assert on["enrollment_end"] < on["follow_up"]
            # The window lies in the phase's month.
            month = next(p.month for p in group.placements if (p.phase, p.number) == (phase, number))
            assert on["enrollment_start"][:7] == month
    # A gate after every phase but the last, after its window closes and before the next opens.
    assert len(plan.gates) == len(plan.phases) - 1 == 4
    for gate in plan.gates:
        ends = [
            e.date
            for e in plan.calendar
            if e.kind == "enrollment_end" and e.phase == gate.after.phase and e.number == gate.after.number
        ]
        assert gate.before is not None
        starts = [
            e.date
            for e in plan.calendar
            if e.kind == "enrollment_start"
            and e.phase == gate.before.phase
            and e.number == gate.before.number
        ]
        assert max(ends) < gate.date < min(starts)
        # The review follows the phase it reviews, after the follow-up's survey went out.
        follow_ups = [
            e.date
            for e in plan.calendar
            if e.kind == "follow_up" and e.phase == gate.after.phase and e.number == gate.after.number
        ]
        assert max(follow_ups) < gate.date
        assert {c.unit for c in gate.criteria} <= {"percent", "per_100_users", "count"}
        assert all(c.provenance == "beyond_guide" for c in gate.criteria)
        assert gate.rollback
        assert all(step.groups for step in gate.rollback)
    # The pilots ask for feedback; IT needs compliance, so its devices must be compliant.
    limited = plan.gates[0]
    assert [c.code for c in limited.criteria] == list(CRITERIA)
    assert [s.code for s in limited.rollback] == [
        "stop-new-enrollments",
        "conditional-access-exclude",
        "fix-wrongly-enrolled",
        "hold-next-phase",
    ]
    assert limited.rollback[-1].groups == ["it", "it-executives"]  # the expanded pilot's groups
    # Retail (production 2) neither gives feedback nor needs compliance.
    retail = plan.gates[2]
    assert [c.code for c in retail.criteria] == [
        "enrollment_success",
        "tickets_per_100_users",
        "blocking_issues",
    ]
    # The rulebook's thresholds, the unit each is measured in.
    success = limited.criteria[0]
    assert (success.threshold, success.unit, success.at_least) == (95, "percent", True)
    assert limited.criteria[3].text == "No blocking issue open"
    # Contoso names no country: weekends only, and the plan says so.
    assert any(w.code == "holidays-not-known" for w in plan.warnings)


def test_the_example_keeps_its_phases(engine: Engine, contoso: Assessment) -> None:
    """The calendar adds days; the guide's months and groups stay exactly as they were."""
    with engine.version() as compiled:
        plan = make_plan(contoso, compiled)
    assert [(p.title, p.month) for p in plan.phases] == [
        ("Limited pilot", "2027-07"),
        ("Expanded pilot", "2027-07"),
        ("Production phase 1", "2027-08"),
        ("Production phase 2", "2027-09"),
        ("Production phase 3", "2027-10"),
    ]


def test_no_event_falls_on_a_swedish_holiday_or_in_the_summer(engine: Engine) -> None:
    plan = _plan(engine, _swedish())
    off = holidays.country_holidays("SE", years=range(2026, 2029), categories=("public", "de_facto"))
    for event in plan.calendar:
        day = date.fromisoformat(event.date)
        assert day.weekday() < 5, event
        assert day not in off, event
        assert event.date[5:7] not in ("07", "12"), event  # Sweden's quiet months
    assert date(2027, 6, 25) in off  # Midsummer Eve is a day off in practice, and skipped
    assert not any(w.code == "holidays-not-known" for w in plan.warnings)
    # The second phase opens in August, after the summer: its messages go out once people are back,
    # and enrollment opens the week after.
    august = [e for e in plan.calendar if e.phase != "limited_pilot" and e.group is not None]
    opens = min(e.date for e in august if e.kind == "enrollment_start")
    first_back = min(e.date for e in august)
    assert first_back.startswith("2027-08")
    assert opens > first_back
    assert date.fromisoformat(opens).isocalendar().week > date.fromisoformat(first_back).isocalendar().week


def test_a_tech_fair_is_held_at_each_site_that_has_one(engine: Engine) -> None:
    scenario = yaml.safe_load((ROOT / "rules" / "scenarios" / "drivers-tech-fair-per-site.yaml").read_text())
    plan = _plan(engine, scenario["assessment"], "en")
    approaches = {p.locations[0]: p.enrollment for p in plan.group("drivers").placements}
    assert approaches == {"Stockholm": "tech_fair", "Oslo": "tech_fair", "Copenhagen": "assisted"}
    fairs = [e for e in plan.calendar if e.kind == "tech_fair"]
    assert [e.location for e in fairs] == ["Stockholm", "Oslo"]  # not Copenhagen: assisted there
    assert all(e.group == "drivers" for e in fairs)
    # 500 users at Stockholm take five days at 100 a day; Oslo's fair follows them.
    assert "5 days" in fairs[0].text
    assert "500" in fairs[0].text
    assert (date.fromisoformat(fairs[1].date) - date.fromisoformat(fairs[0].date)).days >= 7
    opens = _events(plan, "enrollment_start", "drivers")[0]
    closes = _events(plan, "enrollment_end", "drivers")[0]
    assert all(opens <= e.date <= closes for e in fairs)
    # The fair is the extra support: its share of the load is not the helpdesk's.
    assert not any(w.code == "support-week-over-capacity" for w in plan.warnings)


def test_the_assessment_adjusts_the_thresholds(engine: Engine) -> None:
    plan = _plan(engine, _swedish(gate_thresholds={"enrollment_success": 99, "tickets_per_100_users": 5}))
    criteria = {c.code: c for c in plan.gates[0].criteria}
    assert criteria["enrollment_success"].threshold == 99
    assert criteria["tickets_per_100_users"].threshold == 5
    assert criteria["feedback"].threshold == 30  # the rulebook's, left as it was
    assert "99" in criteria["enrollment_success"].text


def test_a_percentage_over_100_is_refused() -> None:
    with pytest.raises(ValueError, match="at most 100"):
        Assessment.model_validate(_swedish(gate_thresholds={"feedback": 120}))


def test_a_no_go_moves_the_later_phases_from_its_date(engine: Engine) -> None:
    before = _plan(engine, _swedish(), "en")
    gate = before.gates[0]
    decision = {
        "after": {"phase": gate.after.phase, "number": gate.after.number},
        "outcome": "no_go",
        "by": "Ingrid, IT lead",
        "date": gate.date,
        "note": "Compliance blocked 4 of 40 laptops.\nFixing the policy.",
    }
    after = _plan(engine, {**_swedish(), "gate_decisions": [decision]}, "en")
    months_before = [p.month for p in before.phases]
    months_after = [p.month for p in after.phases]
    assert months_after[0] == months_before[0]  # the phase reviewed stays where it was
    assert all(b > a for a, b in zip(months_before[1:], months_after[1:], strict=True))
    (held,) = [w for w in after.warnings if w.code == "gate-no-go"]
    assert "rollback" in held.text
    assert after.gates[0].decisions[0].outcome == "no_go"
    assert after.gates[0].decisions[0].note.startswith("Compliance")
    # A later go at the same gate keeps the phases where the no-go put them.
    go = {
        **decision,
        "outcome": "go",
        "date": (date.fromisoformat(gate.date) + timedelta(days=30)).isoformat(),
    }
    confirmed = _plan(engine, {**_swedish(), "gate_decisions": [decision, go]}, "en")
    assert [p.month for p in confirmed.phases] == months_after
    assert [d.outcome for d in confirmed.gates[0].decisions] == ["no_go", "go"]


def test_a_decision_at_a_gate_the_plan_does_not_have_is_kept_and_said(engine: Engine) -> None:
    decision = {
        "after": {"phase": "production", "number": 9},
        "outcome": "no_go",
        "by": "Ingrid",
        "date": "2027-06-01",
    }
    plan = _plan(engine, {**_swedish(), "gate_decisions": [decision]}, "en")
    assert any(w.code == "gate-decision-unmatched" for w in plan.warnings)
    assert all(not g.decisions for g in plan.gates)


def test_a_decision_date_must_exist() -> None:
    decision = {"after": {"phase": "limited_pilot"}, "outcome": "go", "by": "Ingrid", "date": "2027-02-30"}
    with pytest.raises(ValueError, match="not a date of the calendar"):
        Assessment.model_validate({**_swedish(), "gate_decisions": [decision]})


def test_a_week_over_the_helpdesks_capacity_names_its_group(engine: Engine) -> None:
    scenario = yaml.safe_load((ROOT / "rules" / "scenarios" / "pilot-over-capacity.yaml").read_text())
    plan = _plan(engine, scenario["assessment"], "en")
    assert plan.support_load
    assert all(date.fromisoformat(w.week).weekday() == 0 for w in plan.support_load)
    weeks = [w.week for w in plan.support_load]
    assert weeks == sorted(set(weeks))
    over = [w for w in plan.support_load if w.over]
    assert over  # the pilots crowd a month's users into its first half
    assert all(w.capacity is not None and w.load > w.capacity * 1.25 for w in over)
    (warning,) = [w for w in plan.warnings if w.code == "support-week-over-capacity"]
    assert warning.group in {g.id for g in plan.groups}
    assert plan.group(warning.group).name in warning.text
    assert all(day_name(w.week, "en") in warning.text for w in over)
    no_capacity = _plan(
        engine,
        {
            **scenario["assessment"],
            "organisation": {**scenario["assessment"]["organisation"], "support_capacity": None},
        },
        "en",
    )
    assert all(w.capacity is None for w in no_capacity.support_load)
    assert not any(w.over for w in no_capacity.support_load)
    assert not any(w.code == "support-week-over-capacity" for w in no_capacity.warnings)


def test_the_calendar_speaks_swedish(engine: Engine) -> None:
    plan = _plan(engine, _swedish(), "sv")
    training = next(e for e in plan.calendar if e.kind == "training")
    assert training.title == "Utbildning av supporten"
    assert plan.gates[0].criteria[0].text.startswith("Minst 95 % av de enheter fasen omfattar")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=assessments(max_groups=5))
def test_every_event_of_any_plan_falls_on_a_working_day_outside_the_quiet_months(
    rulebook: Rulebook, data: dict[str, Any]
) -> None:
    """Random organisations: each event on a working day of its country, none in a quiet month,
    each group's steps in order, each gate between the phases it separates."""
    assessment = Assessment.model_validate(data)
    try:
        plan = make_plan(assessment, OracleEvaluator(rulebook))
    except RolloutTooLong:  # a rollout past the ceiling is refused, never half-planned
        return
    org = assessment.organisation
    country = org.country or ("SE" if org.language == "sv" else None)
    off: Any = {}
    if country:
        known = holidays.country_holidays(country).supported_categories
        categories = tuple(c for c in rulebook.lists["holiday_categories"] if c in known)
        off = holidays.country_holidays(country, years=range(2025, 2037), categories=categories)
    quiet = (
        set(org.quiet_months)
        if org.quiet_months is not None
        else set(
            rulebook.tables["quiet_months"].get(country or "", rulebook.tables["quiet_months"]["default"])
        )
    )
    for event in plan.calendar:
        day = date.fromisoformat(event.date)
        assert day.weekday() < 5, event
        assert day not in off, event
        assert event.date[:7] not in quiet, event
        assert event.date[5:7] not in quiet, event
        if event.group is not None:
            avoided = next(g.avoid_months for g in assessment.groups if g.id == event.group)
            if event.kind != "tech_fair":
                assert event.date[:7] not in avoided, event
                assert event.date[5:7] not in avoided, event
    steps: dict[tuple[str | None, str, int | None], dict[str, str]] = {}
    for event in plan.calendar:
        steps.setdefault((event.group, event.phase, event.number), {}).setdefault(event.kind, event.date)
    for (group, _, _), on in steps.items():
        if group is None:
            continue
        assert on["enrollment_start"] <= on["reminder"] <= on["enrollment_end"] < on["follow_up"]
        assert on["announce"] <= on["enrollment_start"]
    for gate in plan.gates:
        assert gate.before is not None
        opens = steps.get((None, gate.after.phase, gate.after.number), {})
        assert opens.get("gate") == gate.date
        ends = [
            e.date
            for e in plan.calendar
            if e.kind == "enrollment_end" and (e.phase, e.number) == (gate.after.phase, gate.after.number)
        ]
        starts = [
            e.date
            for e in plan.calendar
            if e.kind == "enrollment_start" and (e.phase, e.number) == (gate.before.phase, gate.before.number)
        ]
        assert max(ends) <= gate.date < min(starts)
    assert len(plan.gates) == max(0, len(plan.phases) - 1)
    # Messages: one of each kind per group and phase (two announcements).
    per_group = sum(1 for key in steps if key[0] is not None)
    assert sum(e.kind in MESSAGE_KINDS for e in plan.calendar) == per_group * (len(MESSAGE_KINDS) + 1)


def test_without_a_country_new_year_and_christmas_are_still_days_off(engine: Engine) -> None:
    data = _swedish(country=None, language="en", rollout_start="2027-01", quiet_months=[])
    plan = _plan(engine, data, "en")
    days = {e.date[5:] for e in plan.calendar}
    assert not days & {"01-01", "12-25", "12-26"}
    assert min(e.date for e in plan.calendar if e.kind == "enrollment_start") == "2027-01-04"
    (note,) = [w for w in plan.warnings if w.code == "holidays-not-known"]
    assert "1 January" in note.text


def test_steps_already_past_are_warned_about(engine: Engine, contoso: Assessment) -> None:
    with engine.version() as compiled:
        plan = make_plan(contoso, compiled, today=date(2027, 6, 20))
    (past,) = [w for w in plan.warnings if w.code == "calendar-in-the-past"]
    assert past.severity == "warning"
    assert "2 June 2027" in past.text  # the helpdesk training, the first step
    with engine.version() as compiled:
        early = make_plan(contoso, compiled, today=date(2027, 1, 4))
    assert not any(w.code == "calendar-in-the-past" for w in early.warnings)


def test_a_hand_written_file_reads_as_meant() -> None:
    """YAML 1.1 reads a bare NO as false and an unquoted date as a date: the date is taken as
    written, and the country is refused with the reason rather than taken for no country."""
    text = (
        "version: 1\norganisation: {name: X, rollout_start: 2027-09, country: %s}\n"
        "groups: [{id: a, name: A, users: 3, platforms: [ios]}]\n"
        "gate_decisions: [{after: {phase: limited_pilot}, outcome: go, by: me, date: 2027-09-20}]\n"
    )
    assessment = loads_assessment(text % '"NO"', "file")
    assert assessment.gate_decisions[0].date == "2027-09-20"
    assert assessment.organisation.country == "NO"
    with pytest.raises(InputError, match='write "NO"'):
        loads_assessment(text % "NO", "file")


@pytest.mark.parametrize(
    ("start", "avoid"),
    [("0001-05", ["01", "02", "03", "04"]), ("9999-06", ["07", "08", "09", "10", "11", "12"])],
)
def test_months_to_avoid_never_push_the_calendar_past_the_years_dates_have(
    engine: Engine, contoso: Assessment, start: str, avoid: list[str]
) -> None:
    data = contoso.model_dump(mode="json")
    data["organisation"].update(rollout_start=start, quiet_months=[])
    data["groups"] = [{**g, "avoid_months": avoid} for g in data["groups"][:1]]
    with pytest.raises(RolloutTooLong) as refused:
        _plan(engine, data)
    assert refused.value.problems[0].path == "organisation.rollout_start"


def test_a_groups_window_closes_before_a_month_it_avoids(engine: Engine) -> None:
    data = _swedish(rollout_start="2026-01", quiet_months=[])
    data["groups"] = [{**data["groups"][0], "avoid_months": ["02"]}]
    plan = _plan(engine, data, "en")
    for event in plan.calendar:
        if event.group == "it":
            assert event.date[5:7] != "02", event
