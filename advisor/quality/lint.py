"""Lint over the finite space of answers: dead rules, conflicts, gaps, untested rules.

Rules compare number facts only with constants, so the answers that matter are finite: for a
number fact, one value below, at and above each constant it is compared with; for a set fact,
every combination of the members the rules name; enums and booleans as they are. Every
combination of the facts a stage's rules name is evaluated with the oracle.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from advisor.evaluate.decisions import decide
from advisor.evaluate.oracle import fired
from advisor.model.errors import Finding
from advisor.model.facts import FACTS_BY_STAGE, FactValue
from advisor.model.vocabulary import DECISIONS, STAGES, Stage
from advisor.rulebook.loader import Rulebook, RuleInfo
from advisor.rulebook.schema import leaves

# Decisions the plan cannot do without: a gap means the planner would fall back.
REQUIRED = {"group": ("pilot", "wave"), "organisation": ("split_by",), "placement": ("enrollment",)}
MAX_COMBINATIONS = 200_000
# The smallest value each number fact can take (users and phase users start at one).
MINIMUM = {"users": 1, "phase_users": 1, "groups": 1, "total_users": 1}


def domain(
    stage: Stage, rules: Sequence[RuleInfo], parameters: Mapping[str, int]
) -> dict[str, list[FactValue]]:
    """The values worth trying for each fact the stage's rules name."""
    specs = FACTS_BY_STAGE[stage]
    cuts: dict[str, set[int]] = {}
    members: dict[str, set[str]] = {}
    named: dict[str, None] = {}
    for info in rules:
        for leaf in leaves(info.rule.when):
            named[leaf.fact] = None
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
            low = MINIMUM.get(name, 0)
            points = {low} | {p for c in cuts.get(name, set()) for p in (c - 1, c, c + 1) if p >= low}
            result[name] = sorted(points)
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


def combinations(stage: Stage, space: Mapping[str, list[FactValue]]) -> Iterator[dict[str, FactValue]]:
    """Every combination, or a fixed random sample of them when there are too many."""
    names = list(space)
    base = _neutral(stage)
    total = 1
    for choices in space.values():
        total *= len(choices)
    if total <= MAX_COMBINATIONS:
        for combination in itertools.product(*(space[n] for n in names)):
            yield {**base, **dict(zip(names, combination, strict=True))}
        return
    rng = random.Random(0)  # noqa: S311 - a fixed sample, not a secret: the same findings every run
    for _ in range(MAX_COMBINATIONS):
        yield {**base, **{n: rng.choice(space[n]) for n in names}}


def lint(rulebook: Rulebook, exercised: Iterable[str] | None = None) -> list[Finding]:
    """Findings about the rules' behaviour; `exercised` are the rule ids some scenario fired."""
    findings: list[Finding] = []
    for stage in STAGES:
        findings.extend(_lint_stage(rulebook, stage))
    if exercised is not None:
        used = set(exercised)
        findings.extend(
            Finding(info.file, info.line, info.id, "no scenario exercises this rule", "warning")
            for info in rulebook.rules
            if info.id not in used
        )
    return findings


def _lint_stage(rulebook: Rulebook, stage: Stage) -> list[Finding]:
    rules = rulebook.stage(stage)
    if not rules:  # nothing can decide what this stage must decide
        return [
            Finding(rulebook.label, None, None, f"at the {stage} stage no rule decides '{name}'")
            for name in REQUIRED[stage]
        ]
    space = domain(stage, rules, rulebook.parameters)
    ever: set[str] = set()
    conflicts: dict[tuple[str, str], dict[str, FactValue]] = {}
    gaps: dict[str, dict[str, FactValue]] = {}
    decisions = [d for d in REQUIRED[stage] if d in DECISIONS]
    for facts in combinations(stage, space):
        ids = fired(rules, facts, rulebook.parameters)
        ever |= ids
        for name in {info.rule.decides for info in rules if info.rule.decides != "warning"} | set(decisions):
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
            for other in top:
                first, second = sorted((decision.winner.id, other.id))
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


def _example(facts: Mapping[str, FactValue], rules: Sequence[RuleInfo]) -> str:
    names = dict.fromkeys(leaf.fact for info in rules for leaf in leaves(info.rule.when))
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
