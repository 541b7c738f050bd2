"""The admin area: the rulebook for people, safe edits of the rule and scenario files with checks
and history, the audit log."""

from __future__ import annotations

import difflib
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from advisor.model.documents import too_many_digits
from advisor.model.errors import Finding, InputError
from advisor.model.vocabulary import PROVENANCES
from advisor.model.yamlsource import YamlProblem, load_yaml
from advisor.planning.explain import describe
from advisor.quality.scenarios import parse_scenario
from advisor.rulebook.files import FieldValue, RuleFileError, set_fields
from advisor.rulebook.loader import Rulebook
from advisor.services import rule_admin
from advisor.services.jobs import start_impact
from advisor.services.rule_admin import Checked, ScenarioChecked, fingerprint_of, scenario_key
from advisor.store.rules import rule_file_versions
from advisor.store.tables import AuditEntry, Job
from web.auth import role_required
from web.common import usernames
from web.extensions import svc
from web.i18n import language
from web.ids import version_argument

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _text(name: str) -> str:
    """The rule file's content in the rulebook's source (404 if there is no such file)."""
    try:
        return rule_admin.rule_text(svc(), name)
    except RuleFileError:
        abort(404)


def _scenario_text(name: str) -> str:
    try:
        return rule_admin.scenario_text(svc(), name)
    except RuleFileError:
        abort(404)


def _stale_notice(name: str) -> Finding:
    return Finding(
        name,
        None,
        None,
        _(
            "Not saved: %(name)s was changed meanwhile (by someone else, or by an import). Your text "
            "is kept below; open the file again to see the new version and apply your change to it.",
            name=name,
        ),
    )


def _save(
    name: str,
    text: str,
    message: str,
    based_on: str | None = None,
    accept: list[str] | None = None,
    accept_seen: dict[str, str] | None = None,
) -> Checked:
    """The save, with a refusal for an edit made on an older file said in the page's language."""
    try:
        checked = rule_admin.save(svc(), g.user, name, text, message, based_on, accept or [], accept_seen)
    except RuleFileError:
        abort(404)
    if not checked.stale:
        return checked
    changed = [n for n in accept or [] if accept_seen and checked.seen.get(n) != accept_seen.get(n)]
    named = ", ".join(scenario_key(n) for n in changed) if changed else name
    return replace(checked, findings=[_stale_notice(named), *checked.findings])


@bp.get("")
@role_required("admin")
def index() -> ResponseReturnValue:
    rulebook = svc().engine.rulebook
    shown = request.args.get("provenance")  # only the rules of one provenance; anything else: all
    chosen = shown if shown in PROVENANCES else None
    files = {}
    for name in rule_admin.rule_names(svc()):
        files[name] = [
            info
            for info in rulebook.rules
            if Path(info.file).name == name and chosen in (None, info.rule.provenance)
        ]
    return render_template(
        "admin/index.html",
        rulebook=rulebook,
        files=files,
        provenances=PROVENANCES,
        chosen=chosen,
        describe=describe,
        reload_error=svc().watcher.error,
        lang=language(),
    )


@bp.route("/rules/<name>", methods=["GET", "POST"])
@role_required("admin")
def edit(name: str) -> ResponseReturnValue:
    text = _text(name)
    # The form remembers the content it was first shown with, across checks, until it is saved.
    based_on = request.form.get("based_on") or fingerprint_of(text)
    checked: Checked | None = None
    saving = False
    status = 200
    job = _shown_job()
    if request.method == "POST":
        action = request.form.get("action", "check")
        message = request.form.get("message", "").strip()[:500]
        try:
            if action in ("fields", "fields-check"):
                text = set_fields(text, _parameters(svc().engine.rulebook), _numbers("priority-"))
                action = "check" if action == "fields-check" else "save"
            else:
                text = request.form.get("text", "")
        except RuleFileError as exc:
            flash(str(exc), "error")
            return redirect(url_for(".edit", name=name))
        # The files as they are before a save: what the impact of the edit is measured from.
        files = rule_admin.impact_files(svc(), name, text)
        if action == "check":
            checked = rule_admin.check(svc(), name, text)
            job = _impact_job(checked, files, preview=True)
        else:
            saving = True
            if not message:
                message = _("Changed %(name)s", name=name)
            accept = request.form.getlist("accept")
            # Each ticked scenario as the check showed it: accepted only if it is still that file.
            seen = {n: request.form.get(f"seen-{n}", "") for n in accept}
            checked = _save(name, text, message, request.form.get("based_on"), accept, seen)
            job = _impact_job(checked, files)
            if not checked.blocked:
                flash(
                    _(
                        "Saved %(name)s; the running rulebook is now version %(version)s.",
                        name=name,
                        version=svc().engine.rulebook.version,
                    )
                )
                if checked.accepted:
                    flash(
                        _(
                            "The new outcome is now expected by: %(names)s.",
                            names=", ".join(scenario_key(n) for n in sorted(checked.accepted)),
                        )
                    )
                return redirect(url_for(".edit", name=name, job=job.id if job else None))
            status = 422
    return _edit_page(name, text, checked, based_on, saving, job), status


def _impact_job(
    checked: Checked, files: tuple[dict[str, str], dict[str, str]], *, preview: bool = False
) -> Job | None:
    """The job that works out which saved assessments' plans the edit changes (none when the
    edited rulebook does not load, or a save was refused because the file changed meanwhile)."""
    if checked.rulebook is None:
        return None
    return svc().jobs.get(start_impact(svc(), g.user, *files, preview=preview))


def _shown_job() -> Job | None:
    """The impact job named in the address (`?job=`), after a save."""
    job_id = version_argument("job")
    return svc().jobs.get(job_id) if job_id else None


def _edit_page(
    name: str, text: str, checked: Checked | None, based_on: str, saving: bool, job: Job | None = None
) -> str:
    parameters, priorities = _fields(name)
    return render_template(
        "admin/edit.html",
        name=name,
        text=text,
        checked=checked,
        saving=saving,
        accepting=request.form.getlist("accept"),
        parameters=parameters,
        priorities=priorities,
        based_on=based_on,
        job=job,
    )


def _numbers(prefix: str) -> dict[str, int]:
    return {
        key[len(prefix) :]: _number(value)
        for key, value in request.form.items()
        if key.startswith(prefix) and value.strip()
    }


def _shorten(value: str) -> str:
    return value if len(value) <= 20 else value[:20] + "…"  # a flash rides in a cookie


def _number(value: str) -> int:
    try:
        if too_many_digits(value) is not None:  # past int()'s limit, or just absurd
            raise ValueError(value)
        return int(value)
    except ValueError:
        raise RuleFileError(_("'%(value)s' is not a whole number", value=_shorten(value))) from None


def _parameters(rulebook: Rulebook) -> dict[str, FieldValue]:
    """The parameter fields of the form, each read as the kind of value the parameter holds: a
    number, a list written as values separated by commas, a table as one `key: values` per line."""
    out: dict[str, FieldValue] = {}
    for field, value in request.form.items():
        if not field.startswith("param-"):
            continue
        key = field[len("param-") :]
        kind = rulebook.kind(key)
        if kind == "list":
            out[key] = _items(value)
        elif kind == "table":
            out[key] = _table(value)
        elif value.strip():
            out[key] = _number(value)
    return out


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _table(text: str) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, colon, values = line.partition(":")
        if not colon or not key.strip():
            raise RuleFileError(_("'%(line)s' is not a line of the form key: values", line=_shorten(line)))
        if key.strip() in table:
            raise RuleFileError(_("'%(key)s' is written twice", key=_shorten(key.strip())))
        table[key.strip()] = _items(values)
    return table


def _shown(kind: str | None, value: object) -> str:
    """A parameter's value as its form field shows it (and `_parameters` reads it back)."""
    if kind == "list" and isinstance(value, tuple):
        return ", ".join(value)
    if kind == "table" and isinstance(value, dict):
        return "\n".join(f"{key}: {', '.join(items)}" for key, items in value.items())
    return str(value)


def _fields(name: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The parameters this file defines (kind, value as its field shows it, texts) and the
    priorities of its rules, as now in force."""
    rulebook = svc().engine.rulebook
    try:
        data, _lines = load_yaml(_text(name))
    except YamlProblem:
        data = {}
    names = list((data or {}).get("parameters") or {}) if isinstance(data, dict) else []
    parameters = {
        key: (kind, _shown(kind, rulebook.value(key)), rulebook.parameter_texts[key])
        for key in names
        if (kind := rulebook.kind(key)) is not None
    }
    priorities = {info.id: info.rule.priority for info in rulebook.rules if Path(info.file).name == name}
    return parameters, priorities


def _history(key: str, name: str, edit_url: str, rollback_endpoint: str) -> str:
    with svc().store.session() as db:
        versions = rule_file_versions(db, key)
    by_number = {v.number: v for v in versions}
    a, b = version_argument("a"), version_argument("b")
    diff = None
    if a in by_number and b in by_number:
        diff = list(
            difflib.unified_diff(
                by_number[a].content.splitlines(),
                by_number[b].content.splitlines(),
                _("%(name)s (version %(n)s)", name=key, n=a),
                _("%(name)s (version %(n)s)", name=key, n=b),
                lineterm="",
            )
        )
    return render_template(
        "admin/history.html",
        name=key,
        edit_url=edit_url,
        rollback_endpoint=rollback_endpoint,
        file=name,
        versions=list(reversed(versions)),
        diff=diff,
        a=a,
        b=b,
        names=usernames(),
    )


@bp.get("/rules/<name>/history")
@role_required("admin")
def history(name: str) -> ResponseReturnValue:
    _text(name)
    return _history(name, name, url_for(".edit", name=name), ".rollback")


@bp.post("/rules/<name>/rollback/<id:number>")
@role_required("admin")
def rollback(name: str, number: int) -> ResponseReturnValue:
    _text(name)
    with svc().store.session() as db:
        target = next((v for v in rule_file_versions(db, name) if v.number == number), None)
    if target is None:
        abort(404)
    checked = _save(name, target.content, _("Roll back to version %(n)s", n=number))
    if checked.blocked:
        based_on = fingerprint_of(_text(name))
        return _edit_page(name, target.content, checked, based_on, True), 422
    flash(_("Rolled %(name)s back to version %(n)s.", name=name, n=number))
    return redirect(url_for(".history", name=name))


@bp.get("/scenarios")
@role_required("admin")
def scenarios() -> ResponseReturnValue:
    """Every scenario file, with what it shows (or that it does not read)."""
    listed: list[tuple[str, str | None]] = []
    for name in rule_admin.scenario_names(svc()):
        try:
            description = parse_scenario(_scenario_text(name), name).description
            listed.append((name, description))
        except InputError:
            listed.append((name, None))
    return render_template("admin/scenarios.html", scenarios=listed)


def _save_scenario(name: str, text: str, message: str, based_on: str | None) -> ScenarioChecked:
    try:
        checked = rule_admin.save_scenario(svc(), g.user, name, text, message, based_on)
    except RuleFileError:
        abort(404)
    if not checked.stale:
        return checked
    return replace(checked, findings=[_stale_notice(scenario_key(name)), *checked.findings])


@bp.route("/scenarios/<name>", methods=["GET", "POST"])
@role_required("admin")
def scenario(name: str) -> ResponseReturnValue:
    """A scenario file, edited as a rule file is: checked against the running rulebook, saved
    only when it reads and the plan meets what it expects."""
    text = _scenario_text(name)
    based_on = request.form.get("based_on") or fingerprint_of(text)
    checked: ScenarioChecked | None = None
    saving = False
    status = 200
    if request.method == "POST":
        text = request.form.get("text", "")
        if request.form.get("action", "check") == "check":
            checked = rule_admin.check_scenario(svc(), name, text)
        else:
            saving = True
            message = request.form.get("message", "").strip()[:500] or _("Changed %(name)s", name=name)
            checked = _save_scenario(name, text, message, request.form.get("based_on"))
            if not checked.blocked:
                flash(_("Saved %(name)s.", name=scenario_key(name)))
                return redirect(url_for(".scenario", name=name))
            status = 422
    return _scenario_page(name, text, checked, based_on, saving), status


def _scenario_page(name: str, text: str, checked: ScenarioChecked | None, based_on: str, saving: bool) -> str:
    return render_template(
        "admin/scenario.html",
        name=name,
        key=scenario_key(name),
        text=text,
        checked=checked,
        saving=saving,
        based_on=based_on,
    )


@bp.get("/scenarios/<name>/history")
@role_required("admin")
def scenario_history(name: str) -> ResponseReturnValue:
    _scenario_text(name)
    return _history(scenario_key(name), name, url_for(".scenario", name=name), ".scenario_rollback")


@bp.post("/scenarios/<name>/rollback/<id:number>")
@role_required("admin")
def scenario_rollback(name: str, number: int) -> ResponseReturnValue:
    _scenario_text(name)
    with svc().store.session() as db:
        versions = rule_file_versions(db, scenario_key(name))
    target = next((v for v in versions if v.number == number), None)
    if target is None:
        abort(404)
    checked = _save_scenario(name, target.content, _("Roll back to version %(n)s", n=number), None)
    if checked.blocked:
        based_on = fingerprint_of(_scenario_text(name))
        return _scenario_page(name, target.content, checked, based_on, True), 422
    flash(_("Rolled %(name)s back to version %(n)s.", name=scenario_key(name), n=number))
    return redirect(url_for(".scenario_history", name=name))


@bp.get("/jobs/<id:job_id>")
@role_required("admin")
def job(job_id: int) -> ResponseReturnValue:
    """An impact job as it stands: the fragment the edit page polls while the job runs."""
    found = svc().jobs.get(job_id)
    if found is None:
        abort(404)
    return render_template("admin/_job.html", job=found)


@bp.post("/jobs/<id:job_id>/cancel")
@role_required("admin")
def cancel_job(job_id: int) -> ResponseReturnValue:
    found = svc().jobs.cancel(job_id)
    if found is None:
        abort(404)
    if request.headers.get("HX-Request"):
        return render_template("admin/_job.html", job=found)
    back = request.form.get("file", "")
    if back in rule_admin.rule_names(svc()):
        return redirect(url_for(".edit", name=back, job=job_id))
    return redirect(url_for(".index"))


@bp.get("/audit")
@role_required("admin")
def audit_log() -> ResponseReturnValue:
    with svc().store.session() as db:
        entries = list(db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(500)))
    return render_template("admin/audit.html", entries=entries, names=usernames())


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def rule_status() -> dict[str, Any]:
        user = g.get("user")
        if user is None or user.role != "admin":
            return {"rules_error": []}
        return {"rules_error": svc().watcher.error}
