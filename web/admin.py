"""The admin area: the rulebook for people, safe edits with checks and history, the audit log."""

from __future__ import annotations

import difflib
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from advisor.evaluate.oracle import OracleEvaluator
from advisor.model.documents import too_many_digits
from advisor.model.errors import Finding, InputError
from advisor.model.facts import parse_assessment
from advisor.model.yamlsource import YamlProblem, load_yaml
from advisor.planning.explain import describe
from advisor.quality.impact import impact_of
from advisor.quality.scenarios import Outcome, load_scenario, run_scenario, scenario_files
from advisor.rulebook.files import (
    RuleFileError,
    rule_files,
    rule_path,
    set_fields,
    write_atomically,
)
from advisor.rulebook.loader import Rulebook
from advisor.services.logs import event
from advisor.services.rule_admin import candidate
from advisor.store.accounts import audit
from advisor.store.rules import add_rule_file_version, rule_file_versions
from advisor.store.tables import AssessmentRecord, AuditAction, AuditEntry, User
from web.auth import role_required
from web.extensions import svc
from web.i18n import language
from web.ids import version_argument

bp = Blueprint("admin", __name__, url_prefix="/admin")
log = logging.getLogger("advisor.rule_admin")


@dataclass
class Checked:
    """Everything an admin sees before a save: findings, scenario results, impact."""

    findings: list[Finding]
    scenarios: list[Outcome]
    impact: list[tuple[str, list[str]]]
    rulebook: Rulebook | None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def blocked(self) -> bool:
        return bool(self.errors) or any(not o.passed for o in self.scenarios) or self.rulebook is None


def _folder() -> Path:
    return svc().settings.rules_dir


def _path(name: str) -> Path:
    try:
        path = rule_path(_folder(), name)
    except RuleFileError:
        abort(404)
    if not path.exists():
        abort(404)
    return path


def _check(name: str, text: str) -> Checked:
    rulebook, findings = candidate(_folder(), name, text)
    if rulebook is None:
        return Checked(findings, [], [], None)
    evaluator = OracleEvaluator(rulebook)
    scenarios = [
        run_scenario(load_scenario(p), evaluator, p.name) for p in scenario_files(_folder() / "scenarios")
    ]
    cases = []
    with svc().store.session() as db:
        rows = db.execute(
            select(AssessmentRecord.title, AssessmentRecord.answers).order_by(AssessmentRecord.id)
        )
        for title, answers in rows:  # the answers only: saved plans are not needed here
            try:
                cases.append((title, parse_assessment(answers)))
            except InputError:
                continue
    impact = impact_of(svc().engine.rulebook, rulebook, cases, max_months=svc().settings.max_rollout_months)
    return Checked(findings, scenarios, impact, rulebook)


def fingerprint_of(text: str) -> str:
    """What an edit form says it was based on: the file's content when the page was shown."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _stale(name: str, checked: Checked) -> Checked:
    message = _(
        "Not saved: %(name)s was changed meanwhile (by someone else, or on disk). Your text is kept "
        "below; open the file again to see the new version and apply your change to it.",
        name=name,
    )
    return Checked([Finding(name, None, None, message), *checked.findings], checked.scenarios, [], None)


def _save(name: str, text: str, message: str, based_on: str | None = None) -> Checked:
    """Write the file if every check passes; keep the version and the audit entry with it.

    `based_on` is the fingerprint of the content the edit was made on: if the file changed since,
    nothing is saved (a save never silently undoes another). Two saves at once cannot both take
    the next version number (it is unique): the second is refused the same way. The database rows
    and the file change together: a failure before the commit leaves the previous file (written
    atomically) and no new version, and never puts back a file that someone else has saved since.
    """
    checked = _check(name, text)
    if checked.blocked:
        return checked
    assert checked.rulebook is not None  # noqa: S101 - not blocked
    path = _path(name)
    previous = path.read_text(encoding="utf-8")
    if based_on is not None and fingerprint_of(previous) != based_on:
        return _stale(name, checked)
    try:
        with svc().store.session() as db:
            if not rule_file_versions(db, name):  # the first edit keeps what was there before it
                add_rule_file_version(
                    db, name, previous, None, "as found on disk", svc().engine.rulebook.version
                )
            add_rule_file_version(db, name, text, g.user, message, checked.rulebook.version)
            audit(
                db, g.user, AuditAction.RULES_SAVE, name, f"{message} (rulebook {checked.rulebook.version})"
            )
            write_atomically(path, text)
    except IntegrityError:  # another save took this version number first: it stands
        return _stale(name, checked)
    except BaseException:
        if path.read_text(encoding="utf-8") == text != previous:  # ours, not committed: undo it
            write_atomically(path, previous)
        raise
    event(log, "rules.saved", file=name, version=checked.rulebook.version, user_id=g.user.id, message=message)
    svc().watcher.adopt(checked.rulebook)  # checked above: no second load and lint
    return checked


@bp.get("")
@role_required("admin")
def index() -> ResponseReturnValue:
    rulebook = svc().engine.rulebook
    files = {}
    for name in rule_files(_folder()):
        files[name] = [info for info in rulebook.rules if Path(info.file).name == name]
    return render_template(
        "admin/index.html",
        rulebook=rulebook,
        files=files,
        describe=describe,
        reload_error=svc().watcher.error,
        lang=language(),
    )


@bp.route("/rules/<name>", methods=["GET", "POST"])
@role_required("admin")
def edit(name: str) -> ResponseReturnValue:
    path = _path(name)
    text = path.read_text(encoding="utf-8")
    # The form remembers the content it was first shown with, across checks, until it is saved.
    based_on = request.form.get("based_on") or fingerprint_of(text)
    checked: Checked | None = None
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "check")
        message = request.form.get("message", "").strip()[:500]
        try:
            if action in ("fields", "fields-check"):
                text = set_fields(text, _numbers("param-"), _numbers("priority-"))
                action = "check" if action == "fields-check" else "save"
            else:
                text = request.form.get("text", "")
        except RuleFileError as exc:
            flash(str(exc), "error")
            return redirect(url_for(".edit", name=name))
        if action == "check":
            checked = _check(name, text)
        else:
            if not message:
                message = _("Changed %(name)s", name=name)
            checked = _save(name, text, message, request.form.get("based_on"))
            if not checked.blocked:
                flash(
                    _(
                        "Saved %(name)s; the running rulebook is now version %(version)s.",
                        name=name,
                        version=svc().engine.rulebook.version,
                    )
                )
                return redirect(url_for(".edit", name=name))
            status = 422
    parameters, priorities = _fields(name)
    return render_template(
        "admin/edit.html",
        name=name,
        text=text,
        checked=checked,
        parameters=parameters,
        priorities=priorities,
        based_on=based_on,
    ), status


def _numbers(prefix: str) -> dict[str, int]:
    out = {}
    for key, value in request.form.items():
        if key.startswith(prefix) and value.strip():
            try:
                if too_many_digits(value) is not None:  # past int()'s limit, or just absurd
                    raise ValueError(value)
                out[key[len(prefix) :]] = int(value)
            except ValueError:
                shown = value if len(value) <= 20 else value[:20] + "…"  # the flash rides in a cookie
                raise RuleFileError(_("'%(value)s' is not a whole number", value=shown)) from None
    return out


def _fields(name: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The parameters this file defines and the priorities of its rules, as now in force."""
    rulebook = svc().engine.rulebook
    try:
        data, _lines = load_yaml((_folder() / name).read_text(encoding="utf-8"))
    except YamlProblem:
        data = {}
    names = list((data or {}).get("parameters") or {}) if isinstance(data, dict) else []
    parameters = {
        key: (rulebook.parameters[key], rulebook.parameter_texts[key])
        for key in names
        if key in rulebook.parameters
    }
    priorities = {info.id: info.rule.priority for info in rulebook.rules if Path(info.file).name == name}
    return parameters, priorities


@bp.get("/rules/<name>/history")
@role_required("admin")
def history(name: str) -> ResponseReturnValue:
    _path(name)
    with svc().store.session() as db:
        versions = rule_file_versions(db, name)
    by_number = {v.number: v for v in versions}
    a, b = version_argument("a"), version_argument("b")
    diff = None
    if a in by_number and b in by_number:
        diff = "".join(
            difflib.unified_diff(
                by_number[a].content.splitlines(True),
                by_number[b].content.splitlines(True),
                f"{name} (version {a})",
                f"{name} (version {b})",
            )
        )
    return render_template(
        "admin/history.html",
        name=name,
        versions=list(reversed(versions)),
        diff=diff,
        a=a,
        b=b,
        names=_usernames(),
    )


@bp.post("/rules/<name>/rollback/<id:number>")
@role_required("admin")
def rollback(name: str, number: int) -> ResponseReturnValue:
    _path(name)
    with svc().store.session() as db:
        target = next((v for v in rule_file_versions(db, name) if v.number == number), None)
    if target is None:
        abort(404)
    checked = _save(name, target.content, _("Roll back to version %(n)s", n=number))
    if checked.blocked:
        parameters, priorities = _fields(name)
        return render_template(
            "admin/edit.html",
            name=name,
            text=target.content,
            checked=checked,
            parameters=parameters,
            priorities=priorities,
            based_on=fingerprint_of(_path(name).read_text(encoding="utf-8")),
        ), 422
    flash(_("Rolled %(name)s back to version %(n)s.", name=name, n=number))
    return redirect(url_for(".history", name=name))


@bp.get("/audit")
@role_required("admin")
def audit_log() -> ResponseReturnValue:
    with svc().store.session() as db:
        entries = list(db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(500)))
    return render_template("admin/audit.html", entries=entries, names=_usernames())


def _usernames() -> dict[int, str]:
    with svc().store.session() as db:
        return {user.id: user.username for user in db.query(User).all()}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def rule_status() -> dict[str, Any]:
        user = g.get("user")
        if user is None or user.role != "admin":
            return {"rules_error": []}
        return {"rules_error": svc().watcher.error}
