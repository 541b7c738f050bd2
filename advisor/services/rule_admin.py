"""Rule administration: a proposed rule file checked against the whole rulebook (validation, lint,
scenarios, the saved assessments it would change) and saved only when every check passes; the
scenario files likewise, and a rule change may accept the outcomes it changes as the new expected.
Rule and scenario files keep their history in the same table: a scenario under `scenarios/name`."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from advisor.evaluate.oracle import OracleEvaluator
from advisor.model.errors import Finding, InputError, NotAllowed, RulebookError
from advisor.model.yamlsource import MAX_DOCUMENT_BYTES
from advisor.quality.diff import ParameterChange, parameter_changes
from advisor.quality.lint import exercised_by_scenarios, lint
from advisor.quality.scenarios import Outcome, accepted, parse_scenario, run_scenario, scenario_files
from advisor.rulebook.files import RuleFileError, rule_path, write_atomically
from advisor.rulebook.loader import Rulebook, build_rulebook, load_rulebook, read_folder
from advisor.services.logs import event
from advisor.services.runtime import Services
from advisor.store.accounts import audit
from advisor.store.rules import add_rule_file_version, rule_file_versions
from advisor.store.tables import AuditAction, Role, User

log = logging.getLogger("advisor.rule_admin")


def candidate(folder: Path, name: str, text: str) -> tuple[Rulebook | None, list[Finding]]:
    """The folder's rulebook with `name` replaced by `text`, and every finding about it.

    Validation errors and lint errors both block; the rulebook is None when it did not load.
    """
    if len(text.encode()) > MAX_DOCUMENT_BYTES:
        return None, [Finding(name, None, None, f"larger than {MAX_DOCUMENT_BYTES:,} bytes")]
    # Named as load_rulebook names them, so the result equals the folder loaded after a save.
    try:
        sources = read_folder(folder)
    except RulebookError as exc:
        return None, list(exc.findings)
    sources.pop(str(folder / name), None)
    sources[str(folder / name)] = text.encode()
    try:
        rulebook = build_rulebook(sources, label=str(folder))
    except RulebookError as exc:
        return None, list(exc.findings)
    return rulebook, [*rulebook.findings, *lint(rulebook)]


def check_folder(folder: Path) -> tuple[Rulebook, list[Finding]]:
    """A rule folder's rulebook and every finding about it, errors first (RulebookError if it
    does not load); the lint also names rules that no scenario in `scenarios/` exercises."""
    rulebook = load_rulebook(folder)
    scenarios = folder / "scenarios"
    exercised = exercised_by_scenarios(rulebook, scenarios) if scenarios.is_dir() else None
    findings = [*rulebook.findings, *lint(rulebook, exercised)]
    return rulebook, sorted(findings, key=lambda f: (f.severity != "error", f.file, f.line or 0))


SCENARIOS = "scenarios"


def for_people(findings: Sequence[Finding], folder: Path) -> list[Finding]:
    """Findings as a person sees them: each file named within the rule folder ("calendar.yaml",
    "scenarios/x.yaml"), never by where the server keeps it."""
    roots = sorted({str(folder), str(folder.resolve())}, key=len, reverse=True)

    def shown(file: str) -> str:
        for root in roots:
            if file == root:
                return folder.name
            if file.startswith(root + "/"):
                return file[len(root) + 1 :]
        return Path(file).name if Path(file).is_absolute() else file

    def said(message: str) -> str:
        for root in roots:
            message = message.replace(root + "/", "").replace(root, folder.name)
        return message

    return [replace(f, file=shown(f.file), message=said(f.message)) for f in findings]


def scenario_key(name: str) -> str:
    """How a scenario file is named in the history and the audit log (rule files go by name)."""
    return f"{SCENARIOS}/{name}"


def rule_file(folder: Path, name: str) -> Path:
    """The path of an existing rule file named in a request; RuleFileError otherwise."""
    path = rule_path(folder, name)
    if not path.exists():
        raise RuleFileError(f"there is no rule file '{name}'")
    return path


def fingerprint_of(text: str) -> str:
    """What an edit says it was based on: the file's content when the edit began."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class Checked:
    """Everything an admin sees before a save: findings, scenario results and the parameters
    whose values the edit changes (the impact on saved assessments is a job: `impact_files`)."""

    findings: list[Finding]
    scenarios: list[Outcome]
    rulebook: Rulebook | None
    parameters: list[ParameterChange] = field(default_factory=list)
    # Not saved because the file changed since the edit began (by someone else, or on disk).
    stale: bool = False
    # The scenario files whose new outcome a save accepts as expected: name → the file's new text.
    accepted: dict[str, str] = field(default_factory=dict)
    # The scenario files as the check read them: name → fingerprint. Accepting a new outcome is
    # made on what the admin saw: a file changed since is not accepted over (the save is stale).
    seen: dict[str, str] = field(default_factory=dict)

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity != "error"]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def blocked(self) -> bool:
        return bool(self.errors) or any(not o.passed for o in self.scenarios) or self.rulebook is None


def check(services: Services, name: str, text: str) -> Checked:
    """`name` replaced by `text`: the findings and the folder's scenarios under it."""
    folder = services.settings.rules_dir
    rulebook, findings = candidate(folder, name, text)
    if rulebook is None:
        return Checked(for_people(findings, folder), [], None)
    scenarios, problems = _run_scenarios(folder, rulebook, {})
    seen = {
        path.name: fingerprint_of(path.read_text(encoding="utf-8"))
        for path in scenario_files(folder / SCENARIOS)
    }
    changes = parameter_changes(services.engine.rulebook, rulebook)
    return Checked(for_people([*findings, *problems], folder), scenarios, rulebook, changes, seen=seen)


def impact_files(services: Services, name: str, text: str) -> tuple[dict[str, str], dict[str, str]]:
    """The rule files (file name → text) before and after `name` is replaced by `text`: what an
    impact job compares (`advisor.services.jobs.start_impact`)."""
    before = {
        Path(path).name: content.decode("utf-8")
        for path, content in read_folder(services.settings.rules_dir).items()
    }
    return before, {**before, name: text}


def _run_scenarios(
    folder: Path, rulebook: Rulebook, texts: Mapping[str, str]
) -> tuple[list[Outcome], list[Finding]]:
    """Every scenario of the folder under `rulebook`, and a finding for each that does not read."""
    evaluator = OracleEvaluator(rulebook)
    outcomes: list[Outcome] = []
    problems: list[Finding] = []
    for path in scenario_files(folder / SCENARIOS):
        text = texts.get(path.name)
        try:
            scenario = parse_scenario(path.read_text(encoding="utf-8") if text is None else text, path.name)
            outcomes.append(run_scenario(scenario, evaluator, path.name))
        except InputError as exc:  # not a scenario, or an assessment the planner refuses
            where = scenario_key(path.name)
            problems.extend(Finding(where, None, None, str(problem)) for problem in exc.problems)
    return outcomes, problems


def _accepting(services: Services, name: str, text: str, accept: Sequence[str]) -> Checked:
    """The check of an edit that accepts the new outcome of the scenarios named in `accept`
    (those that fail under it) as their expected one: the checks run on the updated scenarios."""
    checked = check(services, name, text)
    folder = services.settings.rules_dir / SCENARIOS
    wanted = set(accept)
    texts = {}
    for outcome in checked.scenarios:
        if outcome.source in wanted and not outcome.passed:
            try:
                old = (folder / outcome.source).read_text(encoding="utf-8")
                texts[outcome.source] = accepted(old, outcome.failures)
            except RuleFileError as exc:  # not YAML after all: the scenario's finding says why
                log.info("scenario %s not accepted: %s", outcome.source, exc)
    if not texts or checked.rulebook is None:
        return checked
    # Only the scenarios run again: the rule file and its lint are as just checked.
    outcomes, problems = _run_scenarios(services.settings.rules_dir, checked.rulebook, texts)
    findings = [f for f in checked.findings if not f.file.startswith(f"{SCENARIOS}/")]
    findings += for_people(problems, services.settings.rules_dir)
    return replace(checked, findings=findings, scenarios=outcomes, accepted=texts)


def _stale(checked: Checked) -> Checked:
    return replace(checked, rulebook=None, stale=True)


def save(
    services: Services,
    actor: User,
    name: str,
    text: str,
    message: str,
    based_on: str | None = None,
    accept: Sequence[str] = (),
    accept_seen: Mapping[str, str] | None = None,
) -> Checked:
    """Write the file if every check passes; keep the version and the audit entry with it, and
    run the new rulebook at once. The scenarios named in `accept` that the edit makes fail
    expect, from now on, what the plan gives under it: they are written, versioned and audited
    with the rule file, in the same transaction.

    `based_on` is the fingerprint of the content the edit was made on: if the file changed since,
    nothing is saved (a save never silently undoes another); `accept_seen` the same for each
    scenario accepted (its fingerprint as the check showed it: `Checked.seen`). Two saves at once
    cannot both take the next version number (it is unique): the second is refused the same way.
    The database rows and the files change together: a failure before the commit leaves the
    previous files (written atomically) and no new version, and never puts back a file that
    someone else has saved since.
    NotAllowed unless `actor` is an admin; RuleFileError if there is no such rule file.
    """
    if actor.role != Role.ADMIN:
        raise NotAllowed("only an admin changes the rules")
    path = rule_file(services.settings.rules_dir, name)
    checked = _accepting(services, name, text, accept) if accept else check(services, name, text)
    if accept_seen is not None and any(checked.seen.get(n) != accept_seen.get(n) for n in accept):
        return _stale(checked)  # a scenario changed since the admin saw its differences
    if checked.blocked:
        return checked
    assert checked.rulebook is not None  # noqa: S101 - not blocked
    previous = path.read_text(encoding="utf-8")
    if based_on is not None and fingerprint_of(previous) != based_on:
        return _stale(checked)
    version = checked.rulebook.version
    writes = [_Write(name, path, previous, text, AuditAction.RULES_SAVE)]
    for scenario, new_text in sorted(checked.accepted.items()):
        scenario_path = services.settings.rules_dir / SCENARIOS / scenario
        old_text = scenario_path.read_text(encoding="utf-8")
        key = scenario_key(scenario)
        writes.append(_Write(key, scenario_path, old_text, new_text, AuditAction.SCENARIO_SAVE))
    if not _commit(services, actor, writes, message, version):
        return _stale(checked)
    event(log, "rules.saved", file=name, version=version, user_id=actor.id, message=message)
    services.watcher.adopt(checked.rulebook)  # checked above: no second load and lint
    return checked


@dataclass(frozen=True)
class _Write:
    """One file a save writes: its name in the history, its path, its content before and after."""

    key: str
    path: Path
    before: str
    after: str
    action: AuditAction


def _commit(services: Services, actor: User, writes: Sequence[_Write], message: str, version: str) -> bool:
    """Keep a version and an audit entry for each write and write the files, all or none; False
    when another save took a version number first (nothing is written then)."""
    written: list[_Write] = []
    running = services.engine.rulebook.version
    try:
        with services.store.session() as db:
            for write in writes:
                if not rule_file_versions(db, write.key):  # the first edit keeps what was there before it
                    add_rule_file_version(db, write.key, write.before, None, "as found on disk", running)
                add_rule_file_version(db, write.key, write.after, actor, message, version)
                audit(db, actor, write.action, write.key, f"{message} (rulebook {version})")
            for write in writes:
                write_atomically(write.path, write.after)
                written.append(write)
    except IntegrityError:  # another save took this version number first: it stands
        _undo(written)
        return False
    except BaseException:
        _undo(written)
        raise
    return True


def _undo(written: Sequence[_Write]) -> None:
    """Put back what a failed save wrote, unless someone else has written the file since."""
    for write in written:
        if write.path.read_text(encoding="utf-8") == write.after != write.before:
            write_atomically(write.path, write.before)


@dataclass
class ScenarioChecked:
    """A scenario file as edited: what is wrong with it (it does not read) or its outcome under
    the running rulebook."""

    findings: list[Finding]
    outcome: Outcome | None
    stale: bool = False

    @property
    def blocked(self) -> bool:
        return self.outcome is None or not self.outcome.passed or bool(self.findings)


def scenario_file(folder: Path, name: str) -> Path:
    """The path of an existing scenario file named in a request; RuleFileError otherwise."""
    return rule_file(folder / SCENARIOS, name)


def check_scenario(services: Services, name: str, text: str) -> ScenarioChecked:
    """A scenario file's new text: does it read, and does the running rulebook plan it as it
    expects?"""
    key = scenario_key(name)
    if len(text.encode()) > MAX_DOCUMENT_BYTES:
        return ScenarioChecked([Finding(key, None, None, f"larger than {MAX_DOCUMENT_BYTES:,} bytes")], None)
    try:
        scenario = parse_scenario(text, key)
        outcome = run_scenario(scenario, OracleEvaluator(services.engine.rulebook), name)
    except InputError as exc:  # not a scenario, or an assessment the planner refuses
        return ScenarioChecked([Finding(key, None, None, str(problem)) for problem in exc.problems], None)
    return ScenarioChecked([], outcome)


def save_scenario(
    services: Services, actor: User, name: str, text: str, message: str, based_on: str | None = None
) -> ScenarioChecked:
    """Write a scenario file if it reads and the running rulebook plans it as it expects, with
    its version and audit entry; refused like a rule file's save when it changed meanwhile.
    NotAllowed unless `actor` is an admin; RuleFileError if there is no such scenario file."""
    if actor.role != Role.ADMIN:
        raise NotAllowed("only an admin changes the scenarios")
    path = scenario_file(services.settings.rules_dir, name)
    checked = check_scenario(services, name, text)
    if checked.blocked:
        return checked
    previous = path.read_text(encoding="utf-8")
    if based_on is not None and fingerprint_of(previous) != based_on:
        return replace(checked, stale=True)
    write = _Write(scenario_key(name), path, previous, text, AuditAction.SCENARIO_SAVE)
    if not _commit(services, actor, [write], message, services.engine.rulebook.version):
        return replace(checked, stale=True)
    event(log, "scenario.saved", file=name, user_id=actor.id, message=message)
    return checked
