"""Trusting a plan: history and comparison of versions, re-planning, what-if, and the review."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from advisor.directory.progress import GateProgress
from advisor.model.errors import NotAllowed, RolloutTooLong
from advisor.model.facts import MAX_GROUPS
from advisor.model.plan import Gate, Plan
from advisor.model.questionnaire import GROUP, ORGANISATION, from_form, group_from_form
from advisor.model.vocabulary import Language, day_name, term
from advisor.quality.diff import answer_changes, plan_diff
from advisor.services import gates, review
from advisor.services.assessments import AssessmentNotFound, stored_plan
from advisor.store.assessments import StaleRevision, latest_version, version, versions
from advisor.store.reviews import review_events
from advisor.store.tables import AssessmentRecord, ReviewAction, ReviewEvent
from web.auth import login_required
from web.common import load, say_dropped, usernames, where
from web.extensions import svc
from web.i18n import language
from web.ids import bad_request, parse_id, version_argument
from web.progress import latest_for
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
        gate_events=_gate_events(events, language()),
        names=usernames(),
    )


@dataclass(frozen=True)
class GateEvent:
    """A go/no-go decision as the review log tells it."""

    outcome: str  # go or no-go, in the reader's language
    phase: str  # the phase the gate follows
    note: str


def _gate_events(events: list[ReviewEvent], lang: Language) -> dict[int, GateEvent]:
    """The decisions among the review's events, by event id: their text is `outcome[: note]` and
    their target the gate (gates.target)."""
    words = {"go": _("go"), "no_go": _("no-go")}
    told = {}
    for e in events:
        if e.action == ReviewAction.GATE_DECIDED:
            outcome, _sep, note = (e.text or "").partition(": ")
            phase, number = _parse_target(e.target or "")
            told[e.id] = GateEvent(words.get(outcome, outcome), _phase_title(phase, number, lang), note)
    return told


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
        found=[(where(path, answers), message) for path, message in preview.found.items()],
        new_plan=preview.new_plan,
        base=preview.base,
        stale=stale,
        resend=True,
    ), (409 if stale else 200)


@dataclass
class GateForm:
    """A go/no-go form as sent: shown again with its errors, next to each field, when refused."""

    target: str  # the gate it was sent for (gates.target)
    outcome: str = ""
    on: str = ""
    note: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # by field: after, outcome, on, note
    general: str = ""  # a refusal that is no one field's


@dataclass(frozen=True)
class GateView:
    """A gate of the plan as the review shows it."""

    gate: Gate
    target: str
    after: str  # the phase it follows, as the plan names it
    before: str  # the phase it lets start
    no_go: bool  # the latest decision is a no-go: its rollback steps are due


def _phase_title(phase: str, number: int | None, lang: Language) -> str:
    return term(phase, lang, number=number) if number else term(phase, lang)


def _gate_views(plan: Plan | None, lang: Language) -> list[GateView]:
    if plan is None:
        return []
    return [
        GateView(
            gate,
            gates.target(gate.after.phase, gate.after.number),
            _phase_title(gate.after.phase, gate.after.number, lang),
            _phase_title(gate.before.phase, gate.before.number, lang) if gate.before else "",
            bool(gate.decisions) and gate.decisions[-1].outcome == "no_go",
        )
        for gate in plan.gates
    ]


def gate_measures(assessment_id: int) -> dict[str, tuple[str, GateProgress]]:
    """The latest enrollment measure of each gate's phase (by the gate's target), with its day."""
    latest = latest_for(assessment_id)
    if latest is None:
        return {}
    day = latest.progress.measured_on
    return {gates.target(m.after_phase, m.after_number): (day, m) for m in latest.progress.gates}


def _review_page(record: AssessmentRecord, gate_form: GateForm | None = None) -> str:
    lang = language()
    seen = review.overview(svc(), g.user, record, lang)
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
        gate_views=_gate_views(seen.plan, lang),
        may_decide=seen.rights.may(ReviewAction.GATE_DECIDED),
        gate_form=gate_form,
        today=date.today().isoformat(),
        measured=gate_measures(record.id),
    )


@bp.get("/review")
@login_required
def show(assessment_id: int) -> ResponseReturnValue:
    return _review_page(load(assessment_id))


def _gate_problem(problem: gates.GateProblem, first_day: str | None) -> str:
    """What is wrong with a go/no-go form's field, in the reader's language."""
    said: dict[gates.GateProblem, str] = {
        gates.GateProblem.NO_SUCH_GATE: _("The plan has no such gate now; reload the page."),
        gates.GateProblem.TOO_MANY: _(
            "The assessment holds as many decisions as it may; no more can be recorded."
        ),
        gates.GateProblem.OUTCOME: _("Choose go or no-go."),
        gates.GateProblem.NOT_A_DAY: _("Give the date written YYYY-MM-DD, such as 2027-08-27."),
        gates.GateProblem.FUTURE: _("A decision cannot be dated after today."),
        gates.GateProblem.BEFORE_PLAN: _(
            "A decision cannot be dated before the plan's first event (%(day)s).",
            day=day_name(first_day, language()) if first_day else "",
        ),
        gates.GateProblem.NOTE_TOO_LONG: _("The note may have at most %(n)s characters.", n=gates.MAX_NOTE),
        gates.GateProblem.NOTE_CONTROL: _(
            "The note may hold line breaks and tabs, but no other control characters."
        ),
    }
    return said[problem]


def _parse_target(value: str) -> tuple[str, int | None]:
    """`gate:production:2` → (production, 2); anything else names no gate (the service says so)."""
    _gate, _sep, rest = value.partition(":")
    phase, _sep, number = rest.partition(":")
    if re.fullmatch(r"[0-9]{1,4}", number):  # ASCII digits only ("²".isdigit() is true)
        return phase, int(number)
    return (phase, None) if not number else ("", None)


@bp.post("/review/gate")
@login_required
def decide_gate(assessment_id: int) -> ResponseReturnValue:
    """Record the go/no-go decision taken at a gate: shown again with its errors if refused."""
    sent = GateForm(
        target=request.form.get("after", "")[:100],
        outcome=request.form.get("outcome", ""),
        on=request.form.get("date", "").strip(),
        note=request.form.get("note", ""),
    )
    phase, number = _parse_target(sent.target)
    try:
        gates.decide_gate(
            svc(), g.user, assessment_id, phase, number, sent.outcome, sent.on, sent.note, form_revision()
        )
    except AssessmentNotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    except StaleRevision:
        return stale_page(assessment_id, back=url_for(".show", assessment_id=assessment_id, _anchor="gates"))
    except gates.GateRefused as exc:
        sent.errors = {name: _gate_problem(problem, exc.first_day) for name, problem in exc.problems.items()}
        sent.general = sent.errors.pop("after", "")  # the gate itself: said above the gates
    except review.Incomplete:
        sent.general = _("The answers are not complete, so the plan has no gates to decide on.")
    except RolloutTooLong as exc:
        sent.general = _(
            "A no-go here would make the rollout longer than the %(months)s months this service plans; "
            "nothing was recorded.",
            months=exc.ceiling,
        )
    else:
        if sent.outcome == "no_go":
            flash(
                _("The no-go was recorded: the later phases have moved, and the rollback steps are listed.")
            )
        else:
            flash(_("The go was recorded."))
        return redirect(url_for(".show", assessment_id=assessment_id, _anchor="gates"))
    return _review_page(load(assessment_id), sent), 422


def _say_missing(missing: review.Missing) -> None:
    if missing == review.Missing.COMMENT:
        flash(_("Write a comment that says what should change."), "error")
    elif missing == review.Missing.ANSWERS:
        flash(_("Answer every question before asking for a review."), "error")
    elif missing == review.Missing.CONFIRMATION:
        flash(
            _("Tick the box that says you have read the plan to sign it off; nothing was changed."), "error"
        )
    else:
        flash(_("Only a complete plan can be signed off."), "error")


def comment_anchor(target: str | None) -> str:
    """The page's anchor of what a comment is about (`group:<id>:<rule>` a recommendation,
    `group:<id>` a group, "" the whole plan): where the reader is taken back after commenting."""
    kind, _sep, rest = (target or "").partition(":")
    if kind != "group" or not rest:
        return "comments"
    group_id, _sep, rule = rest.partition(":")
    name = f"item-{group_id}-{rule}" if rule else f"group-{group_id}"
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)


def orphan_title(target: str | None, plan: Plan | None) -> str:
    """A heading for comments on what the plan no longer has, by the group's name."""
    _kind, _sep, rest = (target or "").partition(":")
    group_id, _sep, rule = rest.partition(":")
    group = next((gp for gp in plan.groups if gp.id == group_id), None) if plan else None
    if group is None:
        return str(_("A group the plan no longer has"))
    if rule:
        return str(_("%(group)s: a recommendation the plan no longer makes", group=group.name))
    return group.name


# The pages whose form saves answers: on a signed-off assessment, saving reopens its review, and
# the page says so before the person saves (base.html shows the notice).
REOPENING = frozenset(
    {
        "questionnaire.organisation",
        "questionnaire.group",
        "questionnaire.groups",
        "questionnaire.remove_group",
        "review.whatif",
    }
)


def _back_to(assessment_id: int, action: str, reply_to: int | None) -> str:
    """Where the review page opens after a step: a comment at the item it is about (a reply at
    the comment it answers), a change of status at the review's own panel."""
    if action != "comment":
        return url_for(".show", assessment_id=assessment_id)
    anchor = f"comment-{reply_to}" if reply_to else comment_anchor(request.form.get("target", ""))
    return url_for(".show", assessment_id=assessment_id, _anchor=anchor)


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
            # The box the reviewer ticks (required in the form, and checked here for a browser
            # that ignores that): a sign-off freezes the plan, so it is never a slip.
            confirmed=request.form.get("confirm") == "1",
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
    return redirect(_back_to(assessment_id, action, reply_to))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        comment_anchor=comment_anchor, orphan_title=orphan_title, reopening_pages=REOPENING
    )

    @app.context_processor
    def notifications() -> dict[str, Any]:
        user = g.get("user")
        return {"waiting_count": 0 if user is None else review.waiting_count(svc(), user)}
