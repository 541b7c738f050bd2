"""Go/no-go decisions at the rollout's gates, recorded from the review.

The author, or a reviewer or admin who sees the assessment (the IT lead), records the decision
taken at a gate of the current plan: who (their user name), on which day, go or no-go, and why. It
is kept in the answers' `gate_decisions` as a new version (kind `gate`) with a review event in the
same transaction, so the history shows it; the plan made from those answers lists the decisions at
the gate, and a no-go moves the later phases (the planner does that). A decision is the rollout
under way, not a change of what was agreed: it never reopens a signed-off review. A refused
decision raises GateRefused (what is wrong, by field), Incomplete (no plan), NotAllowed,
AssessmentNotFound, StaleRevision or RolloutTooLong, and changes nothing.
"""

from __future__ import annotations

import copy
import logging
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from advisor.model.errors import AdvisorError, NotAllowed
from advisor.model.facts import GateDecisionIn
from advisor.model.plan import Gate, Plan
from advisor.services.assessments import commit, stored_plan, visible
from advisor.services.logs import event
from advisor.services.review import Incomplete, Missing, rights
from advisor.services.runtime import Services
from advisor.store.tables import AssessmentRecord, AssessmentVersion, ReviewAction, User, VersionKind

log = logging.getLogger("advisor.review")
MAX_NOTE = 2000  # as GateDecisionIn allows
MAX_DECISIONS = 500  # as Assessment.gate_decisions allows


class GateProblem(StrEnum):
    """Why a decision was refused; each belongs to one field of the request (FIELD)."""

    NO_SUCH_GATE = "no_such_gate"  # the current plan has no gate after that phase
    TOO_MANY = "too_many"  # the answers hold as many decisions as they may
    OUTCOME = "outcome"  # neither go nor no_go
    NOT_A_DAY = "not_a_day"  # not a date written YYYY-MM-DD
    FUTURE = "future"  # after today
    BEFORE_PLAN = "before_plan"  # before the plan's first event
    NOTE_TOO_LONG = "note_too_long"  # over MAX_NOTE characters
    NOTE_CONTROL = "note_control"  # a control character other than a line break or a tab


FIELD: dict[GateProblem, str] = {
    GateProblem.NO_SUCH_GATE: "after",
    GateProblem.TOO_MANY: "after",
    GateProblem.OUTCOME: "outcome",
    GateProblem.NOT_A_DAY: "date",
    GateProblem.FUTURE: "date",
    GateProblem.BEFORE_PLAN: "date",
    GateProblem.NOTE_TOO_LONG: "note",
    GateProblem.NOTE_CONTROL: "note",
}


class GateRefused(AdvisorError):
    """The decision cannot be recorded: `problems` holds what is wrong, one per field at most."""

    def __init__(self, problems: list[GateProblem], first_day: str | None = None) -> None:
        super().__init__("the decision was refused: " + ", ".join(problems))
        self.problems = {FIELD[problem]: problem for problem in reversed(problems)}
        self.first_day = first_day  # the plan's first event, which BEFORE_PLAN names


def may_decide(actor: User, record: AssessmentRecord) -> bool:
    return rights(actor, record).may(ReviewAction.GATE_DECIDED)


def target(phase: str, number: int | None) -> str:
    """What a decision's review event is about: `gate:limited_pilot`, `gate:production:2`."""
    return f"gate:{phase}" if number is None else f"gate:{phase}:{number}"


def gate_after(plan: Plan, phase: str, number: int | None) -> Gate | None:
    """The plan's gate after a phase (a pilot has no number), if it has one."""
    return next((g for g in plan.gates if (g.after.phase, g.after.number) == (phase, number)), None)


def decide_gate(
    services: Services,
    actor: User,
    assessment_id: int,
    after_phase: str,
    after_number: int | None,
    outcome: str,
    on: str,
    note: str,
    expected_revision: int | None,
    *,
    today: date | None = None,
) -> AssessmentVersion:
    """Record a go/no-go decision at the gate after a phase of the current plan; the version that
    keeps it. `expected_revision`: the revision the person saw (None: the one read here, so that
    the decision is added to the answers it was checked against). `today`: the last day a
    decision may be dated (the server's date unless given)."""
    record = visible(services, actor, assessment_id)
    if not may_decide(actor, record):
        raise NotAllowed(f"you may not record a decision in the review of assessment {assessment_id}")
    plan = stored_plan(record.plan, "en")
    if plan is None:
        raise Incomplete(Missing.PLAN)
    note = note.replace("\r\n", "\n").strip()
    entry: dict[str, Any] = {
        "after": {"phase": after_phase} | ({} if after_number is None else {"number": after_number}),
        "outcome": outcome,
        "by": actor.username,
        "date": on,
        "note": note,
    }
    found = _entry_problems(entry)
    if GateProblem.NO_SUCH_GATE not in found and gate_after(plan, after_phase, after_number) is None:
        found.append(GateProblem.NO_SUCH_GATE)
    decisions = record.answers.get("gate_decisions") or []
    if len(decisions) >= MAX_DECISIONS:
        found.append(GateProblem.TOO_MANY)
    first_day = plan.calendar[0].date if plan.calendar else None
    if GateProblem.NOT_A_DAY not in found:
        if on > (today or date.today()).isoformat():
            found.append(GateProblem.FUTURE)
        elif first_day is not None and on < first_day:
            found.append(GateProblem.BEFORE_PLAN)
    if found:
        raise GateRefused(found, first_day)
    answers = copy.deepcopy(record.answers)
    answers["gate_decisions"] = [*decisions, entry]
    made = commit(
        services,
        actor,
        assessment_id,
        answers,
        VersionKind.GATE,
        record.revision if expected_revision is None else expected_revision,
        strict=True,  # a no-go that would push the rollout past the ceiling is refused, not kept
        event=ReviewAction.GATE_DECIDED,
        event_text=f"{outcome}: {note}" if note else outcome,
        event_target=target(after_phase, after_number),
    )
    event(
        log,
        "review.gate_decided",
        assessment_id=assessment_id,
        version=made.number,
        gate=target(after_phase, after_number),
        outcome=outcome,
        user_id=actor.id,
    )
    return made


def _entry_problems(entry: dict[str, Any]) -> list[GateProblem]:
    """What the decision's contract (GateDecisionIn) refuses, field by field."""
    try:
        GateDecisionIn.model_validate(entry)
    except ValidationError as exc:
        found: list[GateProblem] = []
        for err in exc.errors(include_url=False):
            where = err["loc"][0] if err["loc"] else ""
            if where == "after":
                found.append(GateProblem.NO_SUCH_GATE)
            elif where == "outcome":
                found.append(GateProblem.OUTCOME)
            elif where == "date":
                found.append(GateProblem.NOT_A_DAY)
            elif where == "note":
                too_long = err["type"] == "string_too_long"
                found.append(GateProblem.NOTE_TOO_LONG if too_long else GateProblem.NOTE_CONTROL)
            else:  # the user name is the account's, which the contract always takes
                raise
        return list(dict.fromkeys(found))
    return []
