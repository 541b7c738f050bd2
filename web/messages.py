"""The messages to the users of an assessment: their drafts by phase and group, each editable by
who may change the answers, and downloadable as Markdown, as one `.eml` or as a zip of them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from advisor.model.vocabulary import LANGUAGES, Language, MessageKind, PhaseKind, event_name
from advisor.output.drafts import Draft, Key, eml_name, to_eml, to_markdown, to_zip
from advisor.output.formats import content_disposition
from advisor.services.assessments import AssessmentNotFound
from advisor.services.messages import (
    MessageInvalid,
    Messages,
    NoSuchMessage,
    find,
    messages_of,
    reset_message,
    save_message,
)
from advisor.store.assessments import StaleRevision
from advisor.store.tables import AssessmentRecord
from web.auth import login_required
from web.common import load, plan_language
from web.extensions import svc
from web.i18n import language
from web.stale import form_revision, stale_since

bp = Blueprint("messages", __name__, url_prefix="/assessments/<id:assessment_id>")
_GROUP = re.compile(r"^[a-z0-9-]{1,64}$")
_PHASE = re.compile(r"^(limited_pilot|expanded_pilot)$|^production-([1-9][0-9]{0,3})$")
KIND = "<any(announce, instructions, reminder, follow_up):kind>"
MESSAGE = f"/messages/<any(en, sv):lang>/<group>/<phase>/{KIND}"


def phase_slug(phase: str, number: int | None) -> str:
    """A phase in a URL: `limited_pilot`, `expanded_pilot`, `production-2`."""
    return f"{phase}-{number}" if number else phase


def message_url(endpoint: str, record_id: int, draft: Draft) -> str:
    return url_for(
        endpoint,
        assessment_id=record_id,
        lang=draft.language,
        group=draft.group,
        phase=phase_slug(draft.phase, draft.number),
        kind=draft.kind,
    )


def _key(lang: str, group: str, phase: str, kind: str) -> Key:
    """The message a URL names; 404 for one no plan could have."""
    found = _PHASE.match(phase)
    if not _GROUP.match(group) or found is None or lang not in LANGUAGES:
        abort(404)
    kind_: MessageKind = kind  # type: ignore[assignment]  # the route's `any` converter allows only these
    lang_: Language = lang
    if found.group(1):
        phase_: PhaseKind = found.group(1)  # type: ignore[assignment]  # the pattern allows only pilots
        return (group, phase_, None, kind_, lang_)
    return (group, "production", int(found.group(2)), kind_, lang_)


def _language_of(record: AssessmentRecord) -> Language:
    """The messages' language: the one asked for, else the organisation's (its users read it)."""
    asked = request.args.get("language")
    if asked is not None:
        if asked not in LANGUAGES:
            abort(404)
        return asked
    return plan_language(record)


def _messages(assessment_id: int, lang: Language | None = None) -> Messages:
    record = load(assessment_id)
    return messages_of(record, lang or _language_of(record))


def _draft(found: Messages, key: Key) -> Draft:
    try:
        return find(found, key)
    except NoSuchMessage:
        abort(404)


@bp.get("/messages")
@login_required
def show(assessment_id: int) -> ResponseReturnValue:
    found = _messages(assessment_id)
    lang = _language_of(found.record)
    phases: dict[str, dict[str, list[Draft]]] = {}
    for draft in found.drafts:
        phases.setdefault(draft.phase_title, {}).setdefault(draft.group_name, []).append(draft)
    return render_template(
        "messages/index.html",
        record=found.record,
        plan=found.plan,
        phases=phases,
        orphans=found.orphans,
        messages_language=lang,
        may_edit=found.record.owner_id == g.user.id,
        event_name=event_name,
        message_url=message_url,
    )


def _edit_page(
    found: Messages, draft: Draft, subject: str, body: str, errors: dict[str, str], **context: Any
) -> str:
    return render_template(
        "messages/edit.html",
        record=found.record,
        draft=draft,
        subject=subject,
        body=body,
        errors=errors,
        event_name=event_name,
        message_url=message_url,
        **context,
    )


@bp.route(MESSAGE, methods=["GET", "POST"])
@login_required
def edit(assessment_id: int, lang: str, group: str, phase: str, kind: str) -> ResponseReturnValue:
    """One message's wording: saved as the organisation's, or taken back to the draft."""
    key = _key(lang, group, phase, kind)
    record = load(assessment_id, write=True)
    found = messages_of(record, key[4])
    draft = _draft(found, key)
    if request.method == "GET":
        return _edit_page(found, draft, draft.subject, draft.body, {})
    subject, body = request.form.get("subject", ""), request.form.get("body", "")
    back = url_for(".show", assessment_id=assessment_id, language=key[4]) + f"#{eml_name(draft)[:-4]}"
    try:
        if request.form.get("action") == "reset":
            reset_message(svc(), g.user, assessment_id, key, form_revision())
            flash(_("The message is back to the generated draft."))
        else:
            save_message(svc(), g.user, assessment_id, key, subject, body, form_revision(), language())
            flash(_("The message was saved."))
    except AssessmentNotFound:
        abort(404)
    except NoSuchMessage:
        abort(404)
    except MessageInvalid as exc:
        return _edit_page(found, draft, subject, body, exc.problems), 422
    except StaleRevision:
        # What the person typed stays in the form, on the current revision, to save again knowingly.
        stale = stale_since(assessment_id)
        if stale is None:
            abort(404)
        current = messages_of(stale.record, key[4])
        return _edit_page(current, _draft(current, key), subject, body, {}, stale=stale, resend=True), 409
    return redirect(back)


@bp.get(f"{MESSAGE}.eml")
@login_required
def eml(assessment_id: int, lang: str, group: str, phase: str, kind: str) -> ResponseReturnValue:
    key = _key(lang, group, phase, kind)
    draft = _draft(_messages(assessment_id, key[4]), key)
    return _attachment(to_eml(draft), "message/rfc822", f'attachment; filename="{eml_name(draft)}"')


@bp.get("/messages.md")
@login_required
def markdown(assessment_id: int) -> ResponseReturnValue:
    found = _messages(assessment_id)
    lang = _language_of(found.record)
    organisation = found.plan.organisation if found.plan else found.record.title
    text = to_markdown(found.drafts, organisation, lang)
    return _attachment(text.encode(), "text/markdown; charset=utf-8", _named(found, "md", lang))


@bp.get("/messages.zip")
@login_required
def archive(assessment_id: int) -> ResponseReturnValue:
    found = _messages(assessment_id)
    lang = _language_of(found.record)
    return _attachment(to_zip(found.drafts), "application/zip", _named(found, "zip", lang))


def _named(found: Messages, extension: str, lang: Language) -> str:
    """The download's Content-Disposition: "messages-sv-contoso-2026-11-25.md", named after the
    organisation and the day as the plan's downloads are."""
    organisation = found.plan.organisation if found.plan else found.record.title
    return content_disposition(
        organisation, datetime.now(UTC).date().isoformat(), extension, f"messages-{lang}"
    )


def _attachment(content: bytes, media_type: str, disposition: str) -> Response:
    return Response(content, content_type=media_type, headers={"Content-Disposition": disposition})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
