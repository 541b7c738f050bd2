"""A plan's size and the work to build it are bounded by construction (issue 9, item 1).

The output grows with the groups, their platforms and sites, and the months, never with
users ÷ support capacity; a rollout longer than the ceiling on months is refused with the reason.
The worst input comes from the contract's JSON Schema (tests/worst.py), not from today's planner.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from advisor.evaluate.engine import Engine
from advisor.model.errors import RolloutTooLong
from advisor.model.facts import Assessment, load_assessment
from advisor.model.plan import MAX_ROLLOUT_MONTHS, Plan
from advisor.planning.layout import Piece, TooManyPhases, Unit, pack
from advisor.planning.planner import make_plan
from tests.conftest import ROOT
from tests.worst import smallest_capacity, split_values, worst_assessment

# What one group and one placement may cost in the plan JSON at most: reasons, alternatives and
# their texts for a group; per placement, its phase, month, users, approach, platforms and site
# (written twice: in the group's placements and in the phase's entries; a site up to 200
# characters) and the reason for its approach, which quotes its own numbers.
BYTES_PER_GROUP = 4096
BYTES_PER_PLACEMENT = 2560


def _with_capacity(assessment: Assessment, capacity: int | None) -> Assessment:
    return assessment.model_copy(
        update={"organisation": assessment.organisation.model_copy(update={"support_capacity": capacity})}
    )


def _assert_bounded(assessment: Assessment, plan: Plan, ceiling: int) -> None:
    placements = sum(len(g.placements) for g in plan.groups)
    # A group is cut at most once per month boundary, and once per platform and site it holds.
    units = sum(len(g.platforms) * max(1, len(g.locations)) for g in assessment.groups)
    months = {p.month for p in plan.phases}
    assert len(months) <= ceiling
    assert len(plan.phases) <= ceiling + 1  # the two pilots may share the first month
    assert placements <= units + len(plan.phases)
    # The calendar: per group and phase, two announcements, the instructions, the window's opening
    # and closing, a reminder and a follow-up, and a tech fair per site; a gate between phases; a
    # week of the helpdesk's load per week of the rollout (at most 5 weeks a month, and one more).
    group_phases = {(e.group, e.phase, e.number) for e in plan.calendar if e.group is not None}
    assert len(group_phases) <= placements
    fairs = sum(e.kind == "tech_fair" for e in plan.calendar)
    assert fairs <= sum(max(1, len(p.locations)) for g in plan.groups for p in g.placements)
    assert len(plan.calendar) == 2 + 7 * len(group_phases) + fairs + len(plan.gates)
    assert len(plan.gates) <= len(plan.phases)
    first, last = plan.phases[0].month, plan.phases[-1].month
    span = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1
    assert len(plan.support_load) <= 5 * (span + 2) + 1  # with the lead-up and the follow-up
    for event in plan.calendar:  # an event names its group once, its site once
        assert len(event.model_dump_json().encode()) <= 1024 + 2 * len((event.location or "").encode())
    size = len(plan.model_dump_json().encode())
    # A placement also lists the sites it enrolls (a pilot or a platform's piece holds all of the
    # group's): written twice, as the input wrote them once for the group.
    sites = sum(len(json.dumps(p.locations).encode()) for g in plan.groups for p in g.placements)
    assert size <= BYTES_PER_GROUP * len(plan.groups) + BYTES_PER_PLACEMENT * placements + 2 * sites


def test_the_reported_attack_is_refused_with_its_reason(engine: Engine) -> None:
    """The guide's example, support_capacity 1 and one group of 100,000 users: 26 MB before."""
    data: dict[str, Any] = load_assessment(ROOT / "examples" / "contoso.yaml").model_dump(mode="json")
    data["organisation"]["support_capacity"] = 1
    data["groups"].append({"id": "huge", "name": "Huge", "users": 100_000, "platforms": ["windows"]})
    assessment = Assessment.model_validate(data)
    with engine.version() as compiled, pytest.raises(RolloutTooLong) as refused:
        make_plan(assessment, compiled)
    (problem,) = refused.value.problems
    assert problem.path == "organisation.support_capacity"
    assert f"at most {MAX_ROLLOUT_MONTHS}" in problem.message
    assert refused.value.months > MAX_ROLLOUT_MONTHS
    # The capacity it names is enough for the users outside the pilots to fit the ceiling.
    suggested = int(problem.message.split("at least ")[2].split(" ")[0])
    with engine.version() as compiled:
        plan = make_plan(_with_capacity(assessment, suggested), compiled)
    first, last = plan.phases[0].month, plan.phases[-1].month  # quiet Decembers skipped within
    assert (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1 == MAX_ROLLOUT_MONTHS
    with engine.version() as compiled, pytest.raises(RolloutTooLong):
        make_plan(_with_capacity(assessment, suggested - 1), compiled)


def test_the_reason_speaks_swedish(engine: Engine, contoso: Assessment) -> None:
    with engine.version() as compiled, pytest.raises(RolloutTooLong) as refused:
        make_plan(_with_capacity(contoso, 1), compiled, "sv")
    assert "högst 60" in refused.value.problems[0].message


@pytest.mark.parametrize("ceiling", [3, 12])
def test_the_ceiling_is_a_setting(engine: Engine, contoso: Assessment, ceiling: int) -> None:
    with engine.version() as compiled:
        fits = make_plan(contoso, compiled, max_months=4)  # the guide's example runs 4 months
        assert len({p.month for p in fits.phases}) == 4
        if ceiling < 4:
            with pytest.raises(RolloutTooLong):
                make_plan(contoso, compiled, max_months=ceiling)
        else:
            assert make_plan(contoso, compiled, max_months=ceiling) == fits


def test_a_rollout_may_not_run_past_the_calendar(engine: Engine, contoso: Assessment) -> None:
    late = contoso.model_copy(
        update={"organisation": contoso.organisation.model_copy(update={"rollout_start": "9999-10"})}
    )
    with engine.version() as compiled, pytest.raises(RolloutTooLong) as refused:
        make_plan(late, compiled)
    assert refused.value.problems[0].path == "organisation.rollout_start"


@pytest.mark.parametrize("start", ["0000-01", "0001-04", "9999-07"])
def test_a_calendar_never_runs_past_the_years_dates_have(
    engine: Engine, contoso: Assessment, start: str
) -> None:
    """The calendar's lead-up and follow-up reach months beyond the phases: refused with the reason,
    never a crash."""
    one = contoso.model_copy(
        update={
            "organisation": contoso.organisation.model_copy(update={"rollout_start": start}),
            "groups": contoso.groups[:1],
        }
    )
    with engine.version() as compiled, pytest.raises(RolloutTooLong) as refused:
        make_plan(one, compiled)
    assert refused.value.problems[0].path == "organisation.rollout_start"
    assert "calendar" in refused.value.problems[0].message or "9999" in refused.value.problems[0].message


def test_packing_never_builds_past_its_allowance(contoso: Assessment) -> None:
    pieces = [Piece(i, g.users, g.device_count, (), (), "", "middle") for i, g in enumerate(contoso.groups)]
    units = [[Unit("all", tuple(range(len(pieces))))]]
    with pytest.raises(TooManyPhases):
        pack(units, pieces, capacity=1, max_slots=10)
    assert len(pack(units, pieces, capacity=None, max_slots=1)) == 1


@pytest.fixture(scope="module")
def worst() -> Assessment:
    # Each group's users capped so that even a platform split (which counts each platform's load)
    # fits the ceiling at the largest capacity: the bounds below are measured on a real plan.
    return Assessment.model_validate(
        worst_assessment(capacity=smallest_capacity(), split_by="auto", users=1_000_000, calendar=False)
    )


@pytest.mark.parametrize("split_by", split_values())
def test_the_worst_input_is_refused_or_bounded(engine: Engine, worst: Assessment, split_by: str) -> None:
    """Most groups, sites, platforms and users: the smallest capacity is refused; the smallest
    capacity that is accepted (to within 5 %) gives a plan within the structural bounds."""
    organisation = worst.organisation.model_copy(update={"split_by": split_by})
    assessment = worst.model_copy(update={"organisation": organisation})
    with engine.version() as compiled:
        with pytest.raises(RolloutTooLong) as refused:
            make_plan(assessment, compiled)
        maximum = 100_000_000  # the schema's largest support_capacity
        # The refusal names a capacity the plan needs at least: the search starts there.
        named = re.search(r"at least (\d+) users a month", refused.value.problems[0].message)
        capacity = int(named.group(1)) if named else smallest_capacity()
        # Upwards from there, by refusals only (a refusal takes seconds; an accepted plan of this
        # input tens of seconds, a geography split being a hundred thousand placements, each with
        # its calendar): each refusal says how many months its capacity needs, and the months
        # shrink as the capacity grows, so the next try is the capacity times months / ceiling,
        # never more than 5 % above the last refusal. The first capacity that plans is then within
        # 5 % of the smallest accepted one: its plan is within a few months of the ceiling, and it
        # is the only plan made.
        low = capacity
        while True:
            try:
                plan = make_plan(_with_capacity(assessment, capacity), compiled)
                break
            except RolloutTooLong as too_long:
                months = too_long.months
            assert capacity < maximum, "the largest capacity must plan: find another worst input"
            low = capacity + 1
            estimate = -(-capacity * months // MAX_ROLLOUT_MONTHS)
            capacity = min(maximum, max(low, min(estimate, capacity + capacity // 20)))
        high = capacity
        assert high - low <= high // 20
    # The bounds are measured on a real plan, never only on refusals.
    _assert_bounded(assessment, plan, MAX_ROLLOUT_MONTHS)


def test_the_worst_input_is_larger_than_its_plan() -> None:
    """The bound above is not vacuous: the worst input is hundreds of megabytes of answers."""
    data = worst_assessment(capacity=1, split_by="auto")
    assert len(data["groups"]) == 1000
    assert {len(g["platforms"]) for g in data["groups"]} == {4}
    assert len(json.dumps(data)) > 100_000_000
