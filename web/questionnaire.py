"""The guided questionnaire: the organisation, then each group; every answer saved as a draft."""

from __future__ import annotations

import copy
import re
from typing import Any

from flask import Blueprint, Flask, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from advisor.directory.edits import HELD
from advisor.model.facts import control_character
from advisor.model.questionnaire import (
    GROUP,
    ORGANISATION,
    POINTS,
    Question,
    asked,
    from_form,
    group_from_form,
    name_taken,
    new_group,
    out_of_bounds,
    problems,
    shown_value,
    slug,
    unseen,
)
from advisor.quality.diff import answer_changes
from advisor.services.assessments import commit, resume_at
from advisor.store.assessments import StaleRevision
from advisor.store.tables import AssessmentRecord, ReviewStatus, VersionKind
from web import stale as stale_forms
from web.auth import login_required
from web.common import load, say_dropped
from web.extensions import svc
from web.i18n import language
from web.stale import form_revision, gone, newest_versions, render_stale, require_current, stale_since

bp = Blueprint("questionnaire", __name__, url_prefix="/assessments/<id:assessment_id>")
_GROUP_PATH = re.compile(r"^groups\[(\d+)\](?:\.(\w+))?")  # a group's answer, or the group


def _save(
    record: AssessmentRecord,
    answers: dict[str, Any] | None = None,
    step: str | None = None,
    revision: int | None = None,
) -> None:
    """Keep changed answers as a new version and remember where the author is.

    `record` is the author's assessment as the view loaded it (with write access); `revision` the
    one the submitted form was rendered from: StaleRevision if the answers changed since.
    """
    # A version only when an answer's meaning changed (not for re-saving the same page).
    if answers is not None and (
        answer_changes(record.answers, answers) or answers.keys() != record.answers.keys()
    ):
        # An untitled assessment takes the organisation's name, with the version, atomically.
        name = answers.get("organisation", {}).get("name")
        usable = isinstance(name, str) and name.strip() and not control_character(name)
        title = name.strip()[:200] if usable and record.title == _("New assessment") else None
        commit(svc(), g.user, record.id, answers, VersionKind.EDIT, revision, title=title)
    if step is not None and step != record.step:
        resume_at(svc(), g.user, record.id, step)


def progress_of(answers: dict[str, Any], found: dict[str, str] | None = None) -> dict[str, Any]:
    """Which steps are done; `found` are the answers' problems if the caller has them already."""
    found = problems(answers, language()) if found is None else found
    groups = answers.get("groups", [])
    return {
        "organisation_done": not any(p.startswith("organisation") for p in found),
        "groups": len(groups),
        "groups_done": bool(groups) and not any(p.startswith("groups") for p in found),
        "ready": not found,
        "problems": found,
    }


# The organisation's `counts` questions whose names are choices (the exit criteria): a problem
# names its choice as the form shows it.
_NAMED_COUNTS = {q.name: q for q in ORGANISATION if q.kind == "counts" and q.choices}


def _field_errors(found: dict[str, str], prefix: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    for path, message in found.items():
        if path.startswith(prefix):
            field, dot, name = path[len(prefix) :].partition(".")
            field = re.split(r"\[", field, maxsplit=1)[0]
            # A problem of one name's number in a `counts` answer says which name it is.
            unknown = name.endswith(".[key]")
            name = name.removesuffix(".[key]")
            question = _NAMED_COUNTS.get(field) if prefix == "organisation." else None
            if question is not None and name in question.choices:
                name = question.choice_label(name, language())
            elif question is not None and unknown:
                # A name the form does not know: the names it does know, as the person writes them
                # (the file's keys are not theirs to learn).
                labels = ", ".join(question.choice_label(c, language()) for c in question.choices)
                message = _("not one of the names this answer takes: %(names)s", names=labels)
            errors.setdefault(field, f"{name}: {message}" if dot and name else message)
    return errors


@bp.get("")
@login_required
def resume(assessment_id: int) -> ResponseReturnValue:
    """Back to where the person left off."""
    record = load(assessment_id)
    step = record.step if record.owner_id == g.user.id else "plan"
    if step.startswith("group:"):
        return redirect(url_for(".group", assessment_id=assessment_id, index=int(step[6:])))
    target = {"organisation": ".organisation", "groups": ".groups", "plan": "plan.show"}.get(
        step, ".organisation"
    )
    return redirect(url_for(target, assessment_id=assessment_id))


@bp.route("/organisation", methods=["GET", "POST"])
@login_required
def organisation(assessment_id: int) -> ResponseReturnValue:
    record = load(assessment_id, write=True)
    answers = copy.deepcopy(record.answers)
    if request.method == "POST":
        entered = from_form(ORGANISATION, request.form.to_dict(flat=False))
        answers["organisation"] = entered
        # Past the contract's sizes or holding control characters: shown again, nothing is saved.
        refused = _field_errors(out_of_bounds(answers, language()), "organisation.")
        if not refused:
            try:
                _save(record, answers, "organisation", form_revision())
            except StaleRevision:
                return _stale_organisation(assessment_id, entered)
            record = load(assessment_id, write=True)  # a form shown again carries the new revision
    else:
        refused = {}
        _save(record, step="organisation")
    found = problems(answers, language())
    if request.method == "POST" and not refused and not _field_errors(found, "organisation."):
        return redirect(url_for(".groups", assessment_id=assessment_id))
    # Problems are shown once the person acts: on a submit, or following a link from a list of them.
    errors = (
        _field_errors(found, "organisation.") if request.method == "POST" or request.args.get("check") else {}
    )
    return render_template(
        "questionnaire/organisation.html",
        record=record,
        questions=ORGANISATION,
        values=answers.get("organisation", {}),
        errors={**errors, **refused},
        progress=progress_of(answers, found),
        step="organisation",
        points=POINTS,
    ), 422 if refused else 200


@bp.get("/groups")
@login_required
def groups(assessment_id: int) -> ResponseReturnValue:
    record = load(assessment_id, write=True)
    _save(record, step="groups")
    found = problems(record.answers, language())
    incomplete = {int(m.group(1)) for path in found if (m := _GROUP_PATH.match(path))}
    return render_template(
        "questionnaire/groups.html",
        record=record,
        groups=record.answers.get("groups", []),
        incomplete=incomplete,
        progress=progress_of(record.answers, found),
        step="groups",
    )


def _draft_index(groups_: list[dict[str, Any]], index: int | None) -> int | None:
    """The group a form changes: the one its address names, or, for a new group's form whose
    draft was saved meanwhile (the autosave names it by id), that draft: one group per form."""
    if index is None and (group_id := request.form.get("group")):
        return next((i for i, g_ in enumerate(groups_) if g_.get("id") == group_id), None)
    return index


def _placed(
    answers: dict[str, Any], index: int | None, entered: dict[str, Any]
) -> tuple[dict[str, Any], int]:
    """The answers with the group as entered in its place (appended if new), and its index."""
    groups_ = answers.setdefault("groups", [])
    taken = [str(g_.get("id")) for i, g_ in enumerate(groups_) if i != index]
    current = groups_[index] if index is not None else {}
    group_id = current.get("id") or slug(str(entered.get("name") or "group"), taken)
    # What a directory import keeps on the group and the questionnaire does not ask stays.
    held = {key: current[key] for key in HELD if key in current and key not in entered}
    entered = {"id": group_id, **entered, **held}
    if index is None:
        groups_.append(entered)
        return answers, len(groups_) - 1
    groups_[index] = entered
    return answers, index


def _refused(answers: dict[str, Any], index: int) -> dict[str, str]:
    """What no draft of the group may hold (see `out_of_bounds`), and a name another group has."""
    refused = _field_errors(out_of_bounds(answers, language()), f"groups[{index}].")
    groups_ = answers["groups"]
    if "name" not in refused and name_taken(groups_, index, groups_[index].get("name")):
        refused["name"] = _("another group already has this name: give each group its own")
    return refused


@bp.route("/groups/<index:index>", methods=["GET", "POST"])
@bp.route("/groups/new", methods=["GET", "POST"], defaults={"index": None})
@login_required
def group(assessment_id: int, index: int | None) -> ResponseReturnValue:
    record = load(assessment_id, write=True)
    answers = copy.deepcopy(record.answers)
    groups_ = answers.setdefault("groups", [])
    if request.method == "POST" and form_revision() != record.revision:
        # Made on older answers: the index may now name another group (or none), so say what
        # changed rather than guess; the form names its group by id to find it again.
        entered, _ = group_from_form(request.form.to_dict(flat=False))
        return _stale_group(assessment_id, entered, request.form.get("group"), adding=index is None)
    index = _draft_index(groups_, index)
    if index is not None and not 0 <= index < len(groups_):
        abort(404)
    if request.method == "GET":
        errors: dict[str, str] = {}
        found = problems(answers, language())
        if index is not None:
            _save(record, step=f"group:{index}")
            # Shown when asked for (a link from a list of problems), never on a page just opened.
            if request.args.get("check"):
                errors = _field_errors(found, f"groups[{index}].")
        return _group_page(record, groups_[index] if index is not None else new_group(), errors, index, found)
    form = request.form.to_dict(flat=False)
    entered, dropped = group_from_form(form)
    # Sent without the script, the form showed the questions of the answers it was opened with:
    # questions that the answers sent now ask are shown before the group is done.
    new_questions = unseen(GROUP, entered, form["asked"]) if "asked" in form else ()
    changed, at = _placed(answers, index, entered)
    found = problems(changed, language())
    errors = {**_field_errors(found, f"groups[{at}]."), **_refused(changed, at)}
    if errors:
        # A submit that fails changes nothing: the form again, as entered, at the same address
        # (a new group's stays new; a retry adds it once). Drafts are kept by the autosave.
        shown = changed["groups"][at] if index is not None else entered  # with its draft's id
        # What was sent is unsaved unless the group's draft already holds exactly that.
        unsaved = index is None or record.answers["groups"][index] != changed["groups"][at]
        found = problems(record.answers, language())
        return _group_page(record, shown, errors, index, found, status=422, unsaved=unsaved)
    say_dropped(dropped)
    try:
        _save(record, changed, f"group:{at}", form_revision())
    except StaleRevision:  # lost the race to a writer of the same revision
        group_id = changed["groups"][at]["id"] if index is not None else None
        return _stale_group(assessment_id, entered, group_id, adding=index is None)
    if new_questions:
        record = load(assessment_id, write=True)  # a form shown again carries the new revision
        return _group_page(record, changed["groups"][at], {}, at, found, new_questions=new_questions)
    if request.form.get("then") == "another":
        return redirect(url_for(".group", assessment_id=assessment_id, index=None))
    return redirect(url_for(".groups", assessment_id=assessment_id))


def _drafting(
    record: AssessmentRecord, index: int | None, found: dict[str, str], *, new: bool = False
) -> bool:
    """Whether the group's form saves itself as the person types: only a draft's does, a group
    being added (`new`: the form was opened as a new group's, and keeps saving the draft it made)
    or one that still needs answers, so that typing in a finished group never changes the plan
    unasked; and never on a signed-off assessment, whose review only a deliberate save reopens."""
    if record.status == ReviewStatus.SIGNED_OFF:
        return False
    return new or index is None or any(p.startswith(f"groups[{index}]") for p in found)


def _group_page(
    record: AssessmentRecord,
    values: dict[str, Any],
    errors: dict[str, str],
    index: int | None,
    found: dict[str, str],
    *,
    status: int = 200,
    new_questions: tuple[Question, ...] = (),
    unsaved: bool = False,
) -> ResponseReturnValue:
    return render_template(
        "questionnaire/group.html",
        unsaved=unsaved,
        record=record,
        questions=GROUP,
        values=values,
        errors=errors,
        index=index,
        group_id=values.get("id") if index is not None else None,
        autosave=_drafting(record, index, found),
        progress=progress_of(record.answers, found),
        step="groups",
        points=POINTS,
        new_questions=new_questions,
    ), status


@bp.post("/groups/draft")
@login_required
def autosave(assessment_id: int) -> ResponseReturnValue:
    """The group form's draft, saved as the person types (by questions.js): incomplete answers
    are kept (the group "Needs answers"), but never what no draft may hold, and never a second
    group for one form (the answer names the group, which the form sends back). The answer
    carries the assessment's new revision, which the form sends with its next save."""
    record = load(assessment_id, write=True)
    if form_revision() != record.revision:
        return jsonify(saved=False, reason="stale"), 409
    answers = copy.deepcopy(record.answers)
    groups_ = answers.setdefault("groups", [])
    group_id = request.form.get("group")
    index = next((i for i, g_ in enumerate(groups_) if group_id and g_.get("id") == group_id), None)
    if group_id and index is None:  # the group was removed meanwhile: the page says what changed
        return jsonify(saved=False, reason="stale"), 409
    if not _drafting(record, index, problems(answers, language()), new=request.form.get("adding") == "1"):
        # A finished group, or a signed-off assessment: only the form's own save changes it.
        return jsonify(saved=False, reason="not_draft"), 409
    entered, _dropped = group_from_form(request.form.to_dict(flat=False))
    if not str(entered.get("name") or "").strip() and index is None:
        return jsonify(saved=False, reason="empty")  # nothing to keep yet: a draft has a name
    changed, at = _placed(answers, index, entered)
    if refused := _refused(changed, at):
        return jsonify(saved=False, reason="invalid", errors=refused), 422
    try:
        _save(record, changed, f"group:{at}", record.revision)
    except StaleRevision:
        return jsonify(saved=False, reason="stale"), 409
    record = load(assessment_id, write=True)
    with svc().store.session() as db:
        version = newest_versions(db, [record.id]).get(record.id, 0)
    return jsonify(
        saved=True,
        revision=record.revision,
        version=version,
        group=changed["groups"][at]["id"],
        action=url_for(".group", assessment_id=assessment_id, index=at),
    )


@bp.post("/groups/<index:index>/duplicate")
@login_required
def duplicate_group(assessment_id: int, index: int) -> ResponseReturnValue:
    record = load(assessment_id, write=True)
    require_current(record)  # before the index is trusted: it may name another group now
    answers = copy.deepcopy(record.answers)
    groups_ = answers.get("groups", [])
    if not 0 <= index < len(groups_):
        abort(404)
    copy_ = copy.deepcopy(groups_[index])
    named = _("%(name)s (copy)", name=copy_.get("name", ""))
    copy_["name"], number = named[:200], 2
    while name_taken(groups_, None, copy_["name"]):  # every group keeps its own name
        copy_["name"], number = f"{named[:190]} {number}", number + 1
    copy_["id"] = slug(copy_["name"], [str(g_.get("id")) for g_ in groups_])
    groups_.insert(index + 1, copy_)
    _save(record, answers, revision=form_revision())
    return redirect(url_for(".group", assessment_id=assessment_id, index=index + 1))


@bp.route("/groups/<index:index>/remove", methods=["GET", "POST"])
@login_required
def remove_group(assessment_id: int, index: int) -> ResponseReturnValue:
    record = load(assessment_id, write=True)
    if request.method == "POST":
        require_current(record)  # before the index is trusted: it may name another group now
    answers = copy.deepcopy(record.answers)
    groups_ = answers.get("groups", [])
    if not 0 <= index < len(groups_):
        abort(404)
    if request.method == "GET":
        return render_template("questionnaire/remove.html", record=record, index=index, group=groups_[index])
    removed = groups_.pop(index)
    _save(record, answers, "groups", form_revision())
    flash(_("Removed %(name)s.", name=removed.get("name", "")))
    return redirect(url_for(".groups", assessment_id=assessment_id))


@bp.get("/answers")
@login_required
def summary(assessment_id: int) -> ResponseReturnValue:
    """Every answer on one page, as the person reads it, each with a link to change it: to check
    before the plan, or to print."""
    record = load(assessment_id)
    lang = language()
    found = problems(record.answers, lang)
    editable = record.owner_id == g.user.id

    def rows(
        questions: tuple[Question, ...], values: dict[str, Any], prefix: str, edit: str
    ) -> list[dict[str, Any]]:
        errors = _field_errors(found, prefix)
        return [
            {
                "question": q.title(lang),
                "answer": shown_value(q, values, lang),
                "problem": errors.get(q.name),
                "edit": f"{edit}{'?check=1' if q.name in errors else ''}#{q.field_id}" if editable else None,
            }
            for q in questions
            if asked(q, values)
        ]

    answers = record.answers
    organisation = answers.get("organisation", {})
    groups_ = [
        (
            group_.get("name") or _("(no name)"),
            rows(GROUP, group_, f"groups[{i}].", url_for(".group", assessment_id=assessment_id, index=i)),
        )
        for i, group_ in enumerate(answers.get("groups", []))
    ]
    return render_template(
        "questionnaire/answers.html",
        record=record,
        organisation=rows(
            ORGANISATION, organisation, "organisation.", url_for(".organisation", assessment_id=assessment_id)
        ),
        groups=groups_,
        progress=progress_of(answers, found),
        step="answers",
    )


def located(record: AssessmentRecord, found: dict[str, str]) -> list[dict[str, Any]]:
    """A plan's problems as a person finds them: the group by its name, the question by its
    title, and a link to the field (for the author); a problem of no one field as its sentence."""
    lang = language()
    groups_ = record.answers.get("groups", [])
    editable = record.owner_id == g.user.id
    where: list[dict[str, Any]] = []
    for path, message in found.items():
        item: dict[str, Any] = {
            "message": message,
            "group": None,
            "organisation": False,
            "question": None,
            "url": None,
        }
        if match := _GROUP_PATH.match(path):
            index, name = int(match.group(1)), match.group(2)
            questions, target = (
                GROUP,
                url_for("questionnaire.group", assessment_id=record.id, index=index, check=1),
            )
            if index < len(groups_):
                item["group"] = str(groups_[index].get("name") or _("(no name)"))
        elif path.startswith("organisation."):
            name = re.split(r"[.\[]", path[len("organisation.") :], maxsplit=1)[0]
            questions, target = (
                ORGANISATION,
                url_for("questionnaire.organisation", assessment_id=record.id, check=1),
            )
            item["organisation"] = True
        else:
            where.append(item)
            continue
        question = next((q for q in questions if q.name == name), None)
        item["question"] = question.title(lang) if question else None
        if editable:
            item["url"] = f"{target}#{question.field_id}" if question else target
        where.append(item)
    return where


def _stale_organisation(assessment_id: int, entered: dict[str, Any]) -> ResponseReturnValue:
    """The organisation form again, with what the person entered, on the current revision."""
    stale = stale_since(assessment_id)
    if stale is None:
        return gone()
    return render_stale(
        stale,
        "questionnaire/organisation.html",
        questions=ORGANISATION,
        values=entered,
        errors={},
        progress=progress_of(stale.record.answers),
        step="organisation",
        points=POINTS,
        resend=True,
    )


def _stale_group(
    assessment_id: int, entered: dict[str, Any], group_id: str | None, *, adding: bool
) -> ResponseReturnValue:
    """The group form again, with what the person entered, on the current revision; sent again
    it changes the same group wherever it is now (or adds it back if it was removed meanwhile)."""
    stale = stale_since(assessment_id)
    if stale is None:
        return gone()
    groups_ = stale.record.answers.get("groups", [])
    index = None
    if not adding and group_id:
        index = next((i for i, g_ in enumerate(groups_) if g_.get("id") == group_id), None)
    return render_stale(
        stale,
        "questionnaire/group.html",
        questions=GROUP,
        values={key: value for key, value in entered.items() if key != "id"},
        errors={},
        index=index,
        group_id=group_id if index is not None else None,
        progress=progress_of(stale.record.answers),
        step="groups",
        points=POINTS,
        resend=True,
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["asked"] = asked  # which questions a form shows (_fields.html)
    app.jinja_env.globals["located"] = located  # a plan's problems by group and question (plan.html)
    stale_forms.init_app(app)  # every view that changes an assessment refuses a stale form
