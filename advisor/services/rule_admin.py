"""Rule administration: a proposed rule file checked against the whole rulebook (validation, lint,
scenarios, the saved assessments it would change) and saved only when every check passes."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from advisor.evaluate.oracle import OracleEvaluator
from advisor.model.errors import Finding, NotAllowed, RulebookError
from advisor.model.yamlsource import MAX_DOCUMENT_BYTES
from advisor.quality.diff import ParameterChange, parameter_changes
from advisor.quality.impact import impact_of, saved_cases
from advisor.quality.lint import exercised_by_scenarios, lint
from advisor.quality.scenarios import Outcome, load_scenario, run_scenario, scenario_files
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
    """Everything an admin sees before a save: findings, scenario results, impact, and the
    parameters whose values the edit changes."""

    findings: list[Finding]
    scenarios: list[Outcome]
    impact: list[tuple[str, list[str]]]
    rulebook: Rulebook | None
    parameters: list[ParameterChange] = field(default_factory=list)
    # Not saved because the file changed since the edit began (by someone else, or on disk).
    stale: bool = False

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def blocked(self) -> bool:
        return bool(self.errors) or any(not o.passed for o in self.scenarios) or self.rulebook is None


def check(services: Services, name: str, text: str) -> Checked:
    """`name` replaced by `text`: the findings, the folder's scenarios under it, and the saved
    assessments whose plan would change from the running rulebook's."""
    folder = services.settings.rules_dir
    rulebook, findings = candidate(folder, name, text)
    if rulebook is None:
        return Checked(findings, [], [], None)
    evaluator = OracleEvaluator(rulebook)
    scenarios = [
        run_scenario(load_scenario(path), evaluator, path.name)
        for path in scenario_files(folder / "scenarios")
    ]
    with services.store.session() as db:
        cases = saved_cases(db)
    impact = impact_of(
        services.engine.rulebook, rulebook, cases, max_months=services.settings.max_rollout_months
    )
    changes = parameter_changes(services.engine.rulebook, rulebook)
    return Checked(findings, scenarios, impact, rulebook, changes)


def _stale(checked: Checked) -> Checked:
    return replace(checked, impact=[], rulebook=None, stale=True)


def save(
    services: Services, actor: User, name: str, text: str, message: str, based_on: str | None = None
) -> Checked:
    """Write the file if every check passes; keep the version and the audit entry with it, and
    run the new rulebook at once.

    `based_on` is the fingerprint of the content the edit was made on: if the file changed since,
    nothing is saved (a save never silently undoes another). Two saves at once cannot both take
    the next version number (it is unique): the second is refused the same way. The database rows
    and the file change together: a failure before the commit leaves the previous file (written
    atomically) and no new version, and never puts back a file that someone else has saved since.
    NotAllowed unless `actor` is an admin; RuleFileError if there is no such rule file.
    """
    if actor.role != Role.ADMIN:
        raise NotAllowed("only an admin changes the rules")
    path = rule_file(services.settings.rules_dir, name)
    checked = check(services, name, text)
    if checked.blocked:
        return checked
    assert checked.rulebook is not None  # noqa: S101 - not blocked
    previous = path.read_text(encoding="utf-8")
    if based_on is not None and fingerprint_of(previous) != based_on:
        return _stale(checked)
    try:
        with services.store.session() as db:
            if not rule_file_versions(db, name):  # the first edit keeps what was there before it
                add_rule_file_version(
                    db, name, previous, None, "as found on disk", services.engine.rulebook.version
                )
            add_rule_file_version(db, name, text, actor, message, checked.rulebook.version)
            audit(db, actor, AuditAction.RULES_SAVE, name, f"{message} (rulebook {checked.rulebook.version})")
            write_atomically(path, text)
    except IntegrityError:  # another save took this version number first: it stands
        return _stale(checked)
    except BaseException:
        if path.read_text(encoding="utf-8") == text != previous:  # ours, not committed: undo it
            write_atomically(path, previous)
        raise
    event(log, "rules.saved", file=name, version=checked.rulebook.version, user_id=actor.id, message=message)
    services.watcher.adopt(checked.rulebook)  # checked above: no second load and lint
    return checked
