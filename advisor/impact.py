"""What a rulebook change does to plans: every scenario and saved assessment under both."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from advisor.diff import plan_diff
from advisor.errors import AdvisorError, InputError
from advisor.facts import Assessment, parse_assessment
from advisor.oracle import OracleEvaluator
from advisor.planner import make_plan
from advisor.rulebook.loader import Rulebook
from advisor.scenarios import load_scenario, scenario_files

Case = tuple[str, Assessment]


def scenario_assessments(folder: Path) -> list[Case]:
    if not folder.is_dir():
        return []
    return [
        (f"scenario {path.stem}", parse_assessment(load_scenario(path).assessment, str(path)))
        for path in scenario_files(folder)
    ]


def saved_assessments(database_url: str) -> list[Case]:
    """Every saved assessment whose answers are complete (drafts have no plan to change)."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from advisor.migrate import upgrade
    from advisor.store import AssessmentRecord, Store

    cases: list[Case] = []
    store = Store(database_url)
    try:
        upgrade(database_url)
        with store.session() as session:
            for record in session.scalars(select(AssessmentRecord).order_by(AssessmentRecord.id)):
                try:
                    cases.append(
                        (f"assessment {record.id} ({record.title})", parse_assessment(record.answers))
                    )
                except InputError:
                    continue
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        raise DatabaseError(f"cannot read the saved assessments: {cause}") from None
    finally:
        store.engine.dispose()
    return cases


class DatabaseError(AdvisorError):
    """The database could not be reached or read."""


def impact_of(old: Rulebook, new: Rulebook, cases: Sequence[Case]) -> list[tuple[str, list[str]]]:
    """(case, lines describing the change) for every case whose plan changes."""
    before, after = OracleEvaluator(old), OracleEvaluator(new)
    changed = []
    for name, assessment in cases:
        diff = plan_diff(make_plan(assessment, before), make_plan(assessment, after))
        if diff.empty:
            continue
        lines = [
            f"{g.name}: {_placements(g.old)} -> {_placements(g.new)}"
            + (f" (now {', '.join(g.rules_now)})" if g.rules_now else "")
            for g in diff.groups
        ]
        if diff.split_by:
            lines.append(f"production phases by {diff.split_by[0]} -> by {diff.split_by[1]}")
        lines += [f"new warning {w}" for w in diff.warnings_added]
        lines += [f"warning gone {w}" for w in diff.warnings_removed]
        changed.append((name, lines))
    return changed


def _placements(placements: Sequence[object]) -> str:
    parts = []
    for p in placements:
        phase = p.phase if p.number is None else f"production/{p.number}"  # type: ignore[attr-defined]
        parts.append(f"{phase} {p.month} {p.users} {p.enrollment}")  # type: ignore[attr-defined]
    return "; ".join(parts) or "-"
