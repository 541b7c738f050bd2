"""Go/no-go decisions at the gates, in the core without the site: who may, what is kept, what is
refused, and what a decision does to the plan and to the review."""

from __future__ import annotations

import copy
import logging
from datetime import date
from typing import Any

import pytest
import yaml

from advisor.model.errors import RolloutTooLong
from advisor.model.plan import Plan
from advisor.services import gates, review
from advisor.services.assessments import AssessmentNotFound, create, stored_plan
from advisor.services.gates import GateProblem, GateRefused
from advisor.services.runtime import Services
from advisor.store.assessments import StaleRevision, versions
from advisor.store.reviews import review_events
from advisor.store.tables import AssessmentRecord, ReviewAction, ReviewStatus, User, VersionKind
from tests.conftest import ROOT, account

CONTOSO: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
# Under way: the limited pilot in March 2026, its gate on 13 March, the expanded pilot's on 30 March.
UNDER_WAY: dict[str, Any] = copy.deepcopy(CONTOSO)
UNDER_WAY["organisation"]["rollout_start"] = "2026-03"
TODAY = date(2026, 4, 2)


@pytest.fixture
def anna(instance: Services) -> User:
    return account(instance, "anna")


@pytest.fixture
def lead(instance: Services) -> User:
    return account(instance, "lead", "reviewer")


def _new(instance: Services, owner: User, answers: dict[str, Any] = UNDER_WAY) -> int:
    return create(instance, owner, "Contoso", copy.deepcopy(answers), VersionKind.EDIT, "plan")


def _record(instance: Services, assessment_id: int) -> AssessmentRecord:
    with instance.store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        return record


def _plan(instance: Services, assessment_id: int) -> Plan:
    plan = stored_plan(_record(instance, assessment_id).plan, "en")
    assert plan is not None
    return plan


def _decide(
    instance: Services,
    actor: User,
    assessment_id: int,
    phase: str = "limited_pilot",
    number: int | None = None,
    outcome: str = "go",
    on: str = "2026-03-13",
    note: str = "",
    revision: int | None = -1,
) -> Any:
    seen = _record(instance, assessment_id).revision if revision == -1 else revision
    return gates.decide_gate(
        instance, actor, assessment_id, phase, number, outcome, on, note, seen, today=TODAY
    )


def test_a_go_is_kept_as_a_version_with_its_review_event(
    instance: Services, anna: User, lead: User, caplog: pytest.LogCaptureFixture
) -> None:
    assessment_id = _new(instance, anna)
    before = _plan(instance, assessment_id)
    caplog.set_level(logging.INFO, logger="advisor.review")
    made = _decide(instance, lead, assessment_id, note="  All four criteria met.  ")
    assert (made.kind, made.author_id, made.number) == (VersionKind.GATE, lead.id, 2)
    assert made.answers["gate_decisions"] == [
        {
            "after": {"phase": "limited_pilot"},
            "outcome": "go",
            "by": "lead",
            "date": "2026-03-13",
            "note": "All four criteria met.",
        }
    ]
    plan = _plan(instance, assessment_id)
    gate = gates.gate_after(plan, "limited_pilot", None)
    assert gate is not None
    assert [(d.outcome, d.by, d.date, d.note) for d in gate.decisions] == [
        ("go", "lead", "2026-03-13", "All four criteria met.")
    ]
    assert [p.month for p in plan.phases] == [p.month for p in before.phases]  # a go moves nothing
    with instance.store.session() as db:
        (last,) = review_events(db, assessment_id)
    assert (last.action, last.text, last.target, last.version_number, last.actor_id) == (
        ReviewAction.GATE_DECIDED,
        "go: All four criteria met.",
        "gate:limited_pilot",
        2,
        lead.id,
    )
    (logged,) = [r for r in caplog.records if r.getMessage() == "review.gate_decided"]
    assert logged.fields["outcome"] == "go"  # type: ignore[attr-defined]  # set by logs.event


def test_a_no_go_moves_the_later_phases_and_says_so(instance: Services, anna: User) -> None:
    assessment_id = _new(instance, anna)
    before = {(p.kind, p.number): p.month for p in _plan(instance, assessment_id).phases}
    _decide(instance, anna, assessment_id, "expanded_pilot", None, "no_go", "2026-03-30", "Tickets 9/100")
    plan = _plan(instance, assessment_id)
    after = {(p.kind, p.number): p.month for p in plan.phases}
    assert after[("limited_pilot", None)] == before[("limited_pilot", None)]
    assert after[("expanded_pilot", None)] == before[("expanded_pilot", None)]
    assert after[("production", 1)] > before[("production", 1)]
    assert after[("production", 3)] > before[("production", 3)]
    assert "gate-no-go" in {w.code for w in plan.warnings}
    with instance.store.session() as db:
        (last,) = review_events(db, assessment_id)
    assert (last.text, last.target) == ("no_go: Tickets 9/100", "gate:expanded_pilot")
    # A go after the pilot was mended: both decisions kept at the gate, oldest first.
    _decide(instance, anna, assessment_id, "expanded_pilot", None, "go", "2026-04-01")
    gate = gates.gate_after(_plan(instance, assessment_id), "expanded_pilot", None)
    assert gate is not None
    assert [d.outcome for d in gate.decisions] == ["no_go", "go"]


def test_a_production_gate_is_named_by_its_number(instance: Services, anna: User) -> None:
    assessment_id = _new(instance, anna)
    gate = gates.gate_after(_plan(instance, assessment_id), "production", 1)
    assert gate is not None
    made = gates.decide_gate(
        instance, anna, assessment_id, "production", 1, "go", gate.date, "", None, today=date(2026, 12, 1)
    )
    assert made.answers["gate_decisions"][0]["after"] == {"phase": "production", "number": 1}
    with instance.store.session() as db:
        assert review_events(db, assessment_id)[-1].target == "gate:production:1"


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        ({"phase": "production", "number": 3}, "after", GateProblem.NO_SUCH_GATE),  # the last phase
        ({"phase": "production", "number": None}, "after", GateProblem.NO_SUCH_GATE),
        ({"phase": "limited_pilot", "number": 2}, "after", GateProblem.NO_SUCH_GATE),
        ({"phase": "rollback"}, "after", GateProblem.NO_SUCH_GATE),
        ({"outcome": "maybe"}, "outcome", GateProblem.OUTCOME),
        ({"on": "2026-04-03"}, "date", GateProblem.FUTURE),
        ({"on": "2026-01-29"}, "date", GateProblem.BEFORE_PLAN),  # the helpdesk training is 30 Jan
        ({"on": "13/03/2026"}, "date", GateProblem.NOT_A_DAY),
        ({"on": "2026-02-30"}, "date", GateProblem.NOT_A_DAY),
        ({"note": "x" * 2001}, "note", GateProblem.NOTE_TOO_LONG),
        ({"note": "bell\x07"}, "note", GateProblem.NOTE_CONTROL),
    ],
)
def test_a_wrong_decision_is_refused_by_its_field_and_nothing_changes(
    instance: Services, anna: User, change: dict[str, Any], field: str, problem: GateProblem
) -> None:
    assessment_id = _new(instance, anna)
    revision = _record(instance, assessment_id).revision
    with pytest.raises(GateRefused) as refused:
        _decide(instance, anna, assessment_id, **change)
    assert refused.value.problems == {field: problem}
    assert refused.value.first_day == "2026-01-30"
    assert _record(instance, assessment_id).revision == revision


def test_today_and_the_first_event_s_day_are_allowed(instance: Services, anna: User) -> None:
    assessment_id = _new(instance, anna)
    _decide(instance, anna, assessment_id, on=TODAY.isoformat(), note="line one\r\nline two\tend")
    _decide(instance, anna, assessment_id, on="2026-01-30")
    decisions = _record(instance, assessment_id).answers["gate_decisions"]
    assert [d["date"] for d in decisions] == ["2026-04-02", "2026-01-30"]
    assert decisions[0]["note"] == "line one\nline two\tend"


def test_several_problems_are_named_at_once(instance: Services, anna: User) -> None:
    assessment_id = _new(instance, anna)
    with pytest.raises(GateRefused) as refused:
        _decide(instance, anna, assessment_id, "production", 9, "yes", "tomorrow", "\x00")
    assert refused.value.problems == {
        "after": GateProblem.NO_SUCH_GATE,
        "outcome": GateProblem.OUTCOME,
        "date": GateProblem.NOT_A_DAY,
        "note": GateProblem.NOTE_CONTROL,
    }


def test_no_plan_no_decision(instance: Services, anna: User) -> None:
    draft = copy.deepcopy(UNDER_WAY)
    del draft["groups"][0]["users"]
    assessment_id = _new(instance, anna, draft)
    with pytest.raises(review.Incomplete) as refused:
        _decide(instance, anna, assessment_id)
    assert refused.value.missing == review.Missing.PLAN


def test_only_on_the_revision_seen(instance: Services, anna: User) -> None:
    assessment_id = _new(instance, anna)
    seen = _record(instance, assessment_id).revision
    _decide(instance, anna, assessment_id, revision=seen)
    with pytest.raises(StaleRevision):
        _decide(instance, anna, assessment_id, outcome="no_go", revision=seen)
    assert len(_record(instance, assessment_id).answers["gate_decisions"]) == 1


def test_who_may_decide(instance: Services, anna: User, lead: User) -> None:
    assessment_id = _new(instance, anna)
    bo = account(instance, "bo")
    with pytest.raises(AssessmentNotFound):  # a respondent sees only their own
        _decide(instance, bo, assessment_id)
    admin = account(instance, "root", "admin")
    _decide(instance, admin, assessment_id)
    _decide(instance, anna, assessment_id)
    _decide(instance, lead, assessment_id)
    by = [d["by"] for d in _record(instance, assessment_id).answers["gate_decisions"]]
    assert by == ["root", "anna", "lead"]
    record = _record(instance, assessment_id)
    assert gates.may_decide(lead, record)
    assert gates.may_decide(anna, record)
    assert not gates.may_decide(bo, record)


def test_a_decision_does_not_reopen_a_signed_off_review(instance: Services, anna: User, lead: User) -> None:
    assessment_id = _new(instance, anna)
    review.act(
        instance, anna, assessment_id, ReviewAction.SUBMITTED, _record(instance, assessment_id).revision
    )
    review.act(
        instance, lead, assessment_id, ReviewAction.SIGNED_OFF, _record(instance, assessment_id).revision
    )
    signed = _record(instance, assessment_id).signed_version
    _decide(instance, lead, assessment_id, "expanded_pilot", None, "no_go", "2026-03-30")
    record = _record(instance, assessment_id)
    assert (record.status, record.signed_version) == (ReviewStatus.SIGNED_OFF, signed)
    with instance.store.session() as db:
        actions = [e.action for e in review_events(db, assessment_id)]
        kinds = [v.kind for v in versions(db, assessment_id)]
    assert ReviewAction.REOPENED not in actions
    assert kinds[-1] == VersionKind.GATE
    # A change of the answers still reopens it, and keeps the decision.
    answers = copy.deepcopy(record.answers)
    answers["groups"][5]["users"] = 45
    review.keep_whatif(instance, anna, assessment_id, answers, record.revision)
    record = _record(instance, assessment_id)
    assert record.status == ReviewStatus.IN_REVIEW
    assert len(record.answers["gate_decisions"]) == 1


def test_a_no_go_that_would_run_past_the_ceiling_is_refused(instance: Services, anna: User) -> None:
    long = copy.deepcopy(UNDER_WAY)
    long["organisation"]["rollout_start"] = "2021-06"  # a pilot held since: the rest would end in 2026-08
    assessment_id = _new(instance, anna, long)
    revision = _record(instance, assessment_id).revision
    with pytest.raises(RolloutTooLong):
        _decide(instance, anna, assessment_id, on=TODAY.isoformat(), outcome="no_go")
    assert _record(instance, assessment_id).revision == revision
