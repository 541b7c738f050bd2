"""Checks of a validated rule file against the vocabulary: facts, values, parameters, sources."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from advisor.model.errors import Finding, Severity
from advisor.model.facts import FACTS_BY_STAGE
from advisor.model.guide import CURRENT_DOCS, GUIDE_URL, GUIDE_URL_SV, SECTIONS, split_source
from advisor.model.messages import did_you_mean
from advisor.model.methods import ALWAYS, METHODS, PREREQUISITES
from advisor.model.vocabulary import (
    DECISIONS,
    METHOD_SLUGS,
    OPPOSITE,
    OWNERS,
    PLANNER_PARAMETERS,
    PLATFORMS,
    REQUIREMENTS,
    FactSpec,
    ParameterKind,
    Provenance,
    Stage,
)
from advisor.model.yamlsource import LineMap, Path
from advisor.rulebook.schema import AllOf, AnyOf, Condition, Leaf, NotOf, Rule, RuleFile
from advisor.rulebook.template import TemplateError, names

OPS_BY_KIND = {
    "int": ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in"),
    "bool": ("eq", "ne"),
    "enum": ("eq", "ne", "in", "not_in"),
    "set": ("contains", "not_contains"),
}
WARNING_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass
class FileChecker:
    """Collects the findings of one file; `kinds` are the whole folder's parameters, by name."""

    file: str
    lines: LineMap
    kinds: Mapping[str, ParameterKind]
    parameter_provenance: Mapping[str, Provenance]

    def __post_init__(self) -> None:
        self.findings: list[Finding] = []

    def add(self, path: Path, rule: str | None, message: str, severity: Severity = "error") -> None:
        line = self.lines.line_of(path)
        self.findings.append(Finding(self.file, line, rule, message, severity))

    def check(self, rule_file: RuleFile, indexes: list[int] | None = None) -> list[Finding]:
        """Check the file's rules; `indexes` are their positions in the file (all, by default)."""
        if rule_file.rules and rule_file.stage is None:
            self.add(
                (), None, "a file with rules must name its stage: group, method, organisation or placement"
            )
            return self.findings
        positions = range(len(rule_file.rules)) if indexes is None else indexes
        for index, rule in zip(positions, rule_file.rules, strict=True):
            assert rule_file.stage is not None  # noqa: S101 - narrowed by the check above
            self._rule(("rules", index), rule, rule_file.stage)
        return self.findings

    def _rule(self, path: Path, rule: Rule, stage: Stage) -> None:
        spec = DECISIONS.get(rule.decides)
        if spec is None:
            hint = did_you_mean(rule.decides, DECISIONS, "en")
            self.add((*path, "decides"), rule.id, f"unknown decision '{rule.decides}'{hint}")
        elif stage not in spec.stages:
            where = " or ".join(spec.stages)
            self.add(
                (*path, "decides"),
                rule.id,
                f"'{rule.decides}' is decided at the {where} stage, not at the {stage} stage",
            )
        elif spec.values and rule.value not in spec.values:
            hint = did_you_mean(rule.value, spec.values, "en")
            self.add(
                (*path, "value"),
                rule.id,
                f"'{rule.decides}' cannot be '{rule.value}'; it is one of {', '.join(spec.values)}{hint}",
            )
        elif not spec.values and not WARNING_CODE.match(rule.value):
            self.add((*path, "value"), rule.id, "a warning code is lowercase letters, digits and hyphens")
        if rule.severity is not None and rule.decides != "warning":
            self.add((*path, "severity"), rule.id, "severity is only for warnings")
        facts = FACTS_BY_STAGE[stage]
        if rule.when is not None:
            for leaf_path, leaf in _leaves((*path, "when"), rule.when):
                self._leaf(leaf_path, rule.id, leaf, facts, stage)
        self._placeholders(path, rule, facts)
        self._source((*path, "source"), rule)
        self._provenance(path, rule)
        self._verdicts((*path, "verdicts"), rule, stage)
        if rule.reason.en.strip() == rule.reason.sv.strip():
            self.add(
                (*path, "reason", "sv"),
                rule.id,
                "the Swedish reason is the same as the English one: is it translated?",
                "warning",
            )

    def _provenance(self, path: Path, rule: Rule) -> None:
        """Our judgement never reads as Microsoft's: a rule resting on a threshold of our own is
        beyond_guide too."""
        if rule.provenance in ("guide", "guide_example"):
            named = {leaf.param for _, leaf in (_leaves((*path, "when"), rule.when) if rule.when else [])}
            # a reason that quotes our threshold rests on it too
            named |= {name for text in (rule.reason.en, rule.reason.sv) for name in _names_in(text)}
            ours = sorted(
                p for p in named if p is not None and self.parameter_provenance.get(p) == "beyond_guide"
            )
            if ours:
                self.add(
                    (*path, "provenance"),
                    rule.id,
                    f"rests on {', '.join(repr(p) for p in ours)}, our own threshold (beyond_guide): "
                    "the rule is beyond_guide too",
                )

    def _verdicts(self, path: Path, rule: Rule, stage: Stage) -> None:
        """A reason states each verdict once and never its opposite; the lint compares verdicts
        within one group's rationale, which only group and placement rules speak in."""
        for verdict in sorted({v for v in rule.verdicts if rule.verdicts.count(v) > 1}):
            self.add(path, rule.id, f"lists the verdict '{verdict}' more than once")
        for verdict in rule.verdicts:
            if OPPOSITE[verdict] in rule.verdicts and verdict < OPPOSITE[verdict]:
                self.add(path, rule.id, f"says both '{verdict}' and '{OPPOSITE[verdict]}'")
        if rule.verdicts and stage in ("organisation", "method"):
            self.add(
                path,
                rule.id,
                f"verdicts are compared within one group's rationale; a {stage} rule is in none",
                "warning",
            )

    def _leaf(self, path: Path, rule: str, leaf: Leaf, facts: Mapping[str, FactSpec], stage: Stage) -> None:
        spec = facts.get(leaf.fact)
        if spec is None:
            elsewhere = [s for s, known in FACTS_BY_STAGE.items() if leaf.fact in known]
            if elsewhere:
                self.add(
                    (*path, "fact"),
                    rule,
                    f"fact '{leaf.fact}' is not known at the {stage} stage "
                    f"(it is at the {' and '.join(elsewhere)} stage)",
                )
            else:
                hint = did_you_mean(leaf.fact, facts, "en")
                self.add((*path, "fact"), rule, f"unknown fact '{leaf.fact}'{hint}")
            return
        allowed = OPS_BY_KIND[spec.kind]
        if leaf.op not in allowed:
            self.add(
                (*path, "op"),
                rule,
                f"'{leaf.op}' does not fit '{spec.name}' ({_describe(spec)}); use {', '.join(allowed)}",
            )
            return
        if (leaf.value is None) == (leaf.param is None):
            self.add(path, rule, "a condition needs either a value or a param, not both or neither")
            return
        if leaf.param is not None:
            self._param(path, rule, leaf, spec)
            return
        if leaf.op in ("in", "not_in"):
            if not isinstance(leaf.value, list) or not leaf.value:
                self.add((*path, "value"), rule, f"'{leaf.op}' needs a non-empty list of values")
                return
            for index, item in enumerate(leaf.value):
                self._value((*path, "value", index), rule, item, spec)
        elif isinstance(leaf.value, list):
            self.add((*path, "value"), rule, f"'{leaf.op}' compares with one value, not a list")
        else:
            self._value((*path, "value"), rule, leaf.value, spec)

    def _param(self, path: Path, rule: str, leaf: Leaf, spec: FactSpec) -> None:
        kind = self.kinds.get(leaf.param or "")
        if leaf.param is not None and kind not in (None, "number"):
            self.add((*path, "param"), rule, _not_a_number(leaf.param, self.kinds[leaf.param]))
        elif spec.kind != "int" or leaf.op in ("in", "not_in"):
            self.add(
                (*path, "param"),
                rule,
                "a param can only be compared with a number fact, one at a time",
            )
        elif kind is None:
            hint = did_you_mean(leaf.param, self._numbers(), "en")
            self.add((*path, "param"), rule, f"unknown parameter '{leaf.param}'{hint}")

    def _numbers(self) -> list[str]:
        return [name for name, kind in self.kinds.items() if kind == "number"]

    def _value(self, path: Path, rule: str, value: object, spec: FactSpec) -> None:
        if spec.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                self.add(path, rule, f"'{spec.name}' is a number; {value!r} is not")
        elif spec.kind == "bool":
            if not isinstance(value, bool):
                self.add(path, rule, f"'{spec.name}' is true or false; {value!r} is not")
        elif value not in spec.values:
            hint = did_you_mean(value, spec.values, "en")
            self.add(
                path,
                rule,
                f"'{spec.name}' cannot be {value!r}; it is one of {', '.join(spec.values)}{hint}",
            )

    def _placeholders(self, path: Path, rule: Rule, facts: Mapping[str, FactSpec]) -> None:
        for language in ("en", "sv"):
            text = getattr(rule.reason, language)
            try:
                named = names(text)
            except TemplateError as exc:
                self.add((*path, "reason", language), rule.id, f"reason text: {exc}")
                continue
            for name in named:
                if name in facts:
                    continue
                if name in self.kinds and self.kinds[name] != "number":
                    self.add((*path, "reason", language), rule.id, _not_a_number(name, self.kinds[name]))
                elif name not in self.kinds:
                    hint = did_you_mean(name, [*facts, *self._numbers()], "en")
                    self.add(
                        (*path, "reason", language),
                        rule.id,
                        f"the reason names '{{{name}}}', which is no fact or parameter{hint}",
                    )

    def _source(self, path: Path, rule: Rule) -> None:
        """The guide's section for the guide's rules and our own (the section a judgement extends);
        the current Microsoft page for current practice."""
        url, anchor = split_source(rule.source)
        if rule.provenance == "current_practice":
            if not url.startswith(CURRENT_DOCS):
                self.add(
                    path,
                    rule.id,
                    f"a current_practice rule cites the Microsoft page it follows ({CURRENT_DOCS}…)",
                )
            return
        if url not in (GUIDE_URL, GUIDE_URL_SV):
            self.add(path, rule.id, f"source must be the planning guide ({GUIDE_URL}) with a section anchor")
        elif anchor not in SECTIONS:
            hint = did_you_mean(anchor, SECTIONS, "en")
            what = f"unknown section anchor '#{anchor}'" if anchor else "the source has no #anchor"
            self.add(path, rule.id, f"{what}{hint}")


def _not_a_number(name: str, kind: ParameterKind) -> str:
    what = {"list": "a list", "table": "a table of lists"}.get(kind, kind)
    return f"'{name}' is {what}; conditions and reasons use number parameters"


_KIND_WORDS: dict[ParameterKind, str] = {
    "number": "a whole number",
    "list": "a list of values",
    "table": "a table of lists (key: [values])",
}
# The planner's number parameters whose sense bounds them more than any number's range.
NUMBER_BOUNDS: dict[str, tuple[int, int, str]] = {
    "mixed_personal_percent": (0, 100, "a share of devices, in percent"),
    "prerequisite_lead_days": (0, 365, "days before a phase"),
    **{
        f"load_percent_{load}": (1, 1000, "a device's weight on the helpdesk, in percent of a user")
        for load in ("self_service", "zero_touch", "automatic", "app_protection")
    },
    # The calendar: a step's distance from the day it counts from, in working days (60: about a
    # quarter), never so far that a phase's messages would fall a season before it
    **{
        name: (0, 60, "working days")
        for name in (
            "helpdesk_training_lead_days",
            "kickoff_lead_days",
            "announce_lead_days",
            "second_announce_lead_days",
            "instructions_lead_days",
            "reminder_days_before_end",
            "tech_fair_day_offset",
            "follow_up_days",
            "gate_days_before_phase",
        )
    },
    "enrollment_window_days": (1, 60, "working days"),
    "gate_enrollment_success_percent": (0, 100, "a share of devices, in percent"),
    "gate_feedback_percent": (0, 100, "a share of users, in percent"),
    "gate_compliance_percent": (0, 100, "a share of devices, in percent"),
    "gate_soak_days": (0, 60, "working days"),
    "return_days_after_quiet": (0, 15, "working days"),
    "tech_fair_users_per_day": (1, 10_000, "users a day"),
    "gate_tickets_per_100_users": (0, 10_000, "tickets per 100 users"),
    "gate_blocking_issues": (0, 10_000, "issues open"),
    "tech_fair_load_percent": (0, 100, "a share of a group's load, in percent"),
    "support_week_over_percent": (100, 1000, "a share of a week's capacity, in percent"),
    "directory_active_days": (1, 365, "days since a device's last check-in"),
    "directory_site_split_users": (1, 10_000_000, "users in a department"),
    "progress_behind_margin_percent": (0, 100, "percentage points"),
    "progress_no_group_warning_percent": (0, 100, "a share of the users read, in percent"),
}
# The kinds of holidays the holiday library knows (holidays.constants): a category it does not
# know would silently skip no day.
HOLIDAY_CATEGORIES = (
    "public",
    "de_facto",
    "bank",
    "government",
    "half_day",
    "optional",
    "school",
    "unofficial",
    "armed_forces",
)
COUNTRY = re.compile(r"^[A-Z]{2}$")  # ISO 3166-1 alpha-2, as the assessment writes a country
MONTH = re.compile(r"^(0[1-9]|1[0-2])$")


def planner_parameter(file: str, lines: LineMap, name: str, value: object) -> list[Finding]:
    """A parameter the planner reads: the kind it needs and, for lists and tables, their values
    (each finding at the line of the value it is about)."""
    kind = PLANNER_PARAMETERS.get(name)
    if kind is None:
        return []
    at: Path = ("parameters", name, "value")
    if kind != kind_of(value):
        message = (
            f"the planner reads '{name}' as {_KIND_WORDS[kind]}; here it is {_KIND_WORDS[kind_of(value)]}"
        )
        return [Finding(file, lines.line_of(at), None, message)]
    problems: list[tuple[Path, str]] = []
    if name in NUMBER_BOUNDS and isinstance(value, int):
        low, high, why = NUMBER_BOUNDS[name]
        if not low <= value <= high:
            problems = [(at, f"{name} must be {low} to {high} ({why}), not {value}")]
    if name == "platform_order" and isinstance(value, list):
        problems = _platform_order(at, value)
    elif name == "quiet_months" and isinstance(value, dict):
        problems = _quiet_months(at, value)
    elif name == "holidays_everywhere" and isinstance(value, list):
        problems = [
            ((*at, i), f"holidays_everywhere: '{day}' is not a day written MM-DD")
            for i, day in enumerate(value)
            if not _is_month_day(day)
        ]
    elif name == "holiday_categories" and isinstance(value, list):
        problems = _members(name, at, value, HOLIDAY_CATEGORIES, "a holiday category")
        if not value:
            problems.append((at, "holiday_categories: name at least public"))
    elif name == "devices_assumed_in_use" and isinstance(value, list):
        problems = _members(name, at, value, PLATFORMS, "a platform")
    elif name in ("method_prerequisites", "requirement_prerequisites") and isinstance(value, dict):
        keys: tuple[str, ...] = (
            (*METHOD_SLUGS, ALWAYS, *OWNERS, *(f"{m}@{o}" for m in METHOD_SLUGS for o in METHODS[m].owners))
            if name == "method_prerequisites"
            else REQUIREMENTS
        )
        what = (
            "an enrollment method, method@owner, an owner or 'all'"
            if name == "method_prerequisites"
            else "a requirement"
        )
        for key, codes in value.items():
            if key not in keys:
                hint = did_you_mean(key, keys, "en")
                problems.append(((*at, key), f"{name}: '{key}' is not {what}{hint}"))
            problems += _members(f"{name}.{key}", (*at, key), codes, tuple(PREREQUISITES), "a prerequisite")
    return [Finding(file, lines.line_of(path), None, message) for path, message in problems]


def kind_of(value: object) -> ParameterKind:
    """The kind of a validated parameter value."""
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, dict):
        return "table"
    return "number"


def _platform_order(at: Path, value: list[str]) -> list[tuple[Path, str]]:
    problems: list[tuple[Path, str]] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        if item not in PLATFORMS:
            hint = did_you_mean(item, PLATFORMS, "en")
            message = f"platform_order: '{item}' is not a platform (one of {', '.join(PLATFORMS)}){hint}"
            problems.append(((*at, index), message))
        elif item in seen:
            problems.append(
                ((*at, index), f"platform_order: '{item}' is listed twice; name each platform once")
            )
        seen.add(item)
    missing = [platform for platform in PLATFORMS if platform not in seen]
    if missing:
        problems.append(
            (
                at,
                f"platform_order misses {', '.join(missing)}: "
                "it names each platform once, in the order they enroll",
            )
        )
    return problems


def _is_month_day(text: str) -> bool:
    """`12-25`: a day that every year has (29 February is not one)."""
    if not re.fullmatch(r"(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])", text):
        return False
    month, day = int(text[:2]), int(text[3:])
    return day <= (30 if month in (4, 6, 9, 11) else 28 if month == 2 else 31)


def _members(
    name: str, at: Path, value: list[str], known: Sequence[str], what: str
) -> list[tuple[Path, str]]:
    """Each item one of `known`, each once."""
    problems: list[tuple[Path, str]] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        if item not in known:
            hint = did_you_mean(item, known, "en")
            problems.append(
                ((*at, index), f"{name}: '{item}' is not {what} (one of {', '.join(known)}){hint}")
            )
        elif item in seen:
            problems.append(((*at, index), f"{name}: '{item}' is listed twice"))
        seen.add(item)
    return problems


def _quiet_months(at: Path, value: dict[str, list[str]]) -> list[tuple[Path, str]]:
    problems: list[tuple[Path, str]] = []
    if "default" not in value:
        problems.append(
            (at, "quiet_months needs a 'default' entry: the quiet months of every country it does not name")
        )
    for key, months in value.items():
        if key != "default" and not COUNTRY.match(key):
            problems.append(
                (
                    (*at, key),
                    f"quiet_months: '{key}' is neither 'default' nor a country code "
                    "(ISO 3166-1 alpha-2 in capitals, such as SE)",
                )
            )
        seen: set[str] = set()
        for index, month in enumerate(months):
            if not MONTH.match(month):
                message = f"quiet_months.{key}: '{month}' is not a month: two digits, 01 to 12"
                problems.append(((*at, key, index), message))
            elif month in seen:
                problems.append(((*at, key, index), f"quiet_months.{key}: '{month}' is listed twice"))
            seen.add(month)
    return problems


def _leaves(path: Path, node: Condition) -> Iterator[tuple[Path, Leaf]]:
    if isinstance(node, Leaf):
        yield path, node
    elif isinstance(node, AllOf):
        for index, child in enumerate(node.all):
            yield from _leaves((*path, "all", index), child)
    elif isinstance(node, AnyOf):
        for index, child in enumerate(node.any):
            yield from _leaves((*path, "any", index), child)
    elif isinstance(node, NotOf):
        yield from _leaves((*path, "not"), node.not_)


def _describe(spec: FactSpec) -> str:
    if spec.kind in ("enum", "set"):
        return ("one of " if spec.kind == "enum" else "a set of ") + ", ".join(spec.values)
    return {"int": "a number", "bool": "true or false"}[spec.kind]


def _names_in(text: str) -> list[str]:
    try:
        return names(text)
    except TemplateError:
        return []  # reported by the placeholder check


def used_parameters(rule: Rule) -> set[str]:
    if rule.when is None:
        return set()
    return {leaf.param for _, leaf in _leaves((), rule.when) if leaf.param is not None}
