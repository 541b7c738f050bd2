"""The plan page: the accepted plan of the current version, and what newer rules would change."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Flask, abort, g, render_template
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from markupsafe import Markup

from advisor.output.charts import load_svg, timeline_svg
from advisor.output.formats import offered, offered_format
from advisor.output.progress import figures
from advisor.output.render import table_cells
from advisor.quality.diff import plan_diff
from advisor.services.assessments import plan_problems, plans_for, resume_at, stored_plan
from web.auth import login_required
from web.common import load, plan_file, plan_language
from web.extensions import svc
from web.i18n import language
from web.progress import latest_for, pictures
from web.questionnaire import progress_of

bp = Blueprint("plan", __name__, url_prefix="/assessments/<id:assessment_id>")


@bp.get("/plan")
@login_required
def show(assessment_id: int) -> ResponseReturnValue:
    record = load(assessment_id)
    lang = plan_language(record)
    plan = stored_plan(record.plan, lang)
    found = plan_problems(svc(), record.answers, language()) if plan is None else {}
    common = {"record": record, "step": "plan", "progress": progress_of(record.answers, found)}
    if plan is None:
        return render_template("plan.html", plan=None, found=found, **common)
    if record.step != "plan":
        resume_at(svc(), g.user, assessment_id, "plan")
    # The plan shown is the one accepted with this version; newer rules only propose a change.
    newer = None
    running = svc().engine.rulebook.version
    if record.rulebook_version != running:
        plans, _ = plans_for(svc(), record.answers, (lang,))  # only the language shown
        proposed = stored_plan(plans, lang)
        newer = (running, plan_diff(plan, proposed))
    header, rows = table_cells(plan)
    # The pictures are SVG that charts.py writes with every text escaped: safe to insert as is.
    timeline = Markup(timeline_svg(plan, lang, date.today()))  # noqa: S704 - escaped where written
    load_chart = Markup(load_svg(plan, lang))  # noqa: S704 - escaped where written
    # The plan in its own language, the page around it (navigation, buttons) in the reader's.
    with force_locale(lang):
        body = render_template(
            "_plan_body.html",
            plan=plan,
            header=header,
            rows=rows,
            timeline=timeline,
            load_chart=load_chart,
            names={g.id: g.name for g in plan.groups},
            titles={(p.kind, p.number): p.title for p in plan.phases},
        )
    enrollment = latest_for(assessment_id)
    return render_template(
        "plan.html",
        plan=plan,
        body=Markup(body),  # noqa: S704 - a template's output, escaped as it was rendered
        found={},
        newer=newer,
        downloads=offered("page"),
        enrollment=enrollment,
        enrollment_picture=pictures(enrollment.progress, language()) if enrollment else None,
        enrollment_figures=figures(enrollment.progress, language()) if enrollment else None,
        **common,
    )


@bp.get("/plan.<kind>")
@login_required
def download(assessment_id: int, kind: str) -> ResponseReturnValue:
    """The accepted plan as a file, in the plan's language."""
    spec = offered_format("page", kind)
    if spec is None:
        abort(404)
    record = load(assessment_id)
    plan = stored_plan(record.plan, plan_language(record))
    if plan is None:
        abort(404)
    return plan_file(plan, spec, record)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
