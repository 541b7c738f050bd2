"""Loading a rule folder: every file parsed, validated and checked; all findings at once."""

from __future__ import annotations

import hashlib
import itertools
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from advisor.model.errors import Finding, RulebookError
from advisor.model.guide import CURRENT_DOCS
from advisor.model.messages import describe_validation_error, format_path
from advisor.model.vocabulary import (
    DECISIONS,
    OWNERS,
    PLANNER_PARAMETERS,
    PLATFORMS,
    ParameterKind,
    Provenance,
    Stage,
)
from advisor.model.yamlsource import MAX_DOCUMENT_BYTES, LineMap, YamlProblem, load_yaml
from advisor.rulebook.checks import FileChecker, kind_of, planner_parameter, used_parameters
from advisor.rulebook.schema import AllOf, Leaf, Parameter, Rule, RuleFile, Texts

MAX_RULE_FILES = 100

_KNOWN_FIELDS: dict[str, tuple[str, ...]] = {
    "": tuple(RuleFile.model_fields),
    "rules": tuple(Rule.model_fields),
    "reason": tuple(Texts.model_fields),
    "description": tuple(Texts.model_fields),
    "parameters": tuple(Parameter.model_fields),
    "when": ("all", "any", "not", *Leaf.model_fields),
    "all": ("all", "any", "not", *Leaf.model_fields),
    "any": ("all", "any", "not", *Leaf.model_fields),
    "not": ("all", "any", "not", *Leaf.model_fields),
}


@dataclass(frozen=True)
class RuleInfo:
    """A rule as loaded: the validated rule, the stage it runs at and where it was written."""

    rule: Rule
    stage: Stage
    file: str
    line: int

    @property
    def id(self) -> str:
        return self.rule.id


@dataclass(frozen=True)
class Rulebook:
    """A loaded, checked rulebook. `version` changes whenever any rule file changes.

    Parameters by kind: `parameters` the numbers (conditions, reasons and the planner use them),
    `lists` and `tables` the planner's lists of values; the texts and provenance of every
    parameter, whatever its kind, in the order the files define them.
    """

    label: str
    rules: tuple[RuleInfo, ...]
    parameters: Mapping[str, int]
    parameter_texts: Mapping[str, Texts]
    version: str
    parameter_provenance: Mapping[str, Provenance] = field(default_factory=dict)
    parameter_sources: Mapping[str, str] = field(default_factory=dict)
    lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    tables: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    _by_id: dict[str, RuleInfo] = field(default_factory=dict, repr=False, compare=False)

    _by_stage: dict[str, tuple[RuleInfo, ...]] = field(default_factory=dict, repr=False, compare=False)
    _deciding: dict[tuple[str, str], tuple[RuleInfo, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    _choosing: dict[tuple[str, str, object], tuple[RuleInfo, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self._by_id.update({info.id: info for info in self.rules})
        for info in self.rules:
            self._by_stage[info.stage] = (*self._by_stage.get(info.stage, ()), info)

    def stage(self, stage: Stage) -> tuple[RuleInfo, ...]:
        return self._by_stage.get(stage, ())

    def deciding(self, stage: Stage, decision: str) -> tuple[RuleInfo, ...]:
        """The stage's rules that decide `decision`, in the order written (computed once)."""
        key = (stage, decision)
        found = self._deciding.get(key)
        if found is None:
            found = tuple(info for info in self.stage(stage) if info.rule.decides == decision)
            self._deciding[key] = found
        return found

    def choosing(self, stage: Stage, decision: str, value: object) -> tuple[RuleInfo, ...]:
        """The stage's rules that decide `decision` as `value`, in the order written (computed
        once: the planner asks for every alternative of every group)."""
        key = (stage, decision, value)
        found = self._choosing.get(key)
        if found is None:
            found = tuple(info for info in self.deciding(stage, decision) if info.rule.value == value)
            self._choosing[key] = found
        return found

    def rule(self, rule_id: str) -> RuleInfo:
        return self._by_id[rule_id]

    def kind(self, name: str) -> ParameterKind | None:
        """What parameter `name` holds; None if there is no such parameter."""
        if name in self.parameters:
            return "number"
        if name in self.lists:
            return "list"
        return "table" if name in self.tables else None

    def value(self, name: str) -> int | tuple[str, ...] | Mapping[str, tuple[str, ...]]:
        """Parameter `name`'s value, whatever its kind (KeyError if there is none)."""
        if name in self.parameters:
            return self.parameters[name]
        if name in self.lists:
            return self.lists[name]
        return self.tables[name]


def load_rulebook(folder: Path | str) -> Rulebook:
    """Load every `*.yaml` directly in `folder` (sub-folders such as scenarios are not rules)."""
    return build_rulebook(read_folder(folder), label=str(folder))


# A folder is read until two reads a moment apart agree: a file being rewritten in place is
# never taken half-written (what is validated is exactly what is then run).
SETTLE_SECONDS = 0.02
READ_ATTEMPTS = 50


def read_folder(folder: Path | str, settle: float = SETTLE_SECONDS) -> dict[str, bytes]:
    """The content of every rule file, keyed by path, once two reads a moment apart find the same
    files with the same content, untouched in between (the same modification times)."""
    folder = Path(folder)
    previous = None
    for _ in range(READ_ATTEMPTS):
        current = _read_once(folder)
        if current == previous:
            return {name: content for name, (content, _) in current.items()}
        previous = current
        time.sleep(settle)
    raise RulebookError(
        [Finding(str(folder), None, None, "the rule files kept changing while they were read; try again")]
    )


def _read_once(folder: Path) -> dict[str, tuple[bytes, int]]:
    if not folder.is_dir():
        raise RulebookError([Finding(str(folder), None, None, "no such rule folder")])
    paths = sorted(folder.glob("*.yaml"))
    if len(paths) > MAX_RULE_FILES:
        raise RulebookError([Finding(str(folder), None, None, f"more than {MAX_RULE_FILES} rule files")])
    sources: dict[str, tuple[bytes, int]] = {}
    findings: list[Finding] = []
    for path in paths:
        try:
            with path.open("rb") as stream:
                raw = stream.read(MAX_DOCUMENT_BYTES + 1)
                modified = os.fstat(stream.fileno()).st_mtime_ns
        except FileNotFoundError:
            continue  # removed between the listing and the read: the next read will agree or not
        if len(raw) > MAX_DOCUMENT_BYTES:
            findings.append(Finding(str(path), None, None, f"larger than {MAX_DOCUMENT_BYTES:,} bytes"))
            continue
        sources[str(path)] = (raw, modified)
    if findings:
        raise RulebookError(findings)
    return sources


def build_rulebook(sources: Mapping[str, bytes], label: str = "rules") -> Rulebook:
    """Build a rulebook from file texts keyed by display name (used for folders and edits)."""
    findings: list[Finding] = []
    parsed: list[tuple[str, RuleFile, LineMap, list[int]]] = []
    if not sources:
        raise RulebookError([Finding(label, None, None, "the folder holds no rule files (*.yaml)")])
    for name in sorted(sources):
        result = _parse_file(name, sources[name], findings)
        if result is not None:
            parsed.append((name, *result))

    parameters: dict[str, int] = {}
    lists: dict[str, tuple[str, ...]] = {}
    tables: dict[str, dict[str, tuple[str, ...]]] = {}
    kinds: dict[str, ParameterKind] = {}
    parameter_texts: dict[str, Texts] = {}
    parameter_provenance: dict[str, Provenance] = {}
    parameter_sources: dict[str, str] = {}
    parameter_where: dict[str, str] = {}
    for name, rule_file, lines, _ in parsed:
        for key, parameter in rule_file.parameters.items():
            line = lines.line_of(("parameters", key))
            if key in parameter_where:
                findings.append(
                    Finding(
                        name,
                        line,
                        None,
                        f"parameter '{key}' is already defined at {parameter_where[key]}",
                    )
                )
                continue
            parameter_where[key] = f"{name}:{line}"
            findings.extend(planner_parameter(name, lines, key, parameter.value))
            kinds[key] = kind_of(parameter.value)
            if isinstance(parameter.value, list):
                lists[key] = tuple(parameter.value)
            elif isinstance(parameter.value, dict):
                tables[key] = {k: tuple(v) for k, v in parameter.value.items()}
            else:
                parameters[key] = parameter.value
            parameter_texts[key] = parameter.description
            parameter_provenance[key] = parameter.provenance
            if parameter.source is not None:
                parameter_sources[key] = parameter.source
            if parameter.provenance == "current_practice" and not (parameter.source or "").startswith(
                CURRENT_DOCS
            ):
                findings.append(
                    Finding(
                        name,
                        line,
                        None,
                        f"parameter '{key}' is current_practice: its source cites the Microsoft page it "
                        f"follows ({CURRENT_DOCS}…)",
                    )
                )

    rules: list[RuleInfo] = []
    first_seen: dict[str, RuleInfo] = {}
    for name, rule_file, lines, indexes in parsed:
        findings.extend(FileChecker(name, lines, kinds, parameter_provenance).check(rule_file, indexes))
        for index, rule in zip(indexes, rule_file.rules, strict=True):
            line = lines.line_of(("rules", index)) or 1
            if rule.id in first_seen:
                first = first_seen[rule.id]
                findings.append(
                    Finding(
                        name,
                        line,
                        rule.id,
                        f"duplicate rule id (first defined at {first.file}:{first.line})",
                    )
                )
                continue
            if rule_file.stage is None:
                continue
            info = RuleInfo(rule, rule_file.stage, name, line)
            first_seen[rule.id] = info
            rules.append(info)

    if parsed and len(parsed) == len(sources) and not any(f.severity == "error" for f in findings):
        findings.extend(_folder_findings(label, rules, kinds, parameter_where))
    if any(f.severity == "error" for f in findings):
        raise RulebookError(findings)
    return Rulebook(
        label=label,
        rules=tuple(rules),
        parameters=parameters,
        parameter_texts=parameter_texts,
        parameter_provenance=parameter_provenance,
        parameter_sources=parameter_sources,
        lists=lists,
        tables=tables,
        version=version_of(sources),
        files=tuple(sorted(sources)),
        findings=tuple(findings),
    )


def _parse_file(name: str, raw: bytes, findings: list[Finding]) -> tuple[RuleFile, LineMap, list[int]] | None:
    """The file with its valid rules (and their indexes); each invalid rule adds its findings.

    Rules are validated one by one so that a mistake in one rule does not hide the checks of the
    others: a folder reports every problem at once.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        findings.append(Finding(name, None, None, "not UTF-8 text"))
        return None
    try:
        data, lines = load_yaml(text)
    except YamlProblem as exc:
        findings.append(Finding(name, exc.line, None, exc.message))
        return None
    if not isinstance(data, dict):
        what = "empty" if data is None else "not a mapping"
        findings.append(
            Finding(name, 1, None, f"the file is {what}: a rule file is a mapping with rules or parameters")
        )
        return None
    raw_rules = data.get("rules", [])
    head = {key: value for key, value in data.items() if key != "rules"}
    errors: list[Mapping[str, Any]] = []
    try:
        rule_file = RuleFile.model_validate(head)
    except ValidationError as exc:
        errors.extend(exc.errors())
        rule_file = None
    if not isinstance(raw_rules, list):
        errors.append({"loc": ("rules",), "type": "list_type", "msg": "must be a list"})
        raw_rules = []
    valid: list[Rule] = []
    indexes: list[int] = []
    for index, raw_rule in enumerate(raw_rules):
        try:
            valid.append(Rule.model_validate(raw_rule))
            indexes.append(index)
        except ValidationError as exc:
            errors.extend({**err, "loc": ("rules", index, *err["loc"])} for err in exc.errors())
    findings.extend(_schema_finding(name, data, lines, err) for err in errors)
    if not raw_rules and not data.get("parameters"):
        findings.append(
            Finding(
                name,
                1,
                None,
                "the file holds neither rules nor parameters (emptied or cut short?): "
                "a rule file that is no longer needed is deleted, not emptied",
            )
        )
        return None
    if rule_file is None:
        return None
    return rule_file.model_copy(update={"rules": valid}), lines, indexes


def _schema_finding(name: str, data: Any, lines: LineMap, err: Mapping[str, Any]) -> Finding:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("<")))
    rule_id = _rule_id_at(data, loc)
    inside = loc[2:] if len(loc) >= 2 and loc[0] == "rules" else loc
    if err["type"] == "missing" and inside in (("reason", "en"), ("reason", "sv"), ("reason",)):
        language = {"en": "English", "sv": "Swedish"}.get(str(inside[-1]), "English and Swedish")
        message = f"missing {language} reason text (reason.{inside[-1] if len(inside) == 2 else 'en/sv'})"
    elif err["type"] == "missing" and inside == ("source",):
        message = "missing source: every rule cites the guide section behind it (URL#anchor)"
    elif err["type"] == "condition_form":
        message = f"{format_path(inside)}: a condition is one of all, any, not, or a fact with op"
    elif err["type"] == "parameter_value":
        message = f"{format_path(inside)}: a whole number, a list of texts, or a table of such lists"
    else:
        problem = describe_validation_error({**err, "loc": loc}, "en", _KNOWN_FIELDS)
        message = f"{format_path(inside)}: {problem.message}" if inside else problem.message
    return Finding(name, lines.line_of(loc), rule_id, message)


def _rule_id_at(data: Any, loc: Sequence[object]) -> str | None:
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = data.get("rules")
        if isinstance(rules, list) and loc[1] < len(rules) and isinstance(rules[loc[1]], dict):
            rule_id = rules[loc[1]].get("id")
            return rule_id if isinstance(rule_id, str) else None
    return None


def _folder_findings(
    label: str, rules: list[RuleInfo], parameters: Mapping[str, ParameterKind], where: Mapping[str, str]
) -> list[Finding]:
    findings = [
        Finding(label, None, None, f"the planner needs parameter '{name}', which no rule file defines")
        for name in PLANNER_PARAMETERS
        if name not in parameters
    ]
    for decision in DECISIONS.values():
        if decision.name == "method":
            findings += _method_defaults(label, rules)
        elif decision.values and not any(
            info.rule.decides == decision.name and info.rule.when is None for info in rules
        ):
            findings.append(
                Finding(
                    label,
                    None,
                    None,
                    f"no default rule decides '{decision.name}': every decision keeps one rule "
                    "without conditions (the lowest priority), so that no answers are left undecided",
                )
            )
    used = set(PLANNER_PARAMETERS).union(*(used_parameters(info.rule) for info in rules))
    for name in sorted(set(parameters) - used):
        file, _, line = where[name].rpartition(":")
        findings.append(
            Finding(
                file,
                int(line) if line.isdigit() else None,
                None,
                f"parameter '{name}' is used by no rule",
                "warning",
            )
        )
    return findings


def _method_defaults(label: str, rules: list[RuleInfo]) -> list[Finding]:
    """Every kind of device (a platform, and who owns it) keeps a default method: a rule whose only
    conditions are that platform and that owner, so that no device is left undecided."""
    defaults = set()
    for info in rules:
        when = info.rule.when
        if info.rule.decides != "method" or not isinstance(when, AllOf) or len(when.all) != 2:
            continue
        parts = {(leaf.fact, leaf.op, leaf.value) for leaf in when.all if isinstance(leaf, Leaf)}
        for platform, owner in itertools.product(PLATFORMS, OWNERS):
            if parts == {("platform", "eq", platform), ("owner", "eq", owner)}:
                defaults.add((platform, owner))
    return [
        Finding(
            label,
            None,
            None,
            f"no default rule decides the 'method' of {owner} {platform} devices: keep one rule whose "
            f"only conditions are platform {platform} and owner {owner}, so that no device is left "
            "undecided",
        )
        for platform, owner in itertools.product(PLATFORMS, OWNERS)
        if (platform, owner) not in defaults
    ]


def version_of(sources: Mapping[str, bytes]) -> str:
    """The content hash that names a rulebook version."""
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(Path(name).name.encode() + b"\0" + sources[name] + b"\0")
    return digest.hexdigest()[:12]
