"""Helpers the views share: the assessment a user may see, and the services."""

from __future__ import annotations

from flask import Response, abort, g

from advisor.model.plan import Plan
from advisor.output.formats import ExportFormat, export
from advisor.store.assessments import assessment_for
from advisor.store.tables import AssessmentRecord
from web.extensions import svc


def load(assessment_id: int, *, write: bool = False) -> AssessmentRecord:
    """The assessment if the current user may see it (write: change it); 404 otherwise.

    404 rather than 403 so that nobody learns which assessments exist.
    """
    store = svc().store
    with store.session() as db:
        record = assessment_for(db, g.user, assessment_id, write=write)
    if record is None:
        abort(404)
    return record


def plan_file(plan: Plan, spec: ExportFormat, assessment_id: int) -> Response:
    """The plan as a downloadable file in one of the export formats."""
    return Response(
        export(plan, spec.name),
        content_type=spec.media_type,  # as it is: `mimetype=` would add a second charset
        headers={"Content-Disposition": f"attachment; filename=plan-{assessment_id}.{spec.extension}"},
    )
