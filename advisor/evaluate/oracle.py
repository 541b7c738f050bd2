"""Plain-Python evaluation of the rule model: the engine's oracle, and the source of "why not"."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from advisor.model.facts import FactValue
from advisor.model.vocabulary import Stage
from advisor.rulebook.loader import Rulebook, RuleInfo
from advisor.rulebook.schema import AllOf, AnyOf, Condition, Leaf, NotOf, leaves

Facts = Mapping[str, FactValue]


# The rulebook's checks allow an order only on a whole-number fact, a list only after in/not_in
# and a member test only on a set fact; these say so to the type checker, and fail loudly if a
# rule ever reached the oracle without those checks.
def _number(value: object) -> int:
    if not isinstance(value, int):
        raise TypeError(f"an order needs whole numbers, not {value!r}")
    return value


def _choices(value: object) -> list[object]:
    if not isinstance(value, list):
        raise TypeError(f"in and not_in need a list, not {value!r}")
    return value


def _members(value: object) -> frozenset[str]:
    if not isinstance(value, frozenset):
        raise TypeError(f"contains needs a set fact, not {value!r}")
    return value


def leaf_holds(leaf: Leaf, facts: Facts, parameters: Mapping[str, int]) -> bool:
    actual = facts[leaf.fact]
    expected = parameters[leaf.param] if leaf.param is not None else leaf.value
    match leaf.op:
        case "eq":
            return actual == expected
        case "ne":
            return actual != expected
        case "lt":
            return _number(actual) < _number(expected)
        case "lte":
            return _number(actual) <= _number(expected)
        case "gt":
            return _number(actual) > _number(expected)
        case "gte":
            return _number(actual) >= _number(expected)
        case "in":
            return actual in _choices(expected)
        case "not_in":
            return actual not in _choices(expected)
        case "contains":
            return expected in _members(actual)
        case "not_contains":
            return expected not in _members(actual)
    raise AssertionError(f"unknown op {leaf.op}")  # pragma: no cover - the schema forbids it


def holds(node: Condition | None, facts: Facts, parameters: Mapping[str, int]) -> bool:
    if node is None:
        return True
    if isinstance(node, Leaf):
        return leaf_holds(node, facts, parameters)
    if isinstance(node, AllOf):
        return all(holds(child, facts, parameters) for child in node.all)
    if isinstance(node, AnyOf):
        return any(holds(child, facts, parameters) for child in node.any)
    return not holds(node.not_, facts, parameters)


Test = Callable[[Facts], bool]


def compile_condition(node: Condition | None, parameters: Mapping[str, int]) -> Test:
    """`holds` for one condition as a function of the facts alone, with the rulebook's numbers
    read once: the same answers, several times faster, for the planner's hot loop. A value of the
    wrong kind still fails loudly, when the condition is tested, as `holds` does."""
    if node is None:
        return _always
    if isinstance(node, Leaf):
        return _compile_leaf(node, parameters)
    if isinstance(node, AllOf):
        every = tuple(compile_condition(child, parameters) for child in node.all)

        def all_hold(facts: Facts) -> bool:  # a loop: faster than all() over a generator
            for test in every:  # noqa: SIM110
                if not test(facts):
                    return False
            return True

        return all_hold
    if isinstance(node, AnyOf):
        branches = tuple(compile_condition(child, parameters) for child in node.any)

        def any_holds(facts: Facts) -> bool:
            for test in branches:  # noqa: SIM110
                if test(facts):
                    return True
            return False

        return any_holds
    inner = compile_condition(node.not_, parameters)
    return lambda facts: not inner(facts)


def _always(_facts: Facts) -> bool:
    return True


def _compile_leaf(leaf: Leaf, parameters: Mapping[str, int]) -> Test:
    fact = leaf.fact
    expected = parameters[leaf.param] if leaf.param is not None else leaf.value
    op = leaf.op
    if op == "eq":
        return lambda facts: bool(facts[fact] == expected)
    if op == "ne":
        return lambda facts: bool(facts[fact] != expected)
    if op in ("in", "not_in") and isinstance(expected, list):
        choices = tuple(expected)
        if op == "in":
            return lambda facts: facts[fact] in choices
        return lambda facts: facts[fact] not in choices
    if op in ("lt", "lte", "gt", "gte") and isinstance(expected, int):
        bound = expected
        if op == "lt":
            return lambda facts: _number(facts[fact]) < bound
        if op == "lte":
            return lambda facts: _number(facts[fact]) <= bound
        if op == "gt":
            return lambda facts: _number(facts[fact]) > bound
        return lambda facts: _number(facts[fact]) >= bound
    if op == "contains":
        return lambda facts: expected in _members(facts[fact])
    if op == "not_contains":
        return lambda facts: expected not in _members(facts[fact])
    # An expected value of the wrong kind: `leaf_holds` raises for it when tested.
    return lambda facts: leaf_holds(leaf, facts, parameters)


def fired(rules: Sequence[RuleInfo], facts: Facts, parameters: Mapping[str, int]) -> frozenset[str]:
    """The ids of the rules whose conditions hold for these facts."""
    return frozenset(info.id for info in rules if holds(info.rule.when, facts, parameters))


def matched_facts(
    node: Condition | None, facts: Facts, parameters: Mapping[str, int]
) -> dict[str, FactValue]:
    """The facts a holding condition looked at, with their values (held `any` branches only)."""
    if node is None:
        return {}
    if isinstance(node, Leaf):
        return {node.fact: facts[node.fact]}
    if isinstance(node, AllOf):
        return {k: v for child in node.all for k, v in matched_facts(child, facts, parameters).items()}
    if isinstance(node, AnyOf):
        return {
            k: v
            for child in node.any
            if holds(child, facts, parameters)
            for k, v in matched_facts(child, facts, parameters).items()
        }
    return {leaf.fact: facts[leaf.fact] for leaf in leaves(node.not_)}


@dataclass(frozen=True)
class Failure:
    """Why a condition did not hold: the part that failed, and whether it failed by holding."""

    node: Condition
    excluded: bool = False


def first_failure(node: Condition | None, facts: Facts, parameters: Mapping[str, int]) -> Failure | None:
    """The first part of a condition that fails for these facts, or None if it holds."""
    if node is None or holds(node, facts, parameters):
        return None
    if isinstance(node, AllOf):
        for child in node.all:
            failure = first_failure(child, facts, parameters)
            if failure is not None:
                return failure
    if isinstance(node, NotOf):
        return Failure(node.not_, excluded=True)
    return Failure(node)  # a leaf, or an `any` where no branch held


class OracleEvaluator:
    """Evaluates a rulebook in plain Python, with the same interface as the engine."""

    def __init__(self, rulebook: Rulebook) -> None:
        self.rulebook = rulebook
        self._tests: dict[Stage, tuple[tuple[str, Test], ...]] = {}

    def evaluate(self, stage: Stage, facts: Sequence[Facts]) -> list[frozenset[str]]:
        tests = self._tests.get(stage)
        if tests is None:  # compiled once per stage: an evaluator lives as long as its rulebook
            parameters = self.rulebook.parameters
            tests = self._tests[stage] = tuple(
                (info.id, compile_condition(info.rule.when, parameters))
                for info in self.rulebook.stage(stage)
            )
        return [frozenset(rule_id for rule_id, test in tests if test(f)) for f in facts]
