"""Lint over the finite space of answers: dead rules, conflicts, gaps, contradicting reasons,
untested rules.

Rules compare number facts only with constants, so the answers that matter are finite: for a
number fact, one value below, at and above each constant it is compared with; for a set fact,
every combination of the members the rules name; enums and booleans as they are. Every
combination of the facts a stage's rules name is evaluated with the oracle.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.evaluate.decisions import decide, fired_warnings
from advisor.evaluate.oracle import holds
from advisor.model.errors import Finding
from advisor.model.facts import FACTS_BY_STAGE, GROUP_FACTS, FactValue
from advisor.model.methods import METHODS
from advisor.model.vocabulary import DECISIONS, OPPOSITE, STAGES, Stage, Verdict
from advisor.planning.planner import FALLBACK
from advisor.rulebook.loader import Rulebook, RuleInfo
from advisor.rulebook.schema import leaves

# Decisions the plan cannot do without: a gap means the planner would fall back.
REQUIRED = {
    "group": ("pilot", "wave"),
    "organisation": ("split_by",),
    "method": ("method",),
    "placement": ("enrollment",),
}
MAX_COMBINATIONS = 200_000
# The smallest value each number fact can take (users and phase users start at one).
MINIMUM = {"users": 1, "phase_users": 1, "groups": 1, "total_users": 1}
# The largest value a number fact can take, where it has one (shares in percent).
MAXIMUM: dict[str, int] = {}


def _points(cuts: Sequence[int], low: int, high: int | None) -> list[FactValue]:
    """One value of each stretch the constants cut a number fact's range into: each constant, one
    value below the first, one between each two, one above the last (all within low .. high). Rules
    compare a number with constants only, so every value of a stretch fires the same rules."""
    cuts = [c for c in cuts if low <= c and (high is None or c <= high)]
    if not cuts:
        return [low]
    points: list[FactValue] = [cuts[0] - 1] if cuts[0] - 1 >= low else []
    for c, after in zip(cuts, [*cuts[1:], None], strict=True):
        points.append(c)
        if (after is None or c + 1 < after) and (high is None or c + 1 <= high):
            points.append(c + 1)
    return points


def domain(
    stage: Stage,
    rules: Sequence[RuleInfo],
    parameters: Mapping[str, int],
    shared_with: Sequence[RuleInfo] = (),
) -> dict[str, list[FactValue]]:
    """The values worth trying for each fact the stage's rules name; the constants `shared_with`
    (another stage's rules) compare those facts with are tried too, so that both stages try the
    same values of the facts they share."""
    specs = FACTS_BY_STAGE[stage]
    cuts: dict[str, set[int]] = {}
    members: dict[str, set[str]] = {}
    named = dict.fromkeys(leaf.fact for info in rules for leaf in leaves(info.rule.when))
    for info in (*rules, *shared_with):
        for leaf in leaves(info.rule.when):
            if leaf.fact not in named:
                continue
            raw = parameters[leaf.param] if leaf.param is not None else leaf.value
            values = raw if isinstance(raw, list) else [raw]
            kind = specs[leaf.fact].kind
            if kind == "int":
                cuts.setdefault(leaf.fact, set()).update(v for v in values if isinstance(v, int))
            elif kind == "set":
                members.setdefault(leaf.fact, set()).update(str(v) for v in values)
    result: dict[str, list[FactValue]] = {}
    for name in named:
        spec = specs[name]
        if spec.kind == "int":
            result[name] = list(
                _points(sorted(cuts.get(name, set())), MINIMUM.get(name, 0), MAXIMUM.get(name))
            )
        elif spec.kind == "bool":
            result[name] = [False, True]
        elif spec.kind == "enum":
            result[name] = list(spec.values)
        else:
            chosen = sorted(members.get(name, set()))
            result[name] = [
                frozenset(c) for n in range(len(chosen) + 1) for c in itertools.combinations(chosen, n)
            ]
    return result


def _neutral(stage: Stage) -> dict[str, FactValue]:
    """Values for the facts no rule names (they cannot change any outcome)."""
    out: dict[str, FactValue] = {}
    for name, spec in FACTS_BY_STAGE[stage].items():
        neutral: dict[str, FactValue] = {
            "int": MINIMUM.get(name, 0),
            "bool": False,
            "enum": spec.values[0] if spec.values else "",
            "set": frozenset(),
        }
        out[name] = neutral[spec.kind]
    return out


def size(space: Mapping[str, list[FactValue]]) -> int:
    """How many combinations a space holds."""
    total = 1
    for choices in space.values():
        total *= len(choices)
    return total


def combinations(stage: Stage, space: Mapping[str, list[FactValue]]) -> Iterator[dict[str, FactValue]]:
    """Every combination, or a fixed random sample of them when there are too many."""
    names = list(space)
    base = _neutral(stage)
    if size(space) <= MAX_COMBINATIONS:
        for combination in itertools.product(*(space[n] for n in names)):
            yield {**base, **dict(zip(names, combination, strict=True))}
        return
    rng = random.Random(0)  # noqa: S311 - a fixed sample, not a secret: the same findings every run
    for _ in range(MAX_COMBINATIONS):
        yield {**base, **{n: rng.choice(space[n]) for n in names}}


def lint(rulebook: Rulebook, exercised: Iterable[str] | None = None) -> list[Finding]:
    """Findings about the rules' behaviour; `exercised` are the rule ids some scenario fired."""
    findings: list[Finding] = []
    rationales = Rationales.of(rulebook)
    for stage in STAGES:
        findings.extend(_lint_stage(rulebook, stage, rationales))
    if rationales is not None:
        findings.extend(rationales.findings())
    if exercised is not None:
        used = set(exercised)
        findings.extend(
            Finding(info.file, info.line, info.id, "no scenario exercises this rule", "warning")
            for info in rulebook.rules
            if info.id not in used
        )
    return findings


class _Firing:
    """Which rules fire, as the oracle says, remembered by the values of the facts each rule
    names: the combinations tried repeat them many times over."""

    def __init__(self, rules: Sequence[RuleInfo], parameters: Mapping[str, int]) -> None:
        self.parameters = parameters
        self.rules = [(info, tuple(dict.fromkeys(_named(info)))) for info in rules]
        self.seen: list[dict[tuple[FactValue, ...], bool]] = [{} for _ in rules]

    def __call__(self, facts: Mapping[str, FactValue]) -> frozenset[str]:
        ids = []
        for (info, names), seen in zip(self.rules, self.seen, strict=True):
            values = tuple(facts[n] for n in names)
            result = seen.get(values)
            if result is None:
                result = seen[values] = holds(info.rule.when, facts, self.parameters)
            if result:
                ids.append(info.id)
        return frozenset(ids)


def contradictions(rulebook: Rulebook) -> list[Contradiction]:
    """The rules with opposite verdicts that can speak in one group's rationale, each with an
    example (what the lint reports as errors)."""
    rationales = Rationales.of(rulebook)
    if rationales is None:
        return []
    for stage in ("group", "placement"):
        _lint_stage(rulebook, stage, rationales)
    return rationales.contradictions()


def _lint_stage(rulebook: Rulebook, stage: Stage, rationales: Rationales | None = None) -> list[Finding]:
    rules = rulebook.stage(stage)
    if not rules:  # nothing can decide what this stage must decide
        return [
            Finding(rulebook.label, None, None, f"at the {stage} stage no rule decides '{name}'")
            for name in REQUIRED[stage]
        ]
    see = rationales.observer(stage) if rationales is not None else None
    shared = rationales.other_rules(stage) if rationales is not None else ()
    space = domain(stage, rules, rulebook.parameters, shared)
    # Warnings that say nothing of the group (no verdicts) decide nothing and speak in no
    # contradiction: the facts only they name are tried apart, for whether those warnings can fire.
    silent = [i for i in rules if i.rule.decides == "warning" and not i.rule.verdicts]
    others = {f for i in rules if i not in silent for f in _named(i)} | {f for i in shared for f in _named(i)}
    apart = [name for name in space if name not in others]
    ever: set[str] = set()
    if apart:
        for name in apart:
            del space[name]
        alone = domain(stage, silent, rulebook.parameters)
        by_silent = _Firing(silent, rulebook.parameters)
        for facts in combinations(stage, alone):
            ever |= by_silent(facts)
    if see is not None and rationales is not None:
        rationales.spaces[stage] = size(space)
    firing = _Firing(rules, rulebook.parameters)
    conflicts: dict[tuple[str, str], dict[str, FactValue]] = {}
    gaps: dict[str, dict[str, FactValue]] = {}
    decisions = [d for d in REQUIRED[stage] if d in DECISIONS]
    names = {info.rule.decides for info in rules if info.rule.decides != "warning"} | set(decisions)
    decided: set[frozenset[str]] = set()  # what the same rules firing decide is known already
    # rule id → what is wrong, the facts of an example, and facts the example must show besides
    # the rule's own (what makes the method wrong though the rule does not name it)
    misfits: dict[str, tuple[str, dict[str, FactValue], tuple[str, ...]]] = {}
    for facts in combinations(stage, space):
        ids = firing(facts)
        if see is not None:
            see(facts, ids)
        if stage == "method":
            _check_methods(rulebook, ids, facts, misfits)
        if ids in decided:
            continue
        decided.add(ids)
        ever |= ids
        for name in names:
            decision = decide(rulebook, stage, ids, name)
            if decision.winner is None:
                if name in decisions:
                    gaps.setdefault(name, facts)
                continue
            top = [
                i
                for i in decision.fired
                if i.rule.priority == decision.winner.rule.priority
                and i.rule.value != decision.winner.rule.value
            ]
            for rival in top:
                first, second = sorted((decision.winner.id, rival.id))
                conflicts.setdefault((first, second), facts)
    findings = []
    for info in rules:
        if info.id not in ever:
            findings.append(
                Finding(
                    info.file,
                    info.line,
                    info.id,
                    "this rule can never fire: no answers satisfy its conditions",
                    "warning",
                )
            )
    by_id = {info.id: info for info in rules}
    for rule_id, (problem, facts, also) in misfits.items():
        info = by_id[rule_id]
        findings.append(
            Finding(
                info.file, info.line, info.id, f"{problem}, for example when {_example(facts, [info], also)}"
            )
        )
    for (first, second), facts in conflicts.items():
        a, b = by_id[first], by_id[second]
        example = _example(facts, [a, b])
        findings.append(
            Finding(
                a.file,
                a.line,
                a.id,
                f"decides '{a.rule.decides}' as '{a.rule.value}' while "
                f"rule '{b.id}' ({b.file}:{b.line}) decides '{b.rule.value}' at the same "
                f"priority {a.rule.priority}, for example when {example}",
            )
        )
    for name, facts in gaps.items():
        example = _example(facts, [i for i in rules if i.rule.decides == name]) or "any answers"
        findings.append(
            Finding(
                rules[0].file, None, None, f"at the {stage} stage no rule decides '{name}' when {example}"
            )
        )
    return findings


@dataclass(frozen=True)
class Contradiction:
    """Two rules whose reasons say opposite things in one group's rationale (`first` says
    `says`, `second` its opposite), with an example: the facts the group and all its placements
    share, and the facts of the placement each placement rule speaks for (two when each speaks
    for another placement)."""

    first: RuleInfo
    second: RuleInfo
    says: Verdict
    group: dict[str, FactValue]
    placements: tuple[dict[str, FactValue], ...]


def opposed(a: RuleInfo, b: RuleInfo) -> Verdict | None:
    """The verdict of `a` that `b` says the opposite of; None when they cannot contradict: no
    opposite verdicts, or the same decision of one stage, which only one rule wins."""
    if a.id == b.id or (a.stage == b.stage and a.rule.decides == b.rule.decides != "warning"):
        return None
    return next((v for v in a.rule.verdicts if OPPOSITE[v] in b.rule.verdicts), None)


# The facts every placement of a group shares: the group's own, and what the organisation stage
# decided for the whole plan (the group's decisions, `pilot` and `wave`, are matched apart).
ONE_PER_GROUP = frozenset(GROUP_FACTS) | {"limited_pilot_exists"}
_Key = tuple[object, ...]
_Facts = dict[str, FactValue]


class Rationales:
    """What one group's rationale can hold, gathered while the lint tries the answers of the group
    and placement stages; and the rules with opposite verdicts that can speak in one rationale.

    A group's rationale holds the winner of each group decision (pilot, wave), the winner of each
    placement decision (enrollment) for every placement of the group, and the warnings that fire
    for the group or its placements. Every placement sees the group's facts and the group's
    decisions (as the facts `pilot` and `wave`); its own facts (its phase, its users, ...) may
    differ from those of the group's other placements. Only rules with verdicts are kept.
    """

    def __init__(self, rulebook: Rulebook) -> None:
        self.rulebook = rulebook
        group_named = dict.fromkeys(f for i in rulebook.stage("group") for f in _named(i))
        placement_named = dict.fromkeys(f for i in rulebook.stage("placement") for f in _named(i))
        # The group facts both stages name (a group and its placements agree on them), the group
        # facts only placement rules name, and the group decisions placement rules name as facts.
        self.shared = [n for n in group_named if n in placement_named]
        self.own = [n for n in placement_named if n in ONE_PER_GROUP and n not in group_named]
        self.decided = [n for n in ("pilot", "wave") if n in placement_named]
        self.decisions = {
            stage: sorted({i.rule.decides for i in rulebook.stage(stage)} - {"warning"})
            for stage in ("group", "placement")
        }
        self.spaces: dict[Stage, int] = {}
        self._spoken: dict[tuple[Stage, frozenset[str]], tuple[frozenset[str], dict[str, str]]] = {}
        # The group stage: by shared facts and decisions seen, each set of rules speaking with an
        # example (the group's facts and its decisions).
        self.groups: dict[_Key, dict[frozenset[str], tuple[_Facts, dict[str, str]]]] = {}
        # The placement stage: by the same key, then by the group facts only placements name,
        # each set of rules speaking with an example placement.
        self.placements: dict[_Key, dict[_Key, dict[frozenset[str], _Facts]]] = {}

    @classmethod
    def of(cls, rulebook: Rulebook) -> Rationales | None:
        """None when no two rules could ever contradict: nothing to search."""
        speaking = [i for i in rulebook.rules if i.rule.verdicts and i.stage != "organisation"]
        if any(opposed(a, b) for a, b in itertools.combinations(speaking, 2)):
            return cls(rulebook)
        return None

    def observer(self, stage: Stage) -> Callable[[_Facts, frozenset[str]], None] | None:
        return {"group": self._see_group, "placement": self._see_placement}.get(stage)

    def other_rules(self, stage: Stage) -> tuple[RuleInfo, ...]:
        """The rules of the stage that shares group facts with `stage`: group and placement."""
        other: dict[Stage, Stage] = {"group": "placement", "placement": "group"}
        return self.rulebook.stage(other[stage]) if stage in other else ()

    def _speaking(self, stage: Stage, ids: frozenset[str]) -> tuple[frozenset[str], dict[str, str]]:
        """The rules with verdicts that speak when these rules fire, and each decision's value."""
        known = self._spoken.get((stage, ids))
        if known is None:
            known = self._spoken[(stage, ids)] = self._speak(stage, ids)
        return known

    def _speak(self, stage: Stage, ids: frozenset[str]) -> tuple[frozenset[str], dict[str, str]]:
        speaking: set[str] = set()
        values: dict[str, str] = {}
        for name in self.decisions[stage]:
            decision = decide(self.rulebook, stage, ids, name)
            values[name] = decision.value or FALLBACK.get(name, "")
            if decision.winner is not None and decision.winner.rule.verdicts:
                speaking.add(decision.winner.id)
        speaking.update(i.id for i in fired_warnings(self.rulebook, stage, ids) if i.rule.verdicts)
        return frozenset(speaking), values

    def _see_group(self, facts: _Facts, ids: frozenset[str]) -> None:
        speaking, values = self._speaking("group", ids)
        decided = {n: values.get(n, FALLBACK[n]) for n in ("pilot", "wave")}
        key = (*(facts[n] for n in self.shared), *(decided[n] for n in self.decided))
        self.groups.setdefault(key, {}).setdefault(speaking, (facts, decided))

    def _see_placement(self, facts: _Facts, ids: frozenset[str]) -> None:
        speaking, _ = self._speaking("placement", ids)
        if not speaking:
            return
        key = (*(facts[n] for n in self.shared), *(facts[n] for n in self.decided))
        own = tuple(facts[n] for n in self.own)
        self.placements.setdefault(key, {}).setdefault(own, {}).setdefault(speaking, facts)

    def contradictions(self) -> list[Contradiction]:
        """Every pair of rules with opposite verdicts that can speak in one group's rationale,
        with the simplest example found: the group alone, one placement, then two."""
        found: dict[tuple[str, str], tuple[int, Contradiction]] = {}

        def note(
            rank: int, a: str, b: str, group: _Facts, decided: dict[str, str], where: dict[str, _Facts]
        ) -> None:
            first, second = sorted((self.rulebook.rule(a), self.rulebook.rule(b)), key=_place)
            says = opposed(first, second)
            pair = (first.id, second.id)
            if says is None or (pair in found and found[pair][0] <= rank):
                return
            # The group's facts as its placements see them, and each placement with the group's
            # facts and decisions: the example a reader (or a test) can evaluate whole.
            whole = {**group, **{n: p[n] for p in where.values() for n in self.own}}
            placements = []
            for rule in (first, second):
                if rule.id in where:
                    placement = {**where[rule.id], **whole, **decided}
                    if placement not in placements:
                        placements.append(placement)
            found[pair] = (rank, Contradiction(first, second, says, whole, tuple(placements)))

        for key, outcomes in self.groups.items():
            for speaking, (group, decided) in outcomes.items():
                for a, b in itertools.combinations(sorted(speaking), 2):
                    note(0, a, b, group, decided, {})
            placed = self.placements.get(key, {})
            some_group, some_decided = next(iter(outcomes.values()))
            for kinds in placed.values():
                for speaking, (group, decided) in outcomes.items():
                    for spoken, placement in kinds.items():
                        for a, b in itertools.product(sorted(speaking), sorted(spoken)):
                            note(1, a, b, group, decided, {b: placement})
                for spoken, placement in kinds.items():
                    for a, b in itertools.combinations(sorted(spoken), 2):
                        note(1, a, b, some_group, some_decided, {a: placement, b: placement})
                for (one, p1), (other, p2) in itertools.combinations(kinds.items(), 2):
                    for a, b in itertools.product(sorted(one), sorted(other)):
                        note(2, a, b, some_group, some_decided, {a: p1, b: p2})
        return [c for _, c in sorted(found.values(), key=lambda f: _place(f[1].first))]

    def findings(self) -> list[Finding]:
        findings = [
            Finding(
                c.first.file,
                c.first.line,
                c.first.id,
                f"says '{c.says}' while [{c.second.id}] ({c.second.file}:{c.second.line}) says "
                f"'{OPPOSITE[c.says]}' for the same group, e.g. {self._example(c)}",
            )
            for c in self.contradictions()
        ]
        largest = max(self.spaces.values(), default=0)
        if largest > MAX_COMBINATIONS:
            findings.append(
                Finding(
                    self.rulebook.label,
                    None,
                    None,
                    f"could not decide whether reasons contradict each other: {largest:,} "
                    f"combinations of answers are more than the {MAX_COMBINATIONS:,} the lint tries",
                    "warning",
                )
            )
        return findings

    def _example(self, c: Contradiction) -> str:
        """The facts of both rules and of the rules that could outrank them, with their values."""
        names = dict.fromkeys(
            n
            for rule in (c.first, c.second, *self._rivals(c.first), *self._rivals(c.second))
            for n in _named(rule)
        )
        if len(c.placements) < 2:
            facts = c.placements[0] if c.placements else c.group
            return ", ".join(f"{n}={_show(facts[n])}" for n in names)
        common = [n for n in names if n in ONE_PER_GROUP or n in self.decided]
        first, second = (
            ", ".join(f"{n}={_show(p[n])}" for n in names if n not in common) for p in c.placements
        )
        group = ", ".join(f"{n}={_show(c.group[n] if n in c.group else c.placements[0][n])}" for n in common)
        return f"{group}; one placement with {first}, another with {second}"

    def _rivals(self, info: RuleInfo) -> list[RuleInfo]:
        """The rules of the same decision that would win over `info` if they fired."""
        if info.rule.decides == "warning":
            return []
        return [
            i
            for i in self.rulebook.deciding(info.stage, info.rule.decides)
            if i.id != info.id and i.rule.priority >= info.rule.priority
        ]


def _named(info: RuleInfo) -> list[str]:
    return [leaf.fact for leaf in leaves(info.rule.when)]


def _place(info: RuleInfo) -> tuple[str, int]:
    return info.file, info.line


def _check_methods(
    rulebook: Rulebook,
    ids: frozenset[str],
    facts: Mapping[str, FactValue],
    misfits: dict[str, tuple[str, dict[str, FactValue], tuple[str, ...]]],
) -> None:
    """A method rule may fire only for devices its method can enroll (a platform, and an owner:
    never a method that resets a personal device), and the method that wins never resets devices
    the group will not have reset."""
    platform, owner = facts["platform"], facts["owner"]
    for info in rulebook.deciding("method", "method"):
        if info.id not in ids or info.id in misfits:
            continue
        spec = METHODS[info.rule.value]
        if spec.platform != platform or owner not in spec.owners:
            whose = "/".join(spec.owners)
            misfits[info.id] = (
                f"decides '{spec.slug}', a method for {whose} {spec.platform} devices, for {owner} "
                f"{platform} devices",
                dict(facts),
                (),
            )
    winner = decide(rulebook, "method", ids, "method").winner
    if (
        winner is not None
        and winner.id not in misfits
        and owner == "corporate"
        and facts.get("corporate_devices") == "in_use_keep"
        and METHODS[winner.rule.value].resets
    ):
        misfits[winner.id] = (
            f"decides '{winner.rule.value}', which resets devices in use, for a group whose devices "
            "must not be reset",
            dict(facts),
            ("corporate_devices",),
        )


def _example(facts: Mapping[str, FactValue], rules: Sequence[RuleInfo], also: Sequence[str] = ()) -> str:
    names = dict.fromkeys([*(leaf.fact for info in rules for leaf in leaves(info.rule.when)), *also])
    return ", ".join(f"{n}={_show(facts[n])}" for n in names)


def _show(value: Any) -> str:
    if isinstance(value, frozenset):
        return "[" + ", ".join(sorted(value)) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)


def exercised_by_scenarios(rulebook: Rulebook, folder: Path) -> set[str]:
    """The rules any scenario in `folder` fires (with the oracle)."""
    from advisor.evaluate.oracle import OracleEvaluator
    from advisor.quality.scenarios import load_scenario, run_scenario, scenario_files

    evaluator = OracleEvaluator(rulebook)
    used: set[str] = set()
    for path in scenario_files(folder):
        used |= run_scenario(load_scenario(path), evaluator, str(path)).fired
    return used
