"""From fired rules to decisions: the highest priority wins; the others are kept to explain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from advisor.model.facts import FactValue
from advisor.model.vocabulary import Stage
from advisor.rulebook.loader import Rulebook, RuleInfo

Facts = dict[str, FactValue]


class Evaluator(Protocol):
    """The engine or the oracle: which rules fire for each set of facts."""

    rulebook: Rulebook

    def evaluate(self, stage: Stage, facts: Sequence[Facts]) -> list[frozenset[str]]: ...


@dataclass(frozen=True)
class Decision:
    """What a decision came to: the winning rule (None if no rule decided) and all that fired."""

    name: str
    value: str | None
    winner: RuleInfo | None
    fired: tuple[RuleInfo, ...] = field(default=())


def decide(rulebook: Rulebook, stage: Stage, fired_ids: Iterable[str], name: str) -> Decision:
    """The fired rule of highest priority wins; ties go to the rule written first."""
    fired_set = fired_ids if isinstance(fired_ids, frozenset | set) else set(fired_ids)
    candidates = [info for info in rulebook.deciding(stage, name) if info.rule.id in fired_set]
    if not candidates:
        return Decision(name, None, None)
    winner = max(candidates, key=lambda info: info.rule.priority)  # max keeps the first of equals
    return Decision(name, winner.rule.value, winner, tuple(candidates))


def fired_warnings(rulebook: Rulebook, stage: Stage, fired_ids: Iterable[str]) -> list[RuleInfo]:
    fired_set = fired_ids if isinstance(fired_ids, frozenset | set) else set(fired_ids)
    return [info for info in rulebook.deciding(stage, "warning") if info.rule.id in fired_set]
