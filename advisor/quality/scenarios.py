"""Scenario files: an assessment with the placements, split and warnings the guide expects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from advisor.evaluate.decisions import Evaluator, Facts
from advisor.model.errors import InputError, Problem
from advisor.model.facts import Assessment, Group, parse_assessment
from advisor.model.messages import describe_validation_error
from advisor.model.methods import PREREQUISITES
from advisor.model.plan import MethodChoice, Placement, Plan
from advisor.model.vocabulary import METHOD_SLUGS, OWNERS, PLATFORMS, Stage
from advisor.model.yamlsource import YamlProblem, load_yaml
from advisor.planning.planner import make_plan
from advisor.rulebook.files import edit_yaml


class Expectation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    split_by: str | None = None
    # group id → its placements, each "phase[/number] YYYY-MM users approach"
    groups: dict[str, list[str]] = {}
    # the exact set of warnings: "code" for the plan, "code@group" for a group
    warnings: list[str] | None = None
    # group id → its enrollment methods, each "platform/owner: method", then `reset` when the
    # method resets the devices and `shared` when they have no user affinity (any order)
    methods: dict[str, list[str]] = {}
    # the exact set of the plan's prerequisites: code → the day it is due
    prerequisites: dict[str, date] | None = None

    @field_validator("methods")
    @classmethod
    def _method_texts(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for texts in value.values():
            for text in texts:
                problem = _method_text_problem(text)
                if problem:
                    raise ValueError(f"{text!r}: {problem}")
        return value

    @field_validator("prerequisites")
    @classmethod
    def _prerequisite_codes(cls, value: dict[str, date] | None) -> dict[str, date] | None:
        unknown = sorted(set(value or {}) - set(PREREQUISITES))
        if unknown:
            raise ValueError(f"unknown prerequisites {unknown}; known: {sorted(PREREQUISITES)}")
        return value


class Scenario(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(min_length=1)]
    description: Annotated[str, Field(min_length=1)]
    assessment: dict[str, object]
    # The day the plan is made on, for a rollout that starts in the past; none: not checked.
    today: date | None = None
    expect: Expectation


# What a difference is about: an expectation's key in the scenario's `expect`.
Expected = Literal["split_by", "groups", "methods", "prerequisites", "warnings"]


@dataclass(frozen=True)
class Difference:
    """One expectation the plan no longer meets: its key, its group (for `groups` and `methods`;
    with the group's name in the scenario), what the scenario expects and what the plan now gives,
    both as the scenario file writes them (`now` is None for a group the plan does not have)."""

    key: Expected
    group: str | None
    expected: object
    now: object
    group_name: str | None = None

    def __str__(self) -> str:
        now = "(no such group)" if self.now is None else self.now
        if self.key == "split_by":
            return f"split_by: expected {self.expected}, got {now}"
        if self.key == "groups":
            return f"{self.group}: expected {self.expected}, got {[now] if self.now is None else now}"
        if self.key == "methods":
            return f"{self.group} methods: expected {self.expected}, got {[now] if self.now is None else now}"
        if self.key == "prerequisites":
            return f"prerequisites: expected {_pairs(self.expected)}, got {_pairs(self.now)}"
        return f"warnings: expected {self.expected}, got {now}"


def _pairs(value: object) -> object:
    return sorted(value.items()) if isinstance(value, dict) else value


@dataclass(frozen=True)
class Outcome:
    """The result of one scenario: what differed (empty when it passed) and which rules fired;
    `source` is where the scenario was read from, as the caller named it."""

    scenario: str
    failures: tuple[Difference, ...]
    fired: frozenset[str]
    source: str = "scenario"

    @property
    def passed(self) -> bool:
        return not self.failures


def placement_text(p: Placement, group: Group | None = None) -> str:
    """`phase[/number] YYYY-MM users approach`, then `[platform]` when the placement holds some of
    the group's platforms only, and `@site, site` when it holds some of its sites only."""
    phase = p.phase if p.number is None else f"{p.phase}/{p.number}"
    text = f"{phase} {p.month} {p.users} {p.enrollment}"
    if group is not None and p.platforms and len(p.platforms) < len(group.platforms):
        text += f" [{', '.join(p.platforms)}]"
    if group is not None and p.locations and len(p.locations) < len(group.locations):
        text += f" @{', '.join(p.locations)}"
    return text


_FLAGS = ("reset", "shared")


def method_text(m: MethodChoice) -> str:
    """`platform/owner: method`, then `reset` when it resets the devices and `shared` when they
    have no user affinity."""
    text = f"{m.platform}/{m.ownership}: {m.method}"
    if m.reset_required:
        text += " reset"
    if not m.user_affinity:
        text += " shared"
    return text


def _method_text_problem(text: str) -> str | None:
    """What is wrong with a `methods` expectation's text, or None."""
    kind, sep, rest = text.partition(":")
    platform, slash, owner = kind.strip().partition("/")
    words = rest.split()
    if not sep or not slash or not words:
        return "write it as 'platform/owner: method', then 'reset' or 'shared' if they apply"
    if platform not in PLATFORMS:
        return f"unknown platform {platform!r}; known: {', '.join(PLATFORMS)}"
    if owner not in OWNERS:
        return f"unknown owner {owner!r}; known: {', '.join(OWNERS)}"
    if words[0] not in METHOD_SLUGS:
        return f"unknown method {words[0]!r}"
    flags = words[1:]
    if any(f not in _FLAGS for f in flags) or len(set(flags)) != len(flags):
        return f"the flags after the method are {' and '.join(_FLAGS)}, each at most once"
    return None


def _normal(text: str) -> str:
    """A method text with its flags in one order, so that the expectation may list them in any."""
    kind, _, rest = text.partition(":")
    method, *flags = rest.split()
    return " ".join([f"{kind.strip()}: {method}", *sorted(flags)])


def load_scenario(path: Path) -> Scenario:
    return parse_scenario(path.read_text(encoding="utf-8"), str(path))


def parse_scenario(text: str, source: str) -> Scenario:
    """A scenario from its file's text; InputError (naming `source`) with every problem."""
    try:
        data, _ = load_yaml(text)
        return Scenario.model_validate(data)
    except YamlProblem as exc:
        raise InputError(source, [Problem("", exc.message)]) from None
    except ValidationError as exc:
        raise InputError(source, [describe_validation_error(e, "en") for e in exc.errors()]) from None


def accepted(text: str, differences: Sequence[Difference]) -> str:
    """A scenario file's text that expects what the plan now gives wherever it differed, every
    other line as written (comments included). RuleFileError if the text is not YAML."""

    def change(document: Any) -> None:
        expect = document["expect"]
        for difference in differences:
            if difference.key in ("groups", "methods"):
                entries = expect[difference.key]
                if difference.now is None:  # the plan no longer has the group
                    del entries[difference.group]
                else:
                    entries[difference.group] = list(cast("list[str]", difference.now))
            elif difference.key == "prerequisites":
                due = cast("dict[str, str]", difference.now)
                expect["prerequisites"] = {code: date.fromisoformat(day) for code, day in due.items()}
            else:
                expect[difference.key] = difference.now

    return edit_yaml(text, change, sequence_indent=2)


def check(plan: Plan, expect: Expectation, assessment: Assessment | None = None) -> list[Difference]:
    """Expected versus got, one difference per expectation the plan does not meet."""
    failures: list[Difference] = []
    groups = {g.id: g for g in assessment.groups} if assessment is not None else {}
    planned = {g.id for g in plan.groups}
    if expect.split_by is not None and plan.split_by.value != expect.split_by:
        failures.append(Difference("split_by", None, expect.split_by, plan.split_by.value))
    for group_id, placements in expect.groups.items():
        got = (
            [placement_text(p, groups.get(group_id)) for p in plan.group(group_id).placements]
            if group_id in planned
            else None
        )
        if got != placements:
            failures.append(Difference("groups", group_id, placements, got, _name(groups, group_id)))
    for group_id, texts in expect.methods.items():
        methods = None
        if group_id in planned:
            methods = sorted(_normal(method_text(m)) for m in plan.group(group_id).methods)
        if methods != sorted(_normal(t) for t in texts):
            failures.append(Difference("methods", group_id, sorted(texts), methods, _name(groups, group_id)))
    if expect.prerequisites is not None:
        got_due = {p.code: p.due for p in plan.prerequisites}
        want_due = {code: day.isoformat() for code, day in expect.prerequisites.items()}
        if got_due != want_due:
            failures.append(Difference("prerequisites", None, want_due, got_due))
    if expect.warnings is not None:
        got_warnings = sorted(w.code if w.group is None else f"{w.code}@{w.group}" for w in plan.warnings)
        if got_warnings != sorted(expect.warnings):
            failures.append(Difference("warnings", None, sorted(expect.warnings), got_warnings))
    return failures


def _name(groups: dict[str, Group], group_id: str) -> str:
    return groups[group_id].name if group_id in groups else group_id


class _Recording:
    """Wraps an evaluator to note every rule that fired (for the coverage check)."""

    def __init__(self, inner: Evaluator) -> None:
        self.inner = inner
        self.rulebook = inner.rulebook
        self.fired: set[str] = set()

    def evaluate(self, stage: Stage, facts: Sequence[Facts]) -> list[frozenset[str]]:
        result = self.inner.evaluate(stage, facts)
        for ids in result:
            self.fired.update(ids)
        return result


def run_scenario(scenario: Scenario, evaluator: Evaluator, source: str = "scenario") -> Outcome:
    recording = _Recording(evaluator)
    assessment = parse_assessment(scenario.assessment, source)
    plan = make_plan(assessment, recording, today=scenario.today)
    failures = tuple(check(plan, scenario.expect, assessment))
    return Outcome(scenario.name, failures, frozenset(recording.fired), source)


def scenario_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yaml"))
