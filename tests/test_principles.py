"""The principles a consultant checks before signing a plan, held for random organisations.

Each test draws assessments (tests/strategies.py: every answer, the divisions by platform and
site, countries, quiet months, months to avoid) and plans them with the plain-Python oracle; the
engine is held to the oracle in tests/test_engine.py.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hypothesis import HealthCheck, given, reject, settings

from advisor.evaluate.oracle import OracleEvaluator
from advisor.model.errors import RolloutTooLong
from advisor.model.facts import Assessment, Group, parse_assessment, site_key
from advisor.model.methods import METHODS
from advisor.model.plan import Plan
from advisor.planning.planner import make_plan
from advisor.rulebook import Rulebook
from tests.strategies import assessments

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KIND_ORDER = {"limited_pilot": 0, "expanded_pilot": 1, "production": 2}


def _planned(data: dict[str, Any], rulebook: Rulebook) -> tuple[Assessment, Plan]:
    """The assessment and its plan; an organisation refused past the ceiling is drawn again."""
    assessment = parse_assessment(data)
    try:
        return assessment, make_plan(assessment, OracleEvaluator(rulebook))
    except RolloutTooLong:
        reject()
        raise  # unreachable: reject() raises


def _quiet(assessment: Assessment, rulebook: Rulebook) -> set[str]:
    """The quiet months the plan must respect: the answer, else the rulebook's for the country
    (Sweden when the assessment is in Swedish and names none)."""
    org = assessment.organisation
    if org.quiet_months is not None:
        return set(org.quiet_months)
    country = org.country or ("SE" if org.language == "sv" else None)
    table = rulebook.tables["quiet_months"]
    return set(table.get(country or "", table["default"]))


def _hits(month: str, months: set[str]) -> bool:
    return month in months or month[5:] in months


def _groups(assessment: Assessment) -> dict[str, Group]:
    return {g.id: g for g in assessment.groups}


@SETTINGS
@given(data=assessments())
def test_every_platform_of_a_group_adds_up_to_its_users(data: dict[str, Any], rulebook: Rulebook) -> None:
    assessment, plan = _planned(data, rulebook)
    for group in assessment.groups:
        placements = plan.group(group.id).placements
        for platform in group.platforms:
            assert sum(p.users for p in placements if platform in p.platforms) == group.users, (
                group.id,
                platform,
            )
        # and every placement enrolls only what the group has
        for p in placements:
            assert set(p.platforms) <= set(group.platforms)
            assert {site_key(x) for x in p.locations} <= {site_key(x) for x in group.locations}


@SETTINGS
@given(data=assessments())
def test_phases_run_in_order_from_the_start_and_never_in_a_quiet_month(
    data: dict[str, Any], rulebook: Rulebook
) -> None:
    assessment, plan = _planned(data, rulebook)
    quiet = _quiet(assessment, rulebook)
    groups = _groups(assessment)
    order = [(KIND_ORDER[p.kind], p.number or 0, p.month) for p in plan.phases]
    assert order == sorted(order)
    numbers = [p.number for p in plan.phases if p.kind == "production"]
    assert numbers == list(range(1, len(numbers) + 1))
    production_months = [p.month for p in plan.phases if p.kind == "production"]
    assert production_months == sorted(set(production_months))  # one production phase a month
    start = assessment.organisation.rollout_start
    first = plan.phases[0]
    avoided = set().union(*(groups[e.group].avoid_months for e in first.entries))
    codes = {w.code for w in plan.warnings}
    if first.month != start:
        assert _hits(start, quiet | avoided)
        assert "quiet-month-skipped" in codes
    every_month_quiet = len({m[-2:] for m in quiet if len(m) == 2}) == 12
    for phase in plan.phases:
        if every_month_quiet:
            break
        assert not _hits(phase.month, quiet), (phase.title, phase.month, quiet)
        for entry in phase.entries:
            avoid = set(groups[entry.group].avoid_months)
            if len({m[-2:] for m in quiet | avoid if len(m) == 2}) < 12:
                assert not _hits(phase.month, avoid), (entry.group, phase.month, avoid)


@SETTINGS
@given(data=assessments())
def test_splits_hold_one_platform_or_one_site_and_one_approach_per_piece(
    data: dict[str, Any], rulebook: Rulebook
) -> None:
    assessment, plan = _planned(data, rulebook)
    split = plan.split_by.value
    groups = _groups(assessment)
    for phase in plan.phases:
        if phase.kind != "production":
            continue
        if split == "platform":  # each production month enrolls one platform
            assert len({p for e in phase.entries for p in e.platforms}) == 1, phase
        for entry in phase.entries:
            if split != "platform" and groups[entry.group].locations:  # placed site by site
                assert len(entry.locations) == 1, entry
    for group in plan.groups:
        approaches: dict[tuple[str, tuple[str, ...], tuple[str, ...]], set[str]] = defaultdict(set)
        for p in group.placements:
            approaches[(p.phase, tuple(p.platforms), tuple(p.locations))].add(p.enrollment)
        assert all(len(a) == 1 for a in approaches.values()), (group.id, approaches)


@SETTINGS
@given(data=assessments())
def test_pilots_hold_only_users_fit_for_them_and_say_so(data: dict[str, Any], rulebook: Rulebook) -> None:
    assessment, plan = _planned(data, rulebook)
    groups = _groups(assessment)
    for phase in plan.phases:
        for entry in phase.entries:
            group = groups[entry.group]
            if phase.kind == "limited_pilot":
                assert group.feedback
                assert not group.executives
                assert group.business_risk != "high"
            if phase.kind == "expanded_pilot":
                assert group.feedback
                assert group.business_risk != "high"
            if phase.kind != "production" and not group.it_department:  # a slice, never the whole
                assert any(p.phase == "production" for p in plan.group(group.id).placements)
    has_limited = any(p.kind == "limited_pilot" for p in plan.phases)
    codes = {w.code for w in plan.warnings}
    if plan.language == "en" and not has_limited:
        texts = [r.text for g in plan.groups for r in g.reasons]
        texts += [w.text for w in plan.warnings if w.code != "no-limited-pilot"]
        assert not [t for t in texts if "limited pilot" in t.casefold()]
    if not any(p.kind != "production" for p in plan.phases):
        assert "no-limited-pilot" in codes


def _devices(group: Group) -> int:
    """The group's devices, as the plan counts them: by platform where given, else its count."""
    if group.devices_by_platform:
        return sum(group.devices_by_platform.get(p, 0) for p in group.platforms)
    return group.device_count


@SETTINGS
@given(data=assessments())
def test_each_kind_of_device_has_one_method_that_fits_it(data: dict[str, Any], rulebook: Rulebook) -> None:
    """One method per platform and owner the group has (a mixed group: both owners), a method for
    that platform and that owner, and the methods' devices add up to the group's."""
    assessment, plan = _planned(data, rulebook)
    for group in assessment.groups:
        methods = plan.group(group.id).methods
        owners = ["corporate", "personal"] if group.ownership == "mixed" else [group.ownership]
        kinds = [(m.platform, m.ownership) for m in methods]
        assert sorted(kinds) == sorted((p, o) for p in group.platforms for o in owners), group.id
        for m in methods:
            spec = METHODS[m.method]
            assert spec.platform == m.platform, (group.id, m.method)
            assert m.ownership in spec.owners, (group.id, m.method)
        assert sum(m.devices for m in methods) == _devices(group), group.id


@SETTINGS
@given(data=assessments())
def test_no_device_is_reset_that_may_not_be(data: dict[str, Any], rulebook: Rulebook) -> None:
    """No personal device is ever reset, nor a corporate device the group keeps; a reset is only
    ever that of a method that resets, and the reset devices are warned about."""
    assessment, plan = _planned(data, rulebook)
    warned = {w.group for w in plan.warnings if w.code == "devices-reset"}
    for group in assessment.groups:
        for m in plan.group(group.id).methods:
            if m.ownership == "personal":
                assert not m.reset_required, (group.id, m.method)
                assert not METHODS[m.method].resets, (group.id, m.method)
            if group.corporate_devices == "in_use_keep":
                assert not m.reset_required, (group.id, m.method)
                assert not METHODS[m.method].resets, (group.id, m.method)
            if m.reset_required:
                assert METHODS[m.method].resets, (group.id, m.method)
        reset = sum(m.devices for m in plan.group(group.id).methods if m.reset_required)
        assert (group.id in warned) == (reset > 0), group.id


@SETTINGS
@given(data=assessments())
def test_prerequisites_fall_due_before_the_first_phase_that_needs_them(
    data: dict[str, Any], rulebook: Rulebook
) -> None:
    """Every code a method lists is in the plan's prerequisites, due before the group's first
    month on that platform; a requirement's, before the group's first month; those of every
    rollout, before its first phase."""
    assessment, plan = _planned(data, rulebook)
    due = {p.code: p.due for p in plan.prerequisites}
    assert len(due) == len(plan.prerequisites)  # each listed once

    def first_day(month: str) -> str:
        return f"{month}-01"

    months = [p.month for g in plan.groups for p in g.placements]
    if not months:
        return
    start = min(months)
    groups = _groups(assessment)
    for code in rulebook.tables["method_prerequisites"]["all"]:  # every rollout's: before it starts
        assert due[code] < first_day(start), code
    by_requirement = rulebook.tables["requirement_prerequisites"]
    for group_plan in plan.groups:  # a requirement's: before the first phase of a group that enrolls
        first = min(x.month for x in group_plan.placements)
        if not any(METHODS[m.method].enrolls and m.devices for m in group_plan.methods):
            continue  # app protection only: no device to set a requirement up on
        for requirement in groups[group_plan.id].requirements:
            for code in by_requirement.get(requirement, ()):
                assert due[code] < first_day(first), (group_plan.id, requirement, code)
                assert group_plan.id in {g for p in plan.prerequisites if p.code == code for g in p.groups}
    for group_plan in plan.groups:
        group = groups[group_plan.id]
        for m in group_plan.methods:
            placed = [
                x.month for x in group_plan.placements if m.platform in (x.platforms or group.platforms)
            ]
            if not m.devices or not placed:
                continue
            for code in m.prerequisites:
                assert code in due, (group.id, m.method, code)
                assert group.id in next(p.groups for p in plan.prerequisites if p.code == code)
                assert due[code] < first_day(min(placed)), (group.id, m.method, code)
