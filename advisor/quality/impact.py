"""What a rulebook change does to plans: every scenario and saved assessment under both.

The fast way, which gives the same list as planning every case under both rulebooks:
- a case the change cannot touch is not planned at all. A change is bounded when it is a set of
  rules of the stages whose facts come straight from the answers (group and method), and numbers
  that only those rules' conditions read; a case is touched when one of those rules, before or
  after, fires differently for one of its facts, or fires with a different definition. Any other
  change (a list, a table, a number the planner reads, a rule of a later stage, the order of the
  rules) touches every case;
- the plan before is the one saved with the assessment, when it was made under the same rulebook;
- the items are parsed, filtered and planned in parallel processes, in batches.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from advisor.evaluate.oracle import OracleEvaluator, Test, compile_condition
from advisor.model.errors import AdvisorError, InputError, RolloutTooLong
from advisor.model.facts import Assessment, group_facts, parse_assessment
from advisor.model.plan import MAX_ROLLOUT_MONTHS, Placement, Plan, Warning
from advisor.model.vocabulary import IMPORT_PARAMETERS, PLANNER_PARAMETERS
from advisor.planning.methods import owners
from advisor.planning.planner import PLANNER_WARNINGS, make_plan, rule_warning
from advisor.quality.diff import plan_diff, warnings_diff
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
_WARNINGS = TypeAdapter(list[Warning])
# Below this many items, starting processes costs more than it saves.
PARALLEL_FROM = 40
# Most items a process is given at a time.
BATCH = 50


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


@dataclass(frozen=True)
class Saved:
    """A saved assessment as read: its answers still JSON text. The processes that plan parse
    them, so that reading ten thousand costs the reader little."""

    id: int
    title: str
    answers: str


Item = Case | Saved  # what the impact is asked about: a case, or a saved assessment not yet parsed


def saved_rows(session: Session, after_id: int = 0, limit: int | None = None) -> tuple[list[Saved], int]:
    """The saved assessments by id, from after `after_id`, at most `limit` rows read, their answers
    as text; with them, the last id read (`after_id` if none was): where the next rows start."""
    from sqlalchemy import Text, cast, select

    from advisor.store.tables import AssessmentRecord

    query = (
        select(AssessmentRecord.id, AssessmentRecord.title, cast(AssessmentRecord.answers, Text))
        .where(AssessmentRecord.id > after_id)
        .order_by(AssessmentRecord.id)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = [Saved(id_, title, answers or "null") for id_, title, answers in session.execute(query)]
    return rows, rows[-1].id if rows else after_id


def case_of(item: Item) -> Case | None:
    """The case to plan; None for a saved assessment whose answers are not complete (a draft has
    no plan to change)."""
    if isinstance(item, Case):
        return item
    try:
        return Case(
            f"assessment {item.id} ({item.title})", parse_assessment(json.loads(item.answers)), id=item.id
        )
    except (InputError, ValueError):
        return None


def saved_cases(session: Session, after_id: int = 0, limit: int | None = None) -> tuple[list[Case], int]:
    """`saved_rows`, parsed: the saved assessments whose answers are complete. Their saved plans
    are not read here (they are large): `with_saved_plans` reads those of the cases a change
    touches."""
    rows, last = saved_rows(session, after_id, limit)
    return [case for case in map(case_of, rows) if case is not None], last


# What the comparison reads of a saved plan; the rest (the calendar, the support load...) is
# most of its size, and is left behind rather than sent to the planning processes.
_COMPARED = ("version", "language", "organisation", "rulebook", "split_by", "phases", "groups", "warnings")


def with_saved_plans(store: Store, cases: Sequence[Case], *, warnings_only: bool = False) -> list[Case]:
    """The cases, each saved assessment with its saved plan (in its language) and the version of
    the rulebook that made it; with `warnings_only`, of the plan only its warnings (read out of it
    by the database: the rest of a plan is most of its size)."""
    from sqlalchemy import select

    from advisor.store.tables import AssessmentRecord

    by_language: dict[str, list[int]] = {}
    for case in cases:
        if case.id is not None:
            by_language.setdefault(case.assessment.organisation.language, []).append(case.id)
    if not by_language:
        return list(cases)
    found: dict[int, tuple[Any, str | None]] = {}
    with store.session() as db:
        for language, ids in by_language.items():
            for start in range(0, len(ids), 500):
                column = (
                    AssessmentRecord.plan[language]["warnings"] if warnings_only else AssessmentRecord.plan
                )
                query = select(AssessmentRecord.id, column, AssessmentRecord.rulebook_version).where(
                    AssessmentRecord.id.in_(ids[start : start + 500])
                )
                for id_, value, version in db.execute(query):
                    if warnings_only:
                        found[id_] = (None if value is None else {"warnings": value}, version)
                    else:
                        plan = (value or {}).get(language)
                        if plan is not None:
                            plan = {key: plan[key] for key in _COMPARED if key in plan}
                        found[id_] = (plan, version)
    out = []
    for case in cases:
        plan, version = found.get(case.id or 0, (None, None))
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
    if _planned(old.lists) != _planned(new.lists) or _tables(old) != _tables(new):
        return None
    if list(_planned(old.parameters)) != list(_planned(new.parameters)):
        return None
    before, after = {i.id: i for i in old.rules}, {i.id: i for i in new.rules}
    common = [i.id for i in old.rules if i.id in after]
    if common != [i.id for i in new.rules if i.id in before]:
        return None  # the order of the rules decides ties
    numbers = {k for k, v in _planned(old.parameters).items() if new.parameters[k] != v}
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


def _planned(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters that plans may depend on: all but those only the import reads."""
    return {name: value for name, value in parameters.items() if name not in IMPORT_PARAMETERS}


def _tables(rulebook: Rulebook) -> list[tuple[str, list[tuple[str, tuple[str, ...]]]]]:
    return [(name, list(table.items())) for name, table in _planned(rulebook.tables).items()]


class Filter:
    """Whether a change can touch a case's plan (see the module's description)."""

    def __init__(self, old: Rulebook, new: Rulebook) -> None:
        self.changed = changed_rules(old, new)
        # Per side, by stage: each changed rule's id, compiled condition and definition.
        self._sides: list[dict[str, list[tuple[str, Test, str]]]] = []
        for rulebook in (old, new):
            by_stage: dict[str, list[tuple[str, Test, str]]] = {}
            for info in rulebook.rules:
                if self.changed is not None and info.id in self.changed:
                    test = compile_condition(info.rule.when, rulebook.parameters)
                    by_stage.setdefault(info.stage, []).append((info.id, test, _definition(info)))
            self._sides.append(by_stage)
        self.warnings_only = self.changed is not None and _only_warn(old, new, self.changed)

    def touches(self, case: Case) -> bool:
        if self.changed is None:
            return True
        for stage, facts in _bounded_facts(case.assessment):
            for one in facts:
                before, after = (
                    {rule_id: rest for rule_id, test, rest in by_stage.get(stage, ()) if test(one)}
                    for by_stage in self._sides
                )
                if before != after:
                    return True
        return False


def _only_warn(old: Rulebook, new: Rulebook, changed: frozenset[str]) -> bool:
    """Whether the changed rules, before and after, are rules of the group stage that only warn,
    each with a code of its own (no other rule's, none the planner gives itself). Then all a
    change of them does to a plan is to add or take away those warnings: every other part of the
    plan is read from the rules that decide something, or from the planner."""
    for rulebook in (old, new):
        codes: dict[str, int] = {}
        for info in rulebook.deciding("group", "warning"):
            codes[info.rule.value] = codes.get(info.rule.value, 0) + 1
        for info in rulebook.rules:
            if info.id not in changed:
                continue
            if info.stage != "group" or info.rule.decides != "warning":
                return False
            code = info.rule.value
            if code in PLANNER_WARNINGS or codes[code] > 1 or _warns_elsewhere(rulebook, code):
                return False
    return True


def _warns_elsewhere(rulebook: Rulebook, code: object) -> bool:
    return any(
        info.rule.value == code
        for info in rulebook.rules
        if info.rule.decides == "warning" and info.stage != "group"
    )


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
    items: Sequence[Item],
    *,
    max_months: int = MAX_ROLLOUT_MONTHS,
    sources: tuple[Mapping[str, bytes], Mapping[str, bytes]] | None = None,
    processes: int | None = None,
    saved_plans: str | None = None,
) -> list[Change]:
    """(case, lines describing the change) for every case whose plan changes, in the items' order.

    With `sources` (the files of `old` and `new`), the items are shared out among `processes`
    processes (default: one per core) when there are enough of them; with `saved_plans` (the
    database's URL), the plan saved with an assessment stands for its plan before."""
    changes: list[Change] = []

    def keep(_count: int, found: list[Change]) -> bool:
        changes.extend(found)
        return True

    impact_in_chunks(
        old,
        new,
        [items],
        keep,
        max_months=max_months,
        sources=sources,
        processes=processes,
        saved_plans=saved_plans,
    )
    return changes


class _Worker:
    """The impact on a batch of items: the saved answers parsed, the cases the change can touch
    kept, completed with their saved plans, and planned. One in each process of the pool."""

    def __init__(self, old: Rulebook, new: Rulebook, max_months: int, saved_plans: str | None) -> None:
        self.check = Filter(old, new)
        self.planner = _Planner(old, new, max_months, self.check.changed)
        self.saved_plans = saved_plans
        self._store: Store | None = None

    def changes(self, items: Iterable[Item]) -> list[Change]:
        touched = [case for case in map(case_of, items) if case is not None and self.check.touches(case)]
        if touched and self.saved_plans is not None and any(case.id is not None for case in touched):
            if self._store is None:
                from advisor.store.database import Store

                self._store = Store(self.saved_plans)
            touched = with_saved_plans(self._store, touched, warnings_only=self.check.warnings_only)
        return [change for change in map(self._change, touched) if change is not None]

    def _change(self, case: Case) -> Change | None:
        if self.check.warnings_only:
            found = self.planner.warnings_change(case)
            if found is not None:
                return found[0] if found else None
        return self.planner.change(case)

    def close(self) -> None:
        if self._store is not None:
            self._store.engine.dispose()
            self._store = None


_process_worker: _Worker | None = None


def _start_process(
    old: dict[str, bytes], new: dict[str, bytes], max_months: int, saved_plans: str | None
) -> None:
    global _process_worker
    _process_worker = _Worker(build_rulebook(old), build_rulebook(new), max_months, saved_plans)


def _changes_in_process(items: list[Item]) -> list[Change]:
    assert _process_worker is not None  # noqa: S101 - set when the process starts
    return _process_worker.changes(items)


class _Planner:
    def __init__(
        self, old: Rulebook, new: Rulebook, max_months: int, changed: frozenset[str] | None = None
    ) -> None:
        self.old, self.new = old, new
        self.before, self.after = OracleEvaluator(old), OracleEvaluator(new)
        self.max_months = max_months
        # The changed rules that warn at the group stage, each with its condition compiled, per side.
        self._warning_rules = tuple(
            [
                (info, compile_condition(info.rule.when, rulebook.parameters))
                for info in rulebook.deciding("group", "warning")
                if info.id in (changed or ())
            ]
            for rulebook in (old, new)
        )

    def change(self, case: Case) -> Change | None:
        old_plan = self._saved(case) or _plan(case.assessment, self.before, self.max_months)
        new_plan = _plan(case.assessment, self.after, self.max_months)
        return describe_change(case.name, old_plan, new_plan)

    def warnings_change(self, case: Case) -> list[Change] | None:
        """The change a change of warning rules only makes (see `_only_warn`), read off the saved
        plan's warnings: those of these rules taken away, the new rules' warnings added, nothing
        planned: [] when the plan does not change. None when it cannot be read off (no saved plan
        of the running rulebook, or one these rules did not make)."""
        if case.plan is None or case.rulebook_version != self.old.version:
            return None
        saved = [w for w in _WARNINGS.validate_python(case.plan["warnings"]) if w.code not in DATED_WARNINGS]
        warnings = {(w.code, w.group): w for w in saved}
        language = case.assessment.organisation.language
        facts = [group_facts(group) for group in case.assessment.groups]
        for rulebook, sign, rules in (
            (self.old, -1, self._warning_rules[0]),
            (self.new, 1, self._warning_rules[1]),
        ):
            for group, one in zip(case.assessment.groups, facts, strict=True):
                for info, test in rules:
                    if not test(one):
                        continue
                    key = (info.rule.value, group.id)
                    if sign < 0:
                        found = warnings.pop(key, None)
                        if found is None or found.rule != info.id:
                            return None  # not the plan these rules made: plan it instead
                    else:
                        warnings[key] = rule_warning(info, language, one, rulebook.parameters, group.id)
        added, removed = warnings_diff(saved, list(warnings.values()))
        if not added and not removed:
            return []
        names = {group.id: group.name for group in case.assessment.groups}
        return [(case.name, _warning_lines(added, removed, names))]

    def _saved(self, case: Case) -> Plan | None:
        """The saved plan, when the running rulebook made it, without its dated warnings."""
        if case.plan is None or case.rulebook_version != self.old.version or "groups" not in case.plan:
            return None  # none, another rulebook's, or only its warnings (see with_saved_plans)
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
    lines += _warning_lines(diff.warnings_added, diff.warnings_removed, diff.names)
    return (name, lines)


def _warning_lines(
    added: Sequence[Warning], removed: Sequence[Warning], names: Mapping[str, str]
) -> list[str]:
    # A warning as its sentence and the group it is about, as the plan shows it: never its code.
    return [f"new warning{_about(w, names)}: {w.text}" for w in added] + [
        f"warning gone{_about(w, names)}: {w.text}" for w in removed
    ]


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
    chunks: Iterable[Sequence[Item]],
    keep: Callable[[int, list[Change]], bool],
    *,
    max_months: int,
    sources: tuple[Mapping[str, bytes], Mapping[str, bytes]] | None = None,
    processes: int | None = None,
    saved_plans: str | None = None,
) -> None:
    """The impact chunk by chunk, one pool of processes for them all (only with `sources`, the
    files of `old` and `new`, which each process builds its rulebooks from): a chunk is cut into
    batches that the processes parse, filter and plan whole, so no step runs in this process
    alone. `keep(count, changes)` gets each chunk's item count and changes, and stops the work by
    returning False; `saved_plans` is the database whose saved plans stand for the plans before."""
    count = processes or default_processes()
    context = multiprocessing.get_context("spawn")
    pool = None
    here = _Worker(old, new, max_months, saved_plans)
    try:
        for chunk in chunks:
            if sources is not None and count >= 2 and len(chunk) >= PARALLEL_FROM:
                if pool is None:
                    pool = context.Pool(
                        count, _start_process, (dict(sources[0]), dict(sources[1]), max_months, saved_plans)
                    )
                # Small batches, several per process: the cases a change touches (the slow ones)
                # cluster, and small batches share them out.
                size = max(1, min(BATCH, -(-len(chunk) // (count * 4))))
                batches = [list(chunk[i : i + size]) for i in range(0, len(chunk), size)]
                found = [change for part in pool.imap(_changes_in_process, batches) for change in part]
            else:
                found = here.changes(chunk)
            if not keep(len(chunk), found):
                return
    finally:
        here.close()
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
