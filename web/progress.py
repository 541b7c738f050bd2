"""Tracking enrollment: the users and devices exports uploaded during the rollout, measured against
the plan, and the history of those measures.

The files are parsed as streams inside the request (werkzeug spools a multipart part to an
anonymous temporary file, gone once closed: every part is closed when the upload ends, refused or
not); only the figures are stored (advisor/services/progress.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import BinaryIO, cast

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from advisor.directory.errors import FileRefused, Kind, MissingColumns
from advisor.directory.progress import Progress
from advisor.model.errors import NotAllowed
from advisor.model.vocabulary import Language
from advisor.output.progress import (
    LOST,
    few_placed,
    figures,
    gate_verdict,
    phase_name,
    progress_svg,
    share,
    trend_svg,
)
from advisor.services.directory import MappingRefused, mapped_columns
from advisor.services.progress import Snapshot, latest_progress, may_record, progress_history, record_progress
from advisor.services.review import Incomplete
from web.auth import login_required
from web.common import load
from web.extensions import LARGE_UPLOADS, svc
from web.i18n import language

bp = Blueprint("progress", __name__, url_prefix="/assessments/<id:assessment_id>")
KINDS = ("users", "devices")


def pictures(progress: Progress, lang: Language) -> Markup:
    # SVG that output/progress.py writes with every text escaped: safe to insert as is.
    return Markup(progress_svg(progress, lang))  # noqa: S704 - escaped where written


def field_label(field: str) -> str:
    """A column the reading needs, as the mapping form names it."""
    labels = {
        "upn": _("User principal name (UPN)"),
        "department": _("Department"),
        "account_enabled": _("Account enabled"),
        "user_type": _("User type (member or guest)"),
        "os": _("Operating system"),
        "os_version": _("OS version"),
        "ownership": _("Ownership"),
        "managed_by": _("Managed by"),
        "last_check_in": _("Last check-in"),
    }
    return str(labels.get(field, field))


def _page(
    assessment_id: int,
    problems: list[str] | None = None,
    status: int = 200,
    missing: MissingColumns | None = None,
    mapped: Mapping[Kind, Mapping[str, str]] | None = None,
) -> ResponseReturnValue:
    record = load(assessment_id)
    lang = language()
    history = progress_history(svc(), g.user, assessment_id)
    latest = history[-1] if history else None
    trend = trend_svg(
        [(date.fromisoformat(s.progress.measured_on), s.progress.rate, s.version_number) for s in history],
        lang,
    )
    limit_mb = svc().settings.import_max_bytes // 1_000_000
    return (
        render_template(
            "progress/progress.html",
            record=record,
            latest=latest,
            history=list(reversed(history)),
            picture=pictures(latest.progress, lang) if latest else None,
            trend=Markup(trend) if len(history) > 1 else None,  # noqa: S704 - escaped where written
            may_record=may_record(g.user, record),
            has_plan=bool(record.plan),
            problems=problems or [],
            limit_mb=limit_mb,
            lost=LOST,
            phase_name=phase_name,
            figures=figures,
            missing=missing,
            mapped=mapped or {},
            field_label=field_label,
        ),
        status,
    )


@bp.get("/progress")
@login_required
def show(assessment_id: int) -> ResponseReturnValue:
    return _page(assessment_id)


@bp.post("/progress")
@login_required
def upload(assessment_id: int) -> ResponseReturnValue:
    load(assessment_id)
    parts = [request.files.get(kind) for kind in KINDS]
    try:
        missing = [kind for kind, part in zip(KINDS, parts, strict=True) if part is None or not part.filename]
        if missing:
            words = {"users": _("Choose the users export."), "devices": _("Choose the devices export.")}
            return _page(assessment_id, [words[kind] for kind in missing], 422)
        users, devices = (cast(BinaryIO, part.stream) for part in parts if part is not None)
        mapping = mapped_columns(request.form.get)
        made = record_progress(
            svc(),
            g.user,
            assessment_id,
            users,
            devices,
            users_mapping=mapping["users"],
            devices_mapping=mapping["devices"],
        )
    except MissingColumns as exc:
        return _page(
            assessment_id, [_refused(exc)], 422, missing=exc, mapped=mapped_columns(request.form.get)
        )
    except FileRefused as exc:
        return _page(assessment_id, [_refused(exc)], 422)
    except MappingRefused as exc:
        problems = [
            str(_("The column chosen for %(field)s is not a header of the file.", field=p.path))
            for p in exc.problems
        ]
        return _page(assessment_id, problems, 422)
    except Incomplete:
        return _page(
            assessment_id, [_("The assessment has no plan yet: answer the questionnaire first.")], 409
        )
    except NotAllowed:
        abort(403)
    finally:
        for part in parts:  # their temporary files, if werkzeug spooled them, go with them
            if part is not None:
                part.close()
    flash(_("Measured: %(figures)s.", figures=figures(made.progress, language())), "success")
    return redirect(url_for("progress.show", assessment_id=assessment_id))


def _refused(exc: FileRefused) -> str:
    which = _("The users export") if exc.kind == "users" else _("The devices export")
    return str(
        _("%(file)s was refused: %(reason)s. Nothing was stored.", file=which, reason=exc.say(language()))
    )


def latest_for(assessment_id: int) -> Snapshot | None:
    """The newest measure, for the plan page."""
    return latest_progress(svc(), g.user, assessment_id)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    LARGE_UPLOADS.add("progress.upload")
    # The progress page's and the review's words for a measure (the review shows its gates').
    app.jinja_env.globals.update(share=share, gate_verdict=gate_verdict, few_placed=few_placed)
