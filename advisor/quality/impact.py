"""What a rulebook change does to plans: every scenario and saved assessment under both."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.evaluate.oracle import OracleEvaluator
from advisor.model.errors import AdvisorError, InputError, RolloutTooLong
from advisor.model.facts import Assessment, parse_assessment
from advisor.model.plan import MAX_ROLLOUT_MONTHS, Placement, Plan, Warning
from advisor.planning.planner import make_plan
from advisor.quality.diff import plan_diff
from advisor.quality.scenarios import load_scenario, scenario_files
from advisor.rulebook.loader import Rulebook

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Case = tuple[str, Assessment]


def scenario_assessments(folder: Path) -> list[Case]:
    if not folder.is_dir():
        return []
    return [
        (f"scenario {path.stem}", parse_assessment(load_scenario(path).assessment, str(path)))
        for path in scenario_files(folder)
    ]


def saved_cases(session: Session) -> list[Case]:
    """Every saved assessment whose answers are complete (drafts have no plan to change)."""
    from sqlalchemy import select

    from advisor.store.tables import AssessmentRecord

    cases: list[Case] = []
    rows = session.execute(
        select(AssessmentRecord.id, AssessmentRecord.title, AssessmentRecord.answers).order_by(
            AssessmentRecord.id
        )
    )
    for id_, title, answers in rows:  # the answers only: saved plans are not needed here
        try:
            cases.append((f"assessment {id_} ({title})", parse_assessment(answers)))
        except InputError:
            continue
    return cases


def saved_assessments(database_url: str) -> list[Case]:
    """`saved_cases` of the database at `database_url` (migrated first)."""
    from sqlalchemy.exc import SQLAlchemyError

    from advisor.store.database import Store
    from advisor.store.migrate import upgrade

    store = Store(database_url)
    try:
        upgrade(database_url)
        with store.session() as session:
            return saved_cases(session)
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        raise DatabaseError(f"cannot read the saved assessments: {cause}") from None
    finally:
        store.engine.dispose()


class DatabaseError(AdvisorError):
    """The database could not be reached or read."""


def impact_of(
    old: Rulebook, new: Rulebook, cases: Sequence[Case], *, max_months: int = MAX_ROLLOUT_MONTHS
) -> list[tuple[str, list[str]]]:
    """(case, lines describing the change) for every case whose plan changes."""
    before, after = OracleEvaluator(old), OracleEvaluator(new)
    changed = []
    for name, assessment in cases:
        old_plan, new_plan = (_plan(assessment, rules, max_months) for rules in (before, after))
        if isinstance(old_plan, str) or isinstance(new_plan, str):
            if old_plan != new_plan:
                changed.append((name, [_refusal(old_plan, "before"), _refusal(new_plan, "after")]))
            continue
        diff = plan_diff(old_plan, new_plan)
        if diff.empty:
            continue
        lines = [
            f"{g.name}: {_placements(g.old)} -> {_placements(g.new)}"
            + (f" (now {', '.join(r.rule for r in g.reasons_now)})" if g.reasons_now else "")
            for g in diff.groups
        ]
        if diff.split_by:
            lines.append(f"production phases by {diff.split_by[0]} -> by {diff.split_by[1]}")
        # A warning as its sentence and the group it is about, as the plan shows it: never its code.
        lines += [f"new warning{_about(w, diff.names)}: {w.text}" for w in diff.warnings_added]
        lines += [f"warning gone{_about(w, diff.names)}: {w.text}" for w in diff.warnings_removed]
        changed.append((name, lines))
    return changed


def _about(warning: Warning, names: Mapping[str, str]) -> str:
    return f" ({names.get(warning.group, warning.group)})" if warning.group else ""


def _plan(assessment: Assessment, evaluator: OracleEvaluator, max_months: int) -> Plan | str:
    """The plan, or why it cannot be made (too long a rollout)."""
    try:
        return make_plan(assessment, evaluator, max_months=max_months)
    except RolloutTooLong as exc:
        return str(exc.problems[0])


def _refusal(plan: Plan | str, when: str) -> str:
    return f"{when}: not planned ({plan})" if isinstance(plan, str) else f"{when}: planned"


def _placements(placements: Sequence[Placement]) -> str:
    parts = []
    for p in placements:
        phase = p.phase if p.number is None else f"production/{p.number}"
        parts.append(f"{phase} {p.month} {p.users} {p.enrollment}")
    return "; ".join(parts) or "-"
