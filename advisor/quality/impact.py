"""What a rulebook change does to plans: every scenario and saved assessment under both.

The fast way, which gives the same list as planning every case under both rulebooks:
- a case the change cannot touch is not planned at all. A change is bounded when it is a set of
  rules of the stages whose facts come straight from the answers (group and method), and numbers
  that only those rules' conditions read; a case is touched when one of those rules, before or
  after, fires differently for one of its facts, or fires with a different definition. Any other
  change (a list, a table, a number the planner reads, a rule of a later stage, the order of the
  rules) touches every case;
- the plan before is the one saved with the assessment, when it was made under the same rulebook;
- the cases left are planned in parallel processes.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.evaluate.oracle import OracleEvaluator, holds
from advisor.model.errors import AdvisorError, InputError, RolloutTooLong
from advisor.model.facts import Assessment, group_facts, parse_assessment
from advisor.model.plan import MAX_ROLLOUT_MONTHS, Placement, Plan, Warning
from advisor.model.vocabulary import PLANNER_PARAMETERS
from advisor.planning.methods import owners
from advisor.planning.planner import make_plan
from advisor.quality.diff import plan_diff
from advisor.quality.scenarios import load_scenario, scenario_files
from advisor.rulebook.loader import Rulebook, RuleInfo, build_rulebook
from advisor.rulebook.schema import leaves

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from advisor.store.database import Store

Change = tuple[str, list[str]]  # a case, and the lines that say how its plan changes

# The stages whose facts the answers alone give (see Planner._methods): the filter evaluates them
# without planning.
BOUNDED_STAGES = frozenset({"group", "method"})
# Warnings that depend on the day a plan was made, not on the rulebook: a saved plan has them when
# made after its start, a plan made for the impact never does.
DATED_WARNINGS = frozenset({"rollout-start-past", "calendar-in-the-past"})
# Below this many cases to plan, starting processes costs more than it saves.
PARALLEL_FROM = 40


@dataclass(frozen=True)
class Case:
    """An assessment to plan under both rulebooks; `plan` is the plan saved with it (plan JSON in
    its language) and `rulebook_version` the rulebook that made it, when there is one."""

    name: str
    assessment: Assessment
    plan: Mapping[str, Any] | None = None
    rulebook_version: str | None = None
    id: int | None = None  # a saved assessment's


def scenario_assessments(folder: Path) -> list[Case]:
    if not folder.is_dir():
        return []
    return [
        Case(f"scenario {path.stem}", parse_assessment(load_scenario(path).assessment, str(path)))
        for path in scenario_files(folder)
    ]


def saved_cases(session: Session, after_id: int = 0, limit: int | None = None) -> tuple[list[Case], int]:
    """The saved assessments whose answers are complete (drafts have no plan to change), by id,
    from after `after_id`, at most `limit` rows read. With them, the last id read (`after_id` if
    none was): where the next rows start. Their saved plans are not read here (they are large):
    `with_saved_plans` reads those of the cases a change touches."""
    from sqlalchemy import select

    from advisor.store.tables import AssessmentRecord

    query = (
        select(AssessmentRecord.id, AssessmentRecord.title, AssessmentRecord.answers)
        .where(AssessmentRecord.id > after_id)
        .order_by(AssessmentRecord.id)
    )
    if limit is not None:
        query = query.limit(limit)
    cases: list[Case] = []
    last = after_id
    for id_, title, answers in session.execute(query):
        last = id_
        try:
            cases.append(Case(f"assessment {id_} ({title})", parse_assessment(answers), id=id_))
        except InputError:
            continue
    return cases, last


# What the comparison reads of a saved plan; the rest (the calendar, the support load...) is
# most of its size, and is left behind rather than sent to the planning processes.
_COMPARED = ("version", "language", "organisation", "rulebook", "split_by", "phases", "groups", "warnings")


def with_saved_plans(store: Store, cases: Sequence[Case]) -> list[Case]:
    """The cases, each saved assessment with its saved plan (in its language) and the version of
    the rulebook that made it."""
    from sqlalchemy import select

    from advisor.store.tables import AssessmentRecord

    ids = [case.id for case in cases if case.id is not None]
    if not ids:
        return list(cases)
    found: dict[int, tuple[Any, str | None]] = {}
    with store.session() as db:
        for start in range(0, len(ids), 500):
            query = select(
                AssessmentRecord.id, AssessmentRecord.plan, AssessmentRecord.rulebook_version
            ).where(AssessmentRecord.id.in_(ids[start : start + 500]))
            found.update({id_: (plans, version) for id_, plans, version in db.execute(query)})
    out = []
    for case in cases:
        plans, version = found.get(case.id or 0, (None, None))
        plan = (plans or {}).get(case.assessment.organisation.language)
        if plan is not None:
            plan = {key: plan[key] for key in _COMPARED if key in plan}
        out.append(replace(case, plan=plan, rulebook_version=version))
    return out


def open_saved(database_url: str) -> Store:
    """The database at `database_url`, migrated; DatabaseError if it cannot be reached."""
    from sqlalchemy.exc import SQLAlchemyError

    from advisor.store.database import Store
    from advisor.store.migrate import upgrade

    store = Store(database_url)
    try:
        upgrade(database_url)
    except SQLAlchemyError as exc:
        store.engine.dispose()
        cause = getattr(exc, "orig", None) or exc
        raise DatabaseError(f"cannot read the saved assessments: {cause}") from None
    return store


class DatabaseError(AdvisorError):
    """The database could not be reached or read."""


# -- which cases a change can touch ------------------------------------------------------------


def _condition_parameters(info: RuleInfo) -> set[str]:
    when = info.rule.when
    return {leaf.param for leaf in leaves(when) if leaf.param} if when is not None else set()


def changed_rules(old: Rulebook, new: Rulebook) -> frozenset[str] | None:
    """The ids of the rules that differ between the two rulebooks (in their definition, or in a
    number their condition reads), when that bounds the change; None when it does not (the
    change may touch any plan)."""
    if dict(old.lists) != dict(new.lists) or _tables(old) != _tables(new):
        return None
    if list(old.parameters) != list(new.parameters):
        return None
    before, after = {i.id: i for i in old.rules}, {i.id: i for i in new.rules}
    common = [i.id for i in old.rules if i.id in after]
    if common != [i.id for i in new.rules if i.id in before]:
        return None  # the order of the rules decides ties
    numbers = {k for k, v in old.parameters.items() if new.parameters[k] != v}
    read = {p for info in (*old.rules, *new.rules) for p in _condition_parameters(info)}
    if numbers - read or numbers & set(PLANNER_PARAMETERS):
        return None  # a number the planner reads itself (whatever rules may read it too)
    changed = set()
    for rule_id in {*before, *after}:
        a, b = before.get(rule_id), after.get(rule_id)
        if (
            a is None
            or b is None
            or a.stage != b.stage
            or a.rule != b.rule
            or _condition_parameters(a) & numbers
        ):
            changed.add(rule_id)
    stages = {i.stage for i in (*old.rules, *new.rules) if i.id in changed}
    if stages - BOUNDED_STAGES:
        return None
    return frozenset(changed)


def _tables(rulebook: Rulebook) -> list[tuple[str, list[tuple[str, tuple[str, ...]]]]]:
    return [(name, list(table.items())) for name, table in rulebook.tables.items()]


class Filter:
    """Whether a change can touch a case's plan (see the module's description)."""

    def __init__(self, old: Rulebook, new: Rulebook) -> None:
        self.changed = changed_rules(old, new)
        self._sides: list[tuple[Mapping[str, int], dict[str, list[tuple[RuleInfo, str]]]]] = []
        for rulebook in (old, new):
            by_stage: dict[str, list[tuple[RuleInfo, str]]] = {}
            for info in rulebook.rules:
                if self.changed is not None and info.id in self.changed:
                    by_stage.setdefault(info.stage, []).append((info, _definition(info)))
            self._sides.append((rulebook.parameters, by_stage))

    def touches(self, case: Case) -> bool:
        if self.changed is None:
            return True
        for stage, facts in _bounded_facts(case.assessment):
            for one in facts:
                before, after = (
                    {
                        info.id: rest
                        for info, rest in by_stage.get(stage, ())
                        if holds(info.rule.when, one, params)
                    }
                    for params, by_stage in self._sides
                )
                if before != after:
                    return True
        return False


def _definition(info: RuleInfo) -> str:
    """A rule's definition apart from its condition (which the filter evaluates)."""
    return json.dumps(info.rule.model_dump(mode="json", exclude={"when"}), sort_keys=True)


def _bounded_facts(assessment: Assessment) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The facts the planner evaluates at the group and method stages, as it makes them."""
    per_group = [group_facts(g) for g in assessment.groups]
    yield "group", per_group
    yield (
        "method",
        [
            {**facts, "platform": platform, "owner": owner}
            for group, facts in zip(assessment.groups, per_group, strict=True)
            for platform in group.platforms
            for owner in owners(group)
        ],
    )


# -- the impact --------------------------------------------------------------------------------


def impact_of(
    old: Rulebook,
    new: Rulebook,
    cases: Sequence[Case],
    *,
    max_months: int = MAX_ROLLOUT_MONTHS,
    sources: tuple[Mapping[str, bytes], Mapping[str, bytes]] | None = None,
    processes: int | None = None,
    prepare: Callable[[list[Case]], list[Case]] | None = None,
) -> list[Change]:
    """(case, lines describing the change) for every case whose plan changes, in the cases' order.

    With `sources` (the files of `old` and `new`), the cases to plan are shared out among
    `processes` processes (default: one per core) when there are enough of them."""
    changes: list[Change] = []

    def keep(_count: int, found: list[Change]) -> bool:
        changes.extend(found)
        return True

    impact_in_chunks(
        old, new, [cases], keep, max_months=max_months, sources=sources, processes=processes, prepare=prepare
    )
    return changes


_process_planner: _Planner | None = None


def _start_process(old: dict[str, bytes], new: dict[str, bytes], max_months: int) -> None:
    global _process_planner
    _process_planner = _Planner(build_rulebook(old), build_rulebook(new), max_months)


def _change_in_process(case: Case) -> Change | None:
    assert _process_planner is not None  # noqa: S101 - set when the process starts
    return _process_planner.change(case)


class _Planner:
    def __init__(self, old: Rulebook, new: Rulebook, max_months: int) -> None:
        self.old, self.before, self.after = old, OracleEvaluator(old), OracleEvaluator(new)
        self.max_months = max_months

    def change(self, case: Case) -> Change | None:
        old_plan = self._saved(case) or _plan(case.assessment, self.before, self.max_months)
        new_plan = _plan(case.assessment, self.after, self.max_months)
        return describe_change(case.name, old_plan, new_plan)

    def _saved(self, case: Case) -> Plan | None:
        """The saved plan, when the running rulebook made it, without its dated warnings."""
        if case.plan is None or case.rulebook_version != self.old.version:
            return None
        plan = Plan.model_validate(case.plan)
        return plan.model_copy(
            update={"warnings": [w for w in plan.warnings if w.code not in DATED_WARNINGS]}
        )


def describe_change(name: str, old_plan: Plan | str, new_plan: Plan | str) -> Change | None:
    """How the plan changes, line by line; None if it does not."""
    if isinstance(old_plan, str) or isinstance(new_plan, str):
        if old_plan != new_plan:
            return (name, [_refusal(old_plan, "before"), _refusal(new_plan, "after")])
        return None
    diff = plan_diff(old_plan, new_plan)
    if diff.empty:
        return None
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
    return (name, lines)


MAX_DEFAULT_PROCESSES = 4  # each builds both rulebooks and holds its own plans in memory


def default_processes() -> int:
    """The cores this process may run on (a container's CPU set or affinity, not the host's
    count), at most MAX_DEFAULT_PROCESSES: set ADVISOR_IMPACT_PROCESSES for more."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_PROCESSES))


def impact_in_chunks(
    old: Rulebook,
    new: Rulebook,
    chunks: Iterable[Sequence[Case]],
    keep: Callable[[int, list[Change]], bool],
    *,
    max_months: int,
    sources: tuple[Mapping[str, bytes], Mapping[str, bytes]] | None = None,
    processes: int | None = None,
    prepare: Callable[[list[Case]], list[Case]] | None = None,
) -> None:
    """The impact chunk by chunk, one pool of processes for them all (only with `sources`, the
    files of `old` and `new`, which each process builds its rulebooks from); `keep(count,
    changes)` gets each chunk's case count and changes, and stops the work by returning False;
    `prepare` completes the cases a change touches before they are planned (their saved plans)."""
    check = Filter(old, new)
    count = processes or default_processes()
    context = multiprocessing.get_context("spawn")
    pool = None
    planner = _Planner(old, new, max_months)
    try:
        for chunk in chunks:
            touched = [case for case in chunk if check.touches(case)]
            if prepare is not None and touched:
                touched = prepare(touched)
            if sources is not None and count >= 2 and len(touched) >= PARALLEL_FROM:
                if pool is None:
                    pool = context.Pool(
                        count, _start_process, (dict(sources[0]), dict(sources[1]), max_months)
                    )
                size = max(1, min(32, len(touched) // (count * 8)))
                found = list(pool.imap(_change_in_process, touched, chunksize=size))
            else:
                found = [planner.change(case) for case in touched]
            if not keep(len(chunk), [c for c in found if c is not None]):
                return
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()


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
