"""Groups proposed from the organisation's own exports (Entra ID users, Intune devices): the
upload page (with a form to map columns the file names differently), the preview with its edits,
and applying it to the assessment's answers.

The uploads are read as streams inside the request and dropped when it ends: werkzeug keeps a
large file part in an anonymous temporary file (unlinked from the start, so nothing is left on
disk), which `_closing` closes as soon as the import has read it, whatever happened.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO, cast

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from pydantic import ValidationError
from werkzeug.datastructures import FileStorage

from advisor.directory.errors import FileRefused, Kind, MissingColumns
from advisor.model.errors import InputError
from advisor.services import directory as service
from advisor.store.assessments import StaleRevision
from advisor.store.tables import AssessmentRecord
from web.auth import login_required
from web.common import load, plan_language
from web.extensions import LARGE_UPLOADS, svc
from web.i18n import language
from web.stale import form_revision, stale_page

bp = Blueprint("directory", __name__, url_prefix="/assessments/<id:assessment_id>/import-groups")


def field_label(field: str) -> str:
    """A field the import reads, as the mapping form names it."""
    labels = {
        "upn": _("User principal name (UPN)"),
        "department": _("Department"),
        "account_enabled": _("Account enabled"),
        "user_type": _("User type (member or guest)"),
        "job_title": _("Job title"),
        "office": _("Office location"),
        "city": _("City"),
        "country": _("Country or region"),
        "usage_location": _("Usage location"),
        "os": _("Operating system"),
        "os_version": _("OS version"),
        "ownership": _("Ownership"),
        "managed_by": _("Managed by"),
        "last_check_in": _("Last check-in"),
    }
    return str(labels.get(field, field))


def kind_label(kind: Kind) -> str:
    return str(_("Users export (Microsoft Entra ID)") if kind == "users" else _("Devices export (Intune)"))


def refusal(exc: FileRefused) -> str:
    """Why a file was refused, in the reader's language, naming which of the two it was."""
    return str(_("%(file)s: %(reason)s", file=kind_label(exc.kind), reason=exc.say(language())))


def _patterns(text: str) -> tuple[str, ...]:
    lines = (line.strip() for line in re.split(r"[\r\n]+", text))
    return tuple(dict.fromkeys(line[: service.MAX_PATTERN] for line in lines if line))[: service.MAX_PATTERNS]


def _form_patterns() -> service.Patterns:
    it = request.form.get("it_department")
    executives = request.form.get("executive_titles")
    return service.Patterns(
        it_department=_patterns(it) if it is not None else None,
        executive_titles=_patterns(executives) if executives is not None else None,
    )


@contextmanager
def _closing(*files: FileStorage | None) -> Iterator[None]:
    """The uploads closed when the import ends, read or refused: their temporary files (if
    werkzeug spooled them to disk) are anonymous and go with the handle."""
    try:
        yield
    finally:
        for upload in files:
            if upload is not None:
                upload.close()


def _upload_page(
    record: AssessmentRecord,
    *,
    problems: list[str] | None = None,
    missing: list[MissingColumns] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    settings = service.settings_for(svc())
    it = request.form.get("it_department") if request.method == "POST" else None
    executives = request.form.get("executive_titles") if request.method == "POST" else None
    return render_template(
        "directory/upload.html",
        record=record,
        problems=problems or [],
        missing=missing or [],
        it_department=it if it is not None else "\n".join(settings.it_patterns),
        executive_titles=executives if executives is not None else "\n".join(settings.executive_patterns),
        mapped=service.mapped_columns(request.form.get) if request.method == "POST" else {},
        remembered=service.remembered(svc(), g.user),
        field_label=field_label,
        kind_label=kind_label,
        limit_mb=svc().settings.import_max_bytes // 1_000_000,
        pending_days=svc().settings.import_pending_days,
        pending=service.waiting(svc(), g.user, record.id),
    ), status


@bp.route("", methods=["GET", "POST"])
@login_required
def upload(assessment_id: int) -> ResponseReturnValue:
    record = load(assessment_id, write=True)
    if request.method == "GET":
        return _upload_page(record)
    users = request.files.get("users")
    devices = request.files.get("devices")
    if devices is not None and not devices.filename:
        devices = None  # the optional field left empty
    with _closing(users, devices):
        if users is None or not users.filename:
            return _upload_page(record, problems=[_("Choose the users export (a CSV file).")], status=422)
        try:
            service.import_exports(
                svc(),
                g.user,
                assessment_id,
                service.Upload(
                    cast(BinaryIO, users.stream),
                    cast(BinaryIO, devices.stream) if devices is not None else None,
                    users_name=None,  # a file's name may be a person's: never in a message
                    devices_name=None,
                ),
                patterns=_form_patterns(),
                mapping=service.mapped_columns(request.form.get),
                language=plan_language(record),
            )
        except service.ColumnsToMap as exc:
            return _upload_page(record, missing=exc.missing, status=422)
        except FileRefused as exc:
            return _upload_page(record, problems=[refusal(exc)], status=422)
        except service.MappingRefused as exc:
            problems = [
                str(_("The column chosen for %(field)s is not a header of the file.", field=p.path))
                for p in exc.problems
            ]
            return _upload_page(record, problems=problems, status=422)
        except service.PatternsRefused as exc:
            said = {
                "it_department": _("The IT department's patterns cannot be used"),
                "executive_titles": _("The executives' patterns cannot be used"),
            }
            problems = [
                str(
                    _(
                        "%(what)s: each is one or more words of at most 64 characters, with * only at "
                        "its start or end.",
                        what=said.get(p.path, p.path),
                    )
                )
                for p in exc.problems
            ]
            return _upload_page(record, problems=list(dict.fromkeys(problems)), status=422)
    return redirect(url_for("directory.preview", assessment_id=assessment_id), 303)


@bp.get("/preview")
@login_required
def preview(assessment_id: int) -> ResponseReturnValue:
    record = load(assessment_id, write=True)
    try:
        shown = service.preview(svc(), g.user, assessment_id)
    except service.NothingPending:
        flash(_("No import is waiting: upload the exports first."))
        return redirect(url_for("directory.upload", assessment_id=assessment_id))
    return render_template(
        "directory/preview.html",
        record=record,
        shown=shown,
        changes=service.change_lines(shown.changes, language()),
        pending_days=svc().settings.import_pending_days,
    )


_OPS = {"rename", "exclude", "include", "merge", "split", "confirm_executives", "reject_executives"}


def _edit_from_form() -> dict[str, Any]:
    """The edit a preview form sends, in the service's shape (the service checks it)."""
    op = request.form.get("op", "")
    if op not in _OPS:
        abort(400)
    group = request.form.get("group", "")
    if op == "merge":
        return {
            "op": op,
            "groups": request.form.getlist("group"),
            "name": request.form.get("name", "").strip(),
        }
    if op == "confirm_executives":  # the job titles ticked; none ticked: as rejected
        return {"op": op, "group": group, "titles": request.form.getlist("title")}
    if op == "reject_executives":
        return {"op": "executives", "group": group, "confirmed": False}
    if op == "rename":
        return {"op": op, "group": group, "name": request.form.get("name", "").strip()}
    return {"op": op, "group": group}


@bp.post("/preview")
@login_required
def edit(assessment_id: int) -> ResponseReturnValue:
    load(assessment_id, write=True)
    try:
        service.edit(svc(), g.user, assessment_id, _edit_from_form(), _form_token())
    except service.NothingPending:
        flash(_("No import is waiting: upload the exports first."))
        return redirect(url_for("directory.upload", assessment_id=assessment_id))
    except service.StaleProposal:
        # The page was of another upload, or of an earlier state of this preview (another tab):
        # the preview as it is now, and the change not made.
        flash(_stale_message(), "error")
    except (InputError, ValidationError, service.TooManyEdits) as exc:
        flash(edit_problem(exc), "error")
    return redirect(url_for("directory.preview", assessment_id=assessment_id), 303)


def _stale_message() -> str:
    return str(
        _(
            "That change was not made: the preview changed since your page was shown (another upload, "
            "or a change in another tab). This is the preview as it is now."
        )
    )


def _form_token() -> str:
    """The proposal the form was rendered from (a form without one is stale)."""
    return request.form.get("proposal", "")[:64]


def edit_problem(exc: Exception) -> str:
    """Why an edit of the preview was not made, as a sentence."""
    if isinstance(exc, service.TooManyEdits):
        return str(_("A preview takes at most %(n)s edits: discard it and import again.", n=exc.limit))
    if isinstance(exc, InputError):
        return str(_("That change was not made: %(reason)s.", reason=service.edit_message(exc, language())))
    if isinstance(exc, ValidationError):
        reasons = list(dict.fromkeys(_field_problem(e) for e in exc.errors(include_url=False)))
        return str(_("That change was not made: %(reason)s.", reason="; ".join(reasons)))
    raise exc


def _field_problem(error: Any) -> str:
    """What is wrong with one field of an edit the form sent, by operation and field."""
    loc = tuple(str(part) for part in error.get("loc", ()))
    field = loc[1] if len(loc) > 1 else ""
    kind = error.get("type", "")
    if field == "name":
        if kind == "string_too_long":
            most = error.get("ctx", {}).get("max_length")
            return str(_("a group's name is at most %(n)s characters", n=most))
        if kind == "control":
            return str(_("a group's name cannot hold a control character (such as a tab or a bell)"))
        return str(_("give the group a name"))
    if field == "groups" and kind == "too_short":
        return str(_("tick at least two groups to merge"))
    if field in ("group", "groups"):
        return str(_("the page named a group that is not in the preview; reload it"))
    if field == "titles":
        return str(_("tick the job titles to confirm"))
    return str(_("the change was not understood; reload the page"))


@bp.post("/apply")
@login_required
def apply(assessment_id: int) -> ResponseReturnValue:
    record = load(assessment_id, write=True)
    try:
        _number, changes = service.apply(svc(), g.user, assessment_id, form_revision(), token=_form_token())
    except service.NothingPending:
        flash(_("No import is waiting: upload the exports first."))
        return redirect(url_for("directory.upload", assessment_id=assessment_id))
    except service.StaleProposal:
        return _stale_preview(record)
    except StaleRevision:
        return stale_page(assessment_id, back=url_for("directory.preview", assessment_id=assessment_id))
    for line in service.change_lines(changes, language()):
        flash(line)
    flash(_("Answer the discussion points the exports cannot answer for each group marked “Needs answers”."))
    return redirect(url_for("questionnaire.groups", assessment_id=assessment_id))


@bp.post("/discard")
@login_required
def discard(assessment_id: int) -> ResponseReturnValue:
    record = load(assessment_id, write=True)
    if not service.discard(svc(), g.user, assessment_id, _form_token()) and service.waiting(
        svc(), g.user, assessment_id
    ):
        return _stale_preview(record)  # another upload waits: not the one the page showed
    flash(_("The import was discarded; the assessment is as it was."))
    return redirect(url_for("questionnaire.groups", assessment_id=assessment_id))


def _stale_preview(record: AssessmentRecord) -> ResponseReturnValue:
    """409: the page applied or discarded a proposal that no longer waits as it showed it."""
    return render_template("directory/stale.html", record=record), 409


@bp.errorhandler(413)
def too_large(error: Any) -> ResponseReturnValue:
    limit = svc().settings.import_max_bytes // 1_000_000
    if request.content_length is not None:  # refused by the size it declared, before it was read
        message = _(
            "The upload is larger than %(n)s MB, the most an import takes. It was refused before it "
            "was read. Export only the columns the import needs, or save the file as CSV rather than "
            "Unicode text.",
            n=limit,
        )
    else:  # sent without its size (chunked): read up to the limit, then refused, nothing kept
        message = _(
            "The upload is larger than %(n)s MB, the most an import takes. It was refused when it "
            "passed that size, and what was read of it was dropped. Export only the columns the "
            "import needs, or save the file as CSV rather than Unicode text.",
            n=limit,
        )
    return render_template("error.html", code=413, message=message), 413


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    LARGE_UPLOADS.add("directory.upload")
