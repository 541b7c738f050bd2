"""The plan page: the guide's table, every group's reasons and rejected alternatives, warnings."""

from __future__ import annotations

from flask import Blueprint, Flask, g, render_template
from flask.typing import ResponseReturnValue

from advisor.explain import fact_label, show_value
from advisor.guide import section_title
from advisor.planner import make_plan
from advisor.questionnaire import problems, valid
from advisor.render import table_rows
from advisor.store import AssessmentRecord
from advisor.vocabulary import month_name, term
from web.auth import login_required
from web.common import load, svc
from web.i18n import language
from web.questionnaire import progress_of

bp = Blueprint("plan", __name__, url_prefix="/assessments/<int:assessment_id>")


@bp.get("/plan")
@login_required
def show(assessment_id: int) -> ResponseReturnValue:
    record = load(assessment_id)
    lang = language()
    assessment = valid(record.answers)
    progress = progress_of(record.answers)
    if assessment is None:
        return render_template(
            "plan.html",
            record=record,
            plan=None,
            found=problems(record.answers, lang),
            step="plan",
            progress=progress,
        ), 200
    engine = svc().engine
    with engine.version() as compiled:
        plan = make_plan(assessment, compiled, lang)
        snapshot = make_plan(assessment, compiled) if lang != assessment.organisation.language else plan
    if record.owner_id == g.user.id:
        with svc().store.session() as db:
            stored = db.get(AssessmentRecord, assessment_id)
            if stored is not None:
                stored.step = "plan"
                stored.plan = snapshot.model_dump(mode="json")
                stored.rulebook_version = snapshot.rulebook.version
    header, rows = table_rows(plan)
    return render_template(
        "plan.html",
        record=record,
        plan=plan,
        header=header,
        rows=rows,
        section_title=section_title,
        month_name=month_name,
        term=term,
        step="plan",
        found={},
        progress=progress,
        fact_label=fact_label,
        show_value=show_value,
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
