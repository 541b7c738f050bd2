"""Trusting a plan: history and comparison of versions, re-planning, what-if, and the review."""

from __future__ import annotations

import copy
import logging
from typing import Any

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from advisor.model.errors import RolloutTooLong
from advisor.model.facts import MAX_GROUPS
from advisor.model.plan import Plan
from advisor.model.questionnaire import GROUP, ORGANISATION, from_form, problems, valid
from advisor.quality.diff import answer_changes, plan_diff
from advisor.services.logs import event
from advisor.services.planning import build_plan
from advisor.store.assessments import StaleRevision, latest_version, lock_at_revision, version, versions
from advisor.store.reviews import record_event, review_events
from advisor.store.tables import (
    SUMMARY_ONLY,
    AssessmentRecord,
    ReviewAction,
    ReviewEvent,
    ReviewStatus,
    User,
    VersionKind,
)
from web.auth import login_required
from web.common import load
from web.extensions import svc
from web.i18n import language
from web.ids import bad_request, parse_id, version_argument
from web.planning import commit, stored_plan
from web.stale import form_revision, stale_page, stale_since

bp = Blueprint("review", __name__, url_prefix="/assessments/<id:assessment_id>")
MAX_COMMENT = 4000
log = logging.getLogger("advisor.review")
COMMENTS = ("commented", "replied", "sent_back", "signed_off")  # the events shown as comments


def _names() -> dict[int, str]:
    with svc().store.session() as db:
        return {u.id: u.username for u in db.query(User).all()}


def _is_reviewer(record: AssessmentRecord) -> bool:
    return g.user.role in ("reviewer", "admin") and record.owner_id != g.user.id


@bp.get("/history")
@login_required
def history(assessment_id: int) -> ResponseReturnValue:
    record = load(assessment_id)
    with svc().store.session() as db:
        all_versions = versions(db, assessment_id)
        events = review_events(db, assessment_id)
    rows = []
    for previous, current in zip([None, *all_versions], all_versions, strict=False):
        changes = answer_changes(previous.answers if previous else {}, current.answers)
        rows.append((current, changes))
    return render_template(
        "review/history.html",
        record=record,
        rows=list(reversed(rows)),
        events=events,
        names=_names(),
    )


@bp.get("/compare")
@login_required
def compare(assessment_id: int) -> ResponseReturnValue:
    record = load(assessment_id)
    lang = language()
    with svc().store.session() as db:
        newest = latest_version(db, assessment_id)
        if newest is None:
            abort(404)
        a = version_argument("a") or max(1, newest.number - 1)
        b = version_argument("b") or newest.number
        old, new = version(db, assessment_id, a), version(db, assessment_id, b)
        numbers = [v.number for v in versions(db, assessment_id)]
    if old is None or new is None:
        abort(404)
    changes = answer_changes(old.answers, new.answers)
    diff = plan_diff(stored_plan(old.plans, lang), stored_plan(new.plans, lang), changes)
    return render_template(
        "review/compare.html",
        record=record,
        old=old,
        new=new,
        changes=changes,
        diff=diff,
        numbers=numbers,
        old_plan=stored_plan(old.plans, lang),
        new_plan=stored_plan(new.plans, lang),
        names=_names(),
    )


def _reply_to(db: Session, assessment_id: int) -> int | None:
    """The comment a reply answers: one of this assessment's comments, or a 400."""
    try:
        reply_to = parse_id(request.form.get("reply_to"))
    except ValueError:
        reply_to = 0
    if reply_to is None:
        return None
    parent = db.get(ReviewEvent, reply_to) if reply_to else None
    if parent is None or parent.assessment_id != assessment_id or parent.action not in COMMENTS:
        bad_request(_("The comment you answered is not a comment on this assessment."))
    return reply_to


@bp.post("/replan")
@login_required
def replan(assessment_id: int) -> ResponseReturnValue:
    """Accept the plan of the running rulebook: a new version with the same answers."""
    record = load(assessment_id)
    if record.owner_id != g.user.id and not _is_reviewer(record):
        abort(404)
    try:
        version_made = commit(
            assessment_id, record.answers, VersionKind.REPLAN, form_revision(), event=ReviewAction.REPLANNED
        )
    except StaleRevision:
        return stale_page(assessment_id, back=url_for("plan.show", assessment_id=assessment_id))
    flash(
        _("The plan was made again with rulebook version %(version)s.", version=version_made.rulebook_version)
    )
    return redirect(url_for("plan.show", assessment_id=assessment_id))


def _whatif_answers(record: AssessmentRecord) -> dict[str, Any]:
    """The sandbox's answers. Its groups are the ones the form shows, named by id (`group-ids`),
    not whichever groups now sit at those places in the list: a sandbox kept after the list
    changed keeps what it showed, never one group's answers under another's id."""
    answers = copy.deepcopy(record.answers)
    form = request.form.to_dict(flat=False)
    answers["organisation"] = from_form(ORGANISATION, _prefixed(form, "o-"))
    ids = form.get("group-ids") or [str(group.get("id")) for group in answers.get("groups", [])]
    if len(ids) > MAX_GROUPS:
        abort(413)
    answers["groups"] = [
        {"id": group_id, **from_form(GROUP, _prefixed(form, f"g{index}-"))}
        for index, group_id in enumerate(ids)
    ]
    return answers


def _prefixed(form: dict[str, list[str]], prefix: str) -> dict[str, list[str]]:
    return {key[len(prefix) :]: values for key, values in form.items() if key.startswith(prefix)}


@bp.route("/whatif", methods=["GET", "POST"])
@login_required
def whatif(assessment_id: int) -> ResponseReturnValue:
    """Change answers in a sandbox and see what the plan would do; nothing is saved unless kept."""
    record = load(assessment_id)
    lang = language()
    answers = _whatif_answers(record) if request.method == "POST" else copy.deepcopy(record.answers)
    stale = None
    if request.method == "POST" and request.form.get("keep") == "1":
        if record.owner_id != g.user.id:
            abort(404)
        if valid(answers) is None:
            flash(_("Only a complete set of answers can be kept."), "error")
        else:
            try:
                kept = commit(assessment_id, answers, VersionKind.WHATIF, form_revision())
            except StaleRevision:
                # The sandbox stays as the person left it, on the current revision, to keep again.
                stale = stale_since(assessment_id)
                if stale is None:
                    abort(404)
                record = stale.record
            else:
                flash(_("The what-if was kept as version %(number)s.", number=kept.number))
                return redirect(url_for("plan.show", assessment_id=assessment_id))
    base = stored_plan(record.plan, lang)
    assessment = valid(answers)
    found = problems(answers, lang) if assessment is None else {}
    new_plan: Plan | None = None
    if assessment is not None:
        try:
            with svc().engine.version() as compiled:
                new_plan = build_plan(
                    assessment, compiled, lang, max_months=svc().settings.max_rollout_months
                )
        except RolloutTooLong as exc:
            found = {problem.path: problem.message for problem in exc.problems}
    changes = answer_changes(record.answers, answers)
    diff = plan_diff(base, new_plan, changes) if new_plan is not None else None
    return render_template(
        "review/whatif.html",
        record=record,
        answers=answers,
        organisation=ORGANISATION,
        group_questions=GROUP,
        changes=changes,
        diff=diff,
        found=found,
        new_plan=new_plan,
        base=base,
        stale=stale,
        resend=True,
    ), (409 if stale else 200)


@bp.get("/review")
@login_required
def show(assessment_id: int) -> ResponseReturnValue:
    record = load(assessment_id)
    lang = language()
    with svc().store.session() as db:
        events = review_events(db, assessment_id)
        newest = latest_version(db, assessment_id)
        sent_back = next((e for e in reversed(events) if e.action == "sent_back"), None)
        base = (
            version(db, assessment_id, sent_back.version_number)
            if sent_back and sent_back.version_number
            else None
        )
        signed = version(db, assessment_id, record.signed_version) if record.signed_version else None
    plan = stored_plan(record.plan, lang)
    since = None
    if base is not None and newest is not None and base.number != newest.number:
        changes = answer_changes(base.answers, newest.answers)
        since = (base.number, changes, plan_diff(stored_plan(base.plans, lang), plan, changes))
    comments = [e for e in events if e.action in COMMENTS]
    # Comments stay visible when the plan no longer has what they were about.
    shown = {None} | {f"group:{gp.id}" for gp in plan.groups} if plan else {None}
    if plan:
        shown |= {f"group:{gp.id}:{r.rule}" for gp in plan.groups for r in gp.reasons}
    orphans = list(dict.fromkeys(e.target for e in comments if e.target not in shown and not e.reply_to))
    return render_template(
        "review/review.html",
        record=record,
        plan=plan,
        events=events,
        comments=comments,
        names=_names(),
        reviewer=_is_reviewer(record),
        author=record.owner_id == g.user.id,
        newest=newest,
        since=since,
        signed=signed,
        orphans=orphans,
    )


def _comment_text(required: bool) -> str | None:
    text = request.form.get("text", "").strip()
    if len(text) > MAX_COMMENT:
        abort(413)
    if required and not text:
        flash(_("Write a comment that says what should change."), "error")
        return None
    return text or None


@bp.post("/review/<any(submit, comment, send_back, sign_off):action>")
@login_required
def act(assessment_id: int, action: str) -> ResponseReturnValue:
    record = load(assessment_id)
    reviewer, author = _is_reviewer(record), record.owner_id == g.user.id
    back = redirect(url_for(".show", assessment_id=assessment_id))
    if (action == "submit" and not author) or (action in ("send_back", "sign_off") and not reviewer):
        abort(403)
    text = _comment_text(required=action in ("comment", "send_back"))
    if text is None and action in ("comment", "send_back"):
        return back
    try:
        with svc().store.session() as db:
            if action == "comment":
                stored = db.get(AssessmentRecord, assessment_id)
                assert stored is not None  # noqa: S101
            else:  # a change of status only on the revision the person saw
                stored = lock_at_revision(db, assessment_id, form_revision())
            return _act(db, stored, action, text, back)
    except StaleRevision:
        return stale_page(assessment_id, back=url_for(".show", assessment_id=assessment_id))


def _act(db: Session, stored: AssessmentRecord, action: str, text: str | None, back: Response) -> Response:
    """One review action on the assessment, inside the caller's transaction."""
    if action == "submit":
        if valid(stored.answers) is None:
            flash(_("Answer every question before asking for a review."), "error")
            return back
        stored.status = ReviewStatus.IN_REVIEW
        record_event(db, stored, g.user, ReviewAction.SUBMITTED, text=text)
    elif action == "comment":
        target = request.form.get("target", "")[:200] or None
        reply_to = _reply_to(db, stored.id)
        record_event(
            db,
            stored,
            g.user,
            ReviewAction.REPLIED if reply_to else ReviewAction.COMMENTED,
            text=text,
            target=target,
            reply_to=reply_to,
        )
    elif action == "send_back":
        stored.status = ReviewStatus.CHANGES_REQUESTED
        record_event(db, stored, g.user, ReviewAction.SENT_BACK, text=text)
    else:
        newest = latest_version(db, stored.id)
        if newest is None or newest.plans is None:
            flash(_("Only a complete plan can be signed off."), "error")
            return back
        stored.status = ReviewStatus.SIGNED_OFF
        stored.signed_version = newest.number
        record_event(db, stored, g.user, ReviewAction.SIGNED_OFF, text=text)
    event(log, "review." + action, assessment_id=stored.id, status=stored.status, user_id=g.user.id)
    return back


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def notifications() -> dict[str, Any]:
        user = g.get("user")
        if user is None:
            return {"waiting": []}
        with svc().store.session() as db:
            query = db.query(AssessmentRecord).options(*SUMMARY_ONLY)
            if user.role in ("reviewer", "admin"):
                waiting = query.filter(
                    AssessmentRecord.status == ReviewStatus.IN_REVIEW, AssessmentRecord.owner_id != user.id
                ).all()
            else:
                waiting = query.filter(
                    AssessmentRecord.status == ReviewStatus.CHANGES_REQUESTED,
                    AssessmentRecord.owner_id == user.id,
                ).all()
        return {"waiting": waiting}
