"""Rule model → durable_rules ruleset definitions (plain dicts; the engine attaches actions)."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from typing import Any

from advisor.model.facts import FACTS_BY_STAGE, FactValue
from advisor.model.vocabulary import Stage
from advisor.rulebook.loader import RuleInfo
from advisor.rulebook.schema import AllOf, Condition, Leaf, NotOf, leaves

Expr = dict[str, Any]
SINK_RULE = "__consume"
SESSION_RULE = "__session"
SESSION_KIND = "__session"
# A session in which no action ran is left half made: delete_state on it segfaults or aborts
# (found by the random-rules property test in tests/test_engine.py). Each batch therefore
# starts with a marker fact that this rule always fires on, once.
# Every fact must be consumed by some pattern: a batch holding a fact no rule matches raises
# MessageNotHandledException for the whole batch, runs no action, and leaves a session that later
# segfaults. This join needs a fact kind that is never asserted, so it consumes every fact of the
# stage and never fires.
_NEVER = "__never"

_NEGATED = {
    "eq": "ne",
    "ne": "eq",
    "lt": "gte",
    "gte": "lt",
    "gt": "lte",
    "lte": "gt",
    "in": "not_in",
    "not_in": "in",
    "contains": "not_contains",
    "not_contains": "contains",
}
_COMPARE = {"ne": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}


def flat_field(fact: str, value: str) -> str:
    """Set facts are flattened to one boolean field per possible member."""
    return f"{fact}__{value}"


def flatten(stage: Stage, facts: Mapping[str, FactValue]) -> dict[str, Any]:
    """Facts as the engine sees them: scalars as they are, sets as one boolean per member."""
    flat: dict[str, Any] = {}
    for name, spec in FACTS_BY_STAGE[stage].items():
        value = facts[name]
        if spec.kind == "set":
            assert isinstance(value, frozenset)  # noqa: S101 - the facts model guarantees it
            for member in spec.values:
                flat[flat_field(name, member)] = member in value
        else:
            flat[name] = value
    return flat


def compile_stage(
    stage: Stage, rules: tuple[RuleInfo, ...], parameters: Mapping[str, int]
) -> dict[str, Expr]:
    """The definitions of one stage's ruleset, without actions: {rule id: {"all": [...]}}."""
    definitions: dict[str, Expr] = {
        SINK_RULE: {"all": [{"m": {"kind": stage}}, {"n": {"kind": _NEVER}}]},
        SESSION_RULE: {"all": [{"m": {"kind": SESSION_KIND}}]},
    }
    for info in rules:
        expr = None if info.rule.when is None else compile_condition(info.rule.when, parameters)
        pattern: Expr = {"kind": stage} if expr is None else {"$and": [{"kind": stage}, expr]}
        # Every pattern starts with a positive type test: a purely negative pattern also matches
        # the session-state object durable re-asserts after every action, and loops forever.
        definitions[info.id] = {"all": [{"m": pattern}]}
    return definitions


def compile_condition(node: Condition, parameters: Mapping[str, int], negate: bool = False) -> Expr | None:
    """A condition as a durable expression; `not` is pushed down to the leaves (De Morgan).

    All facts are always present and strictly typed, so a negated comparison is exact.
    Returns None for a condition that always holds (an empty `all`).
    """
    if isinstance(node, Leaf):
        return _leaf(node, parameters, negate)
    if isinstance(node, NotOf):
        return compile_condition(node.not_, parameters, not negate)
    children = node.all if isinstance(node, AllOf) else node.any
    conjunction = isinstance(node, AllOf) != negate
    compiled = [compile_condition(child, parameters, negate) for child in children]
    if conjunction:
        parts = [c for c in compiled if c is not None]
        if not parts:
            return None  # every part always holds
        return parts[0] if len(parts) == 1 else {"$and": parts}
    if any(c is None for c in compiled):
        return None  # one branch always holds
    if not compiled:
        return _FALSE
    parts = [c for c in compiled if c is not None]
    return parts[0] if len(parts) == 1 else {"$or": parts}


# An `all: []` under `not` can never hold; no fact has this field, so the test is always false.
_FALSE: Expr = {"$ex": {"__false": 1}}


def _leaf(leaf: Leaf, parameters: Mapping[str, int], negate: bool) -> Expr:
    op = _NEGATED[leaf.op] if negate else leaf.op
    value = parameters[leaf.param] if leaf.param is not None else leaf.value
    if op in ("contains", "not_contains"):
        return {flat_field(leaf.fact, str(value)): op == "contains"}
    if op == "eq":
        return {leaf.fact: value}
    if op in ("in", "not_in"):
        assert isinstance(value, list)  # noqa: S101 - checked when the rulebook was loaded
        if op == "in":
            terms: list[Expr] = [{leaf.fact: item} for item in value]
            return terms[0] if len(terms) == 1 else {"$or": terms}
        terms = [{"$neq": {leaf.fact: item}} for item in value]
        return terms[0] if len(terms) == 1 else {"$and": terms}
    return {_COMPARE[op]: {leaf.fact: value}}


def fact_classes(
    stage: Stage, rules: tuple[RuleInfo, ...], parameters: Mapping[str, int]
) -> Callable[[Mapping[str, FactValue]], tuple[object, ...]]:
    """A function from facts to their equivalence class under this stage's rules.

    Only the facts the rules name can change what fires, and rules compare a number fact only
    with constants: two values on the same side of (or equal to) every constant make every rule
    fire alike. Facts of one class therefore fire the same rules, which lets the engine decide
    each class once.
    """
    specs = FACTS_BY_STAGE[stage]
    thresholds: dict[str, set[int]] = {}
    for info in rules:
        for leaf in leaves(info.rule.when):
            raw = parameters[leaf.param] if leaf.param is not None else leaf.value
            values = raw if isinstance(raw, list) else [raw]
            points = thresholds.setdefault(leaf.fact, set())
            if specs[leaf.fact].kind == "int":
                points.update(v for v in values if isinstance(v, int) and not isinstance(v, bool))
    numbers = tuple(
        (name, sorted(points)) for name, points in thresholds.items() if specs[name].kind == "int"
    )
    others = tuple(name for name in thresholds if specs[name].kind != "int")
    where = bisect.bisect_left

    def classify(facts: Mapping[str, FactValue]) -> tuple[object, ...]:
        key: list[object] = [facts[name] for name in others]
        for name, points in numbers:
            value = facts[name]
            index = where(points, value)
            key.append(index * 2 + (index < len(points) and points[index] == value))
        return tuple(key)

    return classify
