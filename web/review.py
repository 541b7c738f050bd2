"""Trusting a plan: history and comparison of versions, re-planning, what-if, and the review."""

from __future__ import annotations

import copy
from typing import Any

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from advisor.model.errors import NotAllowed
from advisor.model.facts import MAX_GROUPS
from advisor.model.questionnaire import GROUP, ORGANISATION, from_form, group_from_form
from advisor.quality.diff import answer_changes, plan_diff
from advisor.services import review
from advisor.services.assessments import AssessmentNotFound, stored_plan
from advisor.store.assessments import StaleRevision, latest_version, version, versions
from advisor.store.reviews import review_events
from advisor.store.tables import AssessmentRecord, ReviewAction
from web.auth import login_required
from web.common import load, say_dropped, usernames
from web.extensions import svc
from web.i18n import language
from web.ids import bad_request, parse_id, version_argument
from web.stale import form_revision, stale_page, stale_since

bp = Blueprint("review", __name__, url_prefix="/assessments/<id:assessment_id>")
ACTION_OF_SLUG = {
    "submit": ReviewAction.SUBMITTED,
    "comment": ReviewAction.COMMENTED,
    "send_back": ReviewAction.SENT_BACK,
    "sign_off": ReviewAction.SIGNED_OFF,
}


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
        names=usernames(),
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
        names=usernames(),
    )


@bp.post("/replan")
@login_required
def replan(assessment_id: int) -> ResponseReturnValue:
    """Accept the plan of the running rulebook: a new version with the same answers."""
    try:
        version_made = review.replan(svc(), g.user, assessment_id, form_revision())
    except (AssessmentNotFound, NotAllowed):
        abort(404)
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
    answers["groups"] = []
    for index, group_id in enumerate(ids):
        # An answer that no longer applies and is not valid is left out (said where it is kept).
        group, dropped = group_from_form(_prefixed(form, f"g{index}-"))
        answers["groups"].append({"id": group_id, **group})
        if request.form.get("keep") == "1":
            say_dropped(dropped)
    return answers


def _prefixed(form: dict[str, list[str]], prefix: str) -> dict[str, list[str]]:
    return {key[len(prefix) :]: values for key, values in form.items() if key.startswith(prefix)}


@bp.route("/whatif", methods=["GET", "POST"])
@login_required
def whatif(assessment_id: int) -> ResponseReturnValue:
    """Change answers in a sandbox and see what the plan would do; nothing is saved unless kept."""
    record = load(assessment_id)
    answers = _whatif_answers(record) if request.method == "POST" else copy.deepcopy(record.answers)
    stale = None
    if request.method == "POST" and request.form.get("keep") == "1":
        try:
            kept = review.keep_whatif(svc(), g.user, assessment_id, answers, form_revision())
        except (AssessmentNotFound, NotAllowed):
            abort(404)
        except review.Incomplete:
            flash(_("Only a complete set of answers can be kept."), "error")
        except StaleRevision:
            # The sandbox stays as the person left it, on the current revision, to keep again.
            stale = stale_since(assessment_id)
            if stale is None:
                abort(404)
            record = stale.record
        else:
            flash(_("The what-if was kept as version %(number)s.", number=kept.number))
            return redirect(url_for("plan.show", assessment_id=assessment_id))
    preview = review.whatif(svc(), record, answers, language())
    return render_template(
        "review/whatif.html",
        record=record,
        answers=answers,
        organisation=ORGANISATION,
        group_questions=GROUP,
        changes=preview.changes,
        diff=preview.diff,
        found=preview.found,
        new_plan=preview.new_plan,
        base=preview.base,
        stale=stale,
        resend=True,
    ), (409 if stale else 200)


@bp.get("/review")
@login_required
def show(assessment_id: int) -> ResponseReturnValue:
    record = load(assessment_id)
    seen = review.overview(svc(), g.user, record, language())
    return render_template(
        "review/review.html",
        record=record,
        plan=seen.plan,
        events=seen.events,
        comments=seen.comments,
        names=usernames(),
        reviewer=seen.rights.reviewer,
        author=seen.rights.author,
        newest=seen.newest,
        since=seen.since,
        signed=seen.signed,
        orphans=seen.orphans,
    )


def _say_missing(missing: review.Missing) -> None:
    if missing == review.Missing.COMMENT:
        flash(_("Write a comment that says what should change."), "error")
    elif missing == review.Missing.ANSWERS:
        flash(_("Answer every question before asking for a review."), "error")
    else:
        flash(_("Only a complete plan can be signed off."), "error")


@bp.post("/review/<any(submit, comment, send_back, sign_off):action>")
@login_required
def act(assessment_id: int, action: str) -> ResponseReturnValue:
    try:
        reply_to = parse_id(request.form.get("reply_to"))
    except ValueError:
        reply_to = 0  # named, but cannot be any comment
    try:
        review.act(
            svc(),
            g.user,
            assessment_id,
            ACTION_OF_SLUG[action],
            form_revision(),
            text=request.form.get("text", ""),
            target=request.form.get("target", ""),
            reply_to=reply_to,
        )
    except AssessmentNotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    except review.CommentTooLong:
        abort(413)
    except review.NotAComment:
        bad_request(_("The comment you answered is not a comment on this assessment."))
    except review.Incomplete as exc:
        _say_missing(exc.missing)
    except review.NotNow:
        flash(_("That step does not apply to the review as it stands now; nothing was changed."), "error")
    except StaleRevision:
        return stale_page(assessment_id, back=url_for(".show", assessment_id=assessment_id))
    return redirect(url_for(".show", assessment_id=assessment_id))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def notifications() -> dict[str, Any]:
        user = g.get("user")
        return {"waiting": [] if user is None else review.waiting_for(svc(), user)}
