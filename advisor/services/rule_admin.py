"""Rule administration: a proposed rule file checked against the whole rulebook (validation, lint,
scenarios, the saved assessments it would change) and saved only when every check passes; the
scenario files likewise, and a rule change may accept the outcomes it changes as the new expected.
The rulebook is the database's (advisor.services.live_rules): a save writes its files' rows, their
versions and audit entries and bumps the head in one transaction. Rule and scenario files keep
their history in the same table: a scenario under `scenarios/name`."""

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
from advisor.quality.scenarios import Outcome, accepted, parse_scenario, run_scenario
from advisor.rulebook.files import NAME, RuleFileError, write_atomically
from advisor.rulebook.loader import Rulebook, load_rulebook, version_of
from advisor.services.live_rules import (
    SCENARIOS,
    build,
    folder_files,
    is_rule_file,
    read_rulebook,
    rule_sources,
)
from advisor.services.logs import event
from advisor.services.runtime import Services
from advisor.store.accounts import audit
from advisor.store.database import Store
from advisor.store.rules import (
    add_rule_file_version,
    change_files,
    head,
    rule_file_versions,
    rulebook_files,
    seed,
)
from advisor.store.tables import AuditAction, Role, User

log = logging.getLogger("advisor.rule_admin")

# The first edit of a file keeps, as its first version, the content it replaces.
FIRST_VERSION = "as seeded from the rule folder"


def candidate(files: Mapping[str, str], name: str, text: str) -> tuple[Rulebook | None, list[Finding]]:
    """The rulebook of `files` with `name` replaced by `text`, and every finding about it.

    Validation errors and lint errors both block; the rulebook is None when it did not load.
    """
    if len(text.encode()) > MAX_DOCUMENT_BYTES:
        return None, [Finding(name, None, None, f"larger than {MAX_DOCUMENT_BYTES:,} bytes")]
    try:
        rulebook = build({**files, name: text})
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


def scenario_key(name: str) -> str:
    """How a scenario file is named in the database, the history and the audit log (rule files
    go by name)."""
    return f"{SCENARIOS}/{name}"


def _named(name: str) -> str:
    if not NAME.match(name):
        raise RuleFileError(f"'{name}' is not a rule file name (lowercase letters, digits, - and _, .yaml)")
    return name


def rule_names(services: Services) -> list[str]:
    """The rule files of the running rulebook's source, by name."""
    return sorted(name for name in read_rulebook(services.store)[1] if is_rule_file(name))


def scenario_names(services: Services) -> list[str]:
    """The scenario files, by name (without `scenarios/`)."""
    prefix = scenario_key("")
    return sorted(name[len(prefix) :] for name in read_rulebook(services.store)[1] if name.startswith(prefix))


def rule_text(services: Services, name: str) -> str:
    """The content of an existing rule file named in a request; RuleFileError otherwise."""
    text = read_rulebook(services.store)[1].get(_named(name))
    if text is None:
        raise RuleFileError(f"there is no rule file '{name}'")
    return text


def scenario_text(services: Services, name: str) -> str:
    """The content of an existing scenario file named in a request; RuleFileError otherwise."""
    text = read_rulebook(services.store)[1].get(scenario_key(_named(name)))
    if text is None:
        raise RuleFileError(f"there is no scenario file '{name}'")
    return text


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
    # Not saved because the file changed since the edit began (by someone else, or an import).
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


Source = tuple[int, dict[str, str]]  # the head's serial and the rulebook's files, as read together


def check(services: Services, name: str, text: str, source: Source | None = None) -> Checked:
    """`name` replaced by `text`: the findings and the rulebook's scenarios under it (the impact
    on saved assessments is a job: `impact_files`). `source` is the rulebook as read for a save
    (read here otherwise)."""
    _serial, files = source or read_rulebook(services.store)
    rulebook, findings = candidate(files, name, text)
    if rulebook is None:
        return Checked(findings, [], None)
    scenarios, problems = _run_scenarios(files, rulebook, {})
    seen = {scenario: fingerprint_of(content) for scenario, content in _scenarios(files).items()}
    changes = parameter_changes(_rulebook_of(services, files), rulebook)
    return Checked([*findings, *problems], scenarios, rulebook, changes, seen=seen)


def _scenarios(files: Mapping[str, str]) -> dict[str, str]:
    """The scenario files among the rulebook's, by name (without `scenarios/`), in order."""
    prefix = scenario_key("")
    return {name[len(prefix) :]: files[name] for name in sorted(files) if name.startswith(prefix)}


def impact_files(services: Services, name: str, text: str) -> tuple[dict[str, str], dict[str, str]]:
    """The rule files (file name → text) before and after `name` is replaced by `text`, as the
    database holds them: what an impact job compares (`advisor.services.jobs.start_impact`)."""
    _serial, files = read_rulebook(services.store)
    before = {file: content for file, content in files.items() if is_rule_file(file)}
    return before, {**before, name: text}


def _run_scenarios(
    files: Mapping[str, str], rulebook: Rulebook, texts: Mapping[str, str]
) -> tuple[list[Outcome], list[Finding]]:
    """Every scenario of the rulebook under `rulebook` (those in `texts` as given there), and a
    finding for each that does not read."""
    evaluator = OracleEvaluator(rulebook)
    outcomes: list[Outcome] = []
    problems: list[Finding] = []
    for name, content in _scenarios(files).items():
        try:
            scenario = parse_scenario(texts.get(name, content), name)
            outcomes.append(run_scenario(scenario, evaluator, name))
        except InputError as exc:  # not a scenario, or an assessment the planner refuses
            problems.extend(Finding(scenario_key(name), None, None, str(problem)) for problem in exc.problems)
    return outcomes, problems


def _accepting(services: Services, source: Source, name: str, text: str, accept: Sequence[str]) -> Checked:
    """The check of an edit that accepts the new outcome of the scenarios named in `accept`
    (those that fail under it) as their expected one: the checks run on the updated scenarios."""
    checked = check(services, name, text, source)
    scenarios = _scenarios(source[1])
    wanted = set(accept)
    texts = {}
    for outcome in checked.scenarios:
        if outcome.source in wanted and not outcome.passed:
            try:
                texts[outcome.source] = accepted(scenarios[outcome.source], outcome.failures)
            except RuleFileError as exc:  # not YAML after all: the scenario's finding says why
                log.info("scenario %s not accepted: %s", outcome.source, exc)
    if not texts or checked.rulebook is None:
        return checked
    # Only the scenarios run again: the rule file and its lint are as just checked.
    outcomes, problems = _run_scenarios(source[1], checked.rulebook, texts)
    findings = [f for f in checked.findings if not f.file.startswith(f"{SCENARIOS}/")]
    findings += problems
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
    """Store the file if every check passes, with its version and audit entry, and run the new
    rulebook at once (every other process adopts it from the database). The scenarios named in
    `accept` that the edit makes fail expect, from now on, what the plan gives under it: they
    are stored, versioned and audited with the rule file, in the same transaction.

    `based_on` is the fingerprint of the content the edit was made on: if the file changed since,
    nothing is saved (a save never silently undoes another); `accept_seen` the same for each
    scenario accepted (its fingerprint as the check showed it: `Checked.seen`). The transaction
    commits only on the head the checks were made on: a save that another change overtook
    meanwhile is refused the same way, never the last writer winning.
    NotAllowed unless `actor` is an admin; RuleFileError if there is no such rule file.
    """
    if actor.role != Role.ADMIN:
        raise NotAllowed("only an admin changes the rules")
    source = read_rulebook(services.store)
    files = source[1]
    previous = files.get(_named(name))
    if previous is None:
        raise RuleFileError(f"there is no rule file '{name}'")
    checked = (
        _accepting(services, source, name, text, accept) if accept else check(services, name, text, source)
    )
    if accept_seen is not None and any(checked.seen.get(n) != accept_seen.get(n) for n in accept):
        return _stale(checked)  # a scenario changed since the admin saw its differences
    if checked.blocked:
        return checked
    assert checked.rulebook is not None  # noqa: S101 - not blocked
    if based_on is not None and fingerprint_of(previous) != based_on:
        return _stale(checked)
    version = checked.rulebook.version
    writes = [_Write(name, previous, text, AuditAction.RULES_SAVE)]
    for scenario, new_text in sorted(checked.accepted.items()):
        key = scenario_key(scenario)
        writes.append(_Write(key, files[key], new_text, AuditAction.SCENARIO_SAVE))
    serial = _commit(services.store, actor, writes, message, version, source)
    if serial is None:
        return _stale(checked)
    event(log, "rules.saved", file=name, version=version, user_id=actor.id, message=message)
    saved = {**files, name: text, **{scenario_key(n): t for n, t in checked.accepted.items()}}
    services.watcher.adopt(checked.rulebook, serial, saved)  # checked above: no second load and lint
    return checked


@dataclass(frozen=True)
class _Write:
    """One file a change writes: its name, its content before (None: new) and after (None: removed)."""

    key: str
    before: str | None
    after: str | None
    action: AuditAction


class _Overtaken(Exception):
    """Another change moved the head since the checks: this one is rolled back whole."""


def _commit(
    store: Store,
    actor: User | None,
    writes: Sequence[_Write],
    message: str,
    version: str,
    source: Source,
) -> int | None:
    """Store the files, a version and an audit entry for each, and bump the head, all or none;
    the new head's serial, or None when another change moved the head first (nothing stored)."""
    serial, files = source
    running = version_of(rule_sources(files))
    try:
        with store.session() as db:
            bumped = change_files(db, {write.key: write.after for write in writes}, version, serial)
            if bumped is None:
                raise _Overtaken
            for write in writes:
                if write.before is not None and not rule_file_versions(db, write.key):
                    # the first edit keeps what was there before it
                    add_rule_file_version(db, write.key, write.before, None, FIRST_VERSION, running)
                if write.after is not None:
                    add_rule_file_version(db, write.key, write.after, actor, message, version)
                audit(db, actor, write.action, write.key, f"{message} (rulebook {version})")
    except (_Overtaken, IntegrityError):  # another change came first: it stands
        return None
    return bumped


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


def check_scenario(services: Services, name: str, text: str, source: Source | None = None) -> ScenarioChecked:
    """A scenario file's new text: does it read, and does the database's rulebook plan it as it
    expects? (That rulebook, not this process's: another instance may have saved a newer one
    that this process has yet to adopt, and the save commits on the database's.) `source` is the
    rulebook as read for a save (read here otherwise)."""
    key = scenario_key(name)
    if len(text.encode()) > MAX_DOCUMENT_BYTES:
        return ScenarioChecked([Finding(key, None, None, f"larger than {MAX_DOCUMENT_BYTES:,} bytes")], None)
    try:
        scenario = parse_scenario(text, key)
        _serial, files = source or read_rulebook(services.store)
        outcome = run_scenario(scenario, OracleEvaluator(_rulebook_of(services, files)), name)
    except InputError as exc:  # not a scenario, or an assessment the planner refuses
        return ScenarioChecked([Finding(key, None, None, str(problem)) for problem in exc.problems], None)
    return ScenarioChecked([], outcome)


def _rulebook_of(services: Services, files: Mapping[str, str]) -> Rulebook:
    """The rulebook of the database's files: the running one when this process runs them (no
    second build), else built from them."""
    if version_of(rule_sources(files)) == services.engine.rulebook.version:
        return services.engine.rulebook
    return build(files)


def save_scenario(
    services: Services, actor: User, name: str, text: str, message: str, based_on: str | None = None
) -> ScenarioChecked:
    """Store a scenario file if it reads and the running rulebook plans it as it expects, with
    its version and audit entry; refused like a rule file's save when it changed meanwhile.
    NotAllowed unless `actor` is an admin; RuleFileError if there is no such scenario file."""
    if actor.role != Role.ADMIN:
        raise NotAllowed("only an admin changes the scenarios")
    source = read_rulebook(services.store)
    key = scenario_key(_named(name))
    previous = source[1].get(key)
    if previous is None:
        raise RuleFileError(f"there is no scenario file '{name}'")
    checked = check_scenario(services, name, text, source)
    if checked.blocked:
        return checked
    if based_on is not None and fingerprint_of(previous) != based_on:
        return replace(checked, stale=True)
    write = _Write(key, previous, text, AuditAction.SCENARIO_SAVE)
    version = version_of(rule_sources(source[1]))  # scenarios are no part of the version
    if _commit(services.store, actor, [write], message, version, source) is None:
        return replace(checked, stale=True)
    event(log, "scenario.saved", file=name, user_id=actor.id, message=message)
    return checked


def import_folder(store: Store, folder: Path) -> list[Finding]:
    """Make a rule folder's files (rule files and scenarios) the database's rulebook, checked as
    an admin's save is: it must load, lint without errors and pass its scenarios; the findings
    that refuse it otherwise (nothing stored). Each changed file is versioned and audited as an
    import; files the folder no longer holds are removed. Every running instance adopts it."""
    files = folder_files(folder)
    with store.session() as db:
        if head(db) is not None and rulebook_files(db) == files:
            return []  # the database holds this rulebook already: nothing to check or store
    rulebook = build(files)  # RulebookError with every finding when it does not load
    errors = [f for f in [*rulebook.findings, *lint(rulebook)] if f.severity == "error"]
    outcomes, problems = _run_scenarios(files, rulebook, {})
    errors += problems
    errors += [
        Finding(scenario_key(o.source), None, None, "; ".join(map(str, o.failures)))
        for o in outcomes
        if not o.passed
    ]
    if errors:
        return errors
    message = f"imported from {folder.name}"
    if _seed_imported(store, files, message, rulebook.version):
        return []
    source = read_rulebook(store)
    before = source[1]
    writes = [
        _Write(name, before.get(name), files.get(name), AuditAction.RULES_IMPORT)
        for name in sorted({*before, *files})
        if before.get(name) != files.get(name)
    ]
    if not writes:
        return []
    if _commit(store, None, writes, message, rulebook.version, source) is None:
        raise RuleFileError("the rulebook changed while it was imported; import again")
    event(log, "rules.imported", folder=str(folder), version=rulebook.version, files=len(writes))
    return []


def _seed_imported(store: Store, files: Mapping[str, str], message: str, version: str) -> bool:
    """An import into a database that holds no rulebook yet: its first one, versioned and
    audited; False if the database holds one (or another process seeded it meanwhile)."""
    with store.session() as db:
        if head(db) is not None:
            return False
    try:
        with store.session() as db:
            seed(db, files, version)
            for name, content in sorted(files.items()):
                add_rule_file_version(db, name, content, None, message, version)
                audit(db, None, AuditAction.RULES_IMPORT, name, f"{message} (rulebook {version})")
    except IntegrityError:
        return False
    event(log, "rules.imported", version=version, files=len(files))
    return True


def export_folder(store: Store, folder: Path) -> list[str]:
    """Write every file of the database's rulebook into `folder` (scenarios under scenarios/),
    byte for byte as stored, and remove the rule and scenario files the database does not hold
    (so that the folder is the rulebook: importing it again changes nothing); the names written."""
    _serial, files = read_rulebook(store)
    for name, content in files.items():
        directory, _slash, file = name.rpartition("/")
        if directory not in ("", SCENARIOS) or not NAME.match(file):
            raise RuleFileError(f"'{name}' is not a rule file name")
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, content)
    if folder.is_dir():
        for name in folder_files(folder):
            if name not in files:
                (folder / name).unlink()
    return sorted(files)
