"""Saved assessments: list, create, import, rename, duplicate, delete, export."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import yaml
from flask import Blueprint, Flask, Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from advisor.model.errors import InputError
from advisor.model.facts import control_character, load_document
from advisor.output.formats import content_disposition
from advisor.services import assessments as service
from advisor.store.accounts import usernames
from advisor.store.assessments import StaleRevision
from advisor.store.listing import MAX_QUERY, BadListQuery, ListQuery, Sort, assessment_page, first_waiting
from advisor.store.tables import ReviewStatus
from web.auth import login_required
from web.common import load, where
from web.extensions import svc
from web.i18n import language
from web.ids import bad_request
from web.stale import form_revision, newest_versions, stale_page

bp = Blueprint("assessments", __name__)
WAITING_SHOWN = 5  # of the assessments waiting on the reader, named above the list


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The assessments the reader may see, a page at a time: searched, filtered and sorted by the
    GET form at its top, so that a list can be bookmarked and the back button returns to it."""
    try:
        query = ListQuery.parse(request.args)
    except BadListQuery as exc:
        bad_request(_list_problem(exc))
    with svc().store.session() as db:
        page = assessment_page(db, g.user, query, svc().settings.page_size)
        # The first few waiting on the reader, above the list, with a link to all of them.
        waiting = [] if query.waiting else first_waiting(db, g.user, WAITING_SHOWN)
        owners = usernames(db)
        mine = [r.id for r in page.records if r.owner_id == g.user.id]
        newest = newest_versions(db, mine)
    return render_template(
        "assessments/list.html",
        page=page,
        query=query,
        waiting_first=waiting,
        owners=owners,
        newest=newest,
        statuses=ReviewStatus,
        sorts=Sort,
        page_size=svc().settings.page_size,
    )


def _list_problem(exc: BadListQuery) -> str:
    """Why the list's parameters were refused, in the reader's language (the form sends none of
    these: an edited or truncated address does)."""
    said = {
        "page": _("That page of the list is not one this site made; start again from the first page."),
        "q": _("A search may be at most %(n)s characters long.", n=MAX_QUERY),
    }
    other = _("The list cannot be shown with those settings; start again from the first page.")
    return str(said.get(exc.field, other))


@bp.post("/assessments")
@login_required
def create() -> ResponseReturnValue:
    title = request.form.get("title", "").strip()[:200] or _("New assessment")
    if code := control_character(title):
        flash(_("A title cannot contain control characters (%(code)s).", code=code), "error")
        return redirect(url_for("assessments.index"))
    new_id = service.new_draft(svc(), g.user, title, language())
    return redirect(url_for("questionnaire.organisation", assessment_id=new_id))


@bp.post("/assessments/example")
@login_required
def example() -> ResponseReturnValue:
    """A new assessment of the current user, copied from the guide's example organisation."""
    new_id = service.start_from_example(svc(), g.user, _("Contoso (the guide's example)"))
    flash(_("This is a copy of the guide's example, yours to change: its answers are below."))
    return redirect(url_for("questionnaire.summary", assessment_id=new_id))


def _said(refused: InputError, content: bytes) -> list[str]:
    """An import's problems as sentences in the reader's language: each at the group and question
    it is about (by name and title, as the form shows them), never a path such as `groups[0].users`."""
    try:
        answers: dict[str, object] = load_document(content, "import")
    except InputError:
        answers = {}  # the file itself could not be read: its problems name no answer
    return [f"{where(p.path, answers)}: {p.message}" if p.path else p.message for p in refused.problems]


@bp.route("/assessments/import", methods=["GET", "POST"])
@login_required
def import_file() -> ResponseReturnValue:
    problems: list[str] = []
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            problems = [_("Choose a file to import.")]
        else:
            try:
                content = upload.read()
                new_id, name = service.import_document(svc(), g.user, content, upload.filename, language())
            except InputError as exc:
                problems = _said(exc, content)
            else:
                flash(_("Imported %(name)s.", name=name))
                return redirect(url_for("questionnaire.groups", assessment_id=new_id))
    return render_template("assessments/import.html", problems=problems), 422 if problems else 200


@bp.post("/assessments/<id:assessment_id>/rename")
@login_required
def rename(assessment_id: int) -> ResponseReturnValue:
    load(assessment_id, write=True)
    title = request.form.get("title", "").strip()[:200]
    if not title:
        flash(_("A title cannot be empty."), "error")
    elif code := control_character(title):
        flash(_("A title cannot contain control characters (%(code)s).", code=code), "error")
    else:
        try:
            service.rename(svc(), g.user, assessment_id, title, form_revision())
        except StaleRevision:
            return stale_page(assessment_id, back=url_for("assessments.index"), entered_title=title)
    return redirect(url_for("assessments.index"))


@bp.post("/assessments/<id:assessment_id>/duplicate")
@login_required
def duplicate(assessment_id: int) -> ResponseReturnValue:
    try:
        new_id = service.duplicate(
            svc(), g.user, assessment_id, lambda title: _("Copy of %(title)s", title=title)
        )
    except service.AssessmentNotFound:
        abort(404)
    return redirect(url_for("questionnaire.resume", assessment_id=new_id))


@bp.route("/assessments/<id:assessment_id>/delete", methods=["GET", "POST"])
@login_required
def delete(assessment_id: int) -> ResponseReturnValue:
    record = load(assessment_id, write=True)
    if request.method == "GET":
        return render_template("assessments/delete.html", record=record)
    try:
        service.delete(svc(), g.user, assessment_id, form_revision())
    except StaleRevision:
        return stale_page(assessment_id, back=url_for("assessments.delete", assessment_id=assessment_id))
    flash(_("Deleted %(title)s.", title=record.title))
    return redirect(url_for("assessments.index"))


@bp.get("/assessments/<id:assessment_id>/export.<any(yaml, json):kind>")
@login_required
def export(assessment_id: int, kind: str) -> ResponseReturnValue:
    """The answers as an assessment file (format 1), exactly as stored."""
    record = load(assessment_id)
    if kind == "json":
        body = json.dumps(record.answers, ensure_ascii=False, indent=2) + "\n"
        mimetype = "application/json"
    else:
        body = yaml.safe_dump(record.answers, sort_keys=False, allow_unicode=True)
        mimetype = "application/yaml"
    # Named after the organisation and the day, as the plan's downloads are.
    organisation = (record.answers.get("organisation") or {}).get("name")
    named = organisation if isinstance(organisation, str) and organisation.strip() else record.title
    disposition = content_disposition(named, datetime.now(UTC).date().isoformat(), kind, "assessment")
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
