"""The JSON API under /api/v1: plans from assessment files, saved assessments, exports, rules.

Stored resources need a per-user token (`Authorization: Bearer …`). Every error is JSON with a
stable code, a message and the offending fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, g, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from werkzeug.exceptions import HTTPException

from advisor.model.documents import DocumentProblem, load_json
from advisor.model.errors import NotAllowed, RolloutTooLong, RulebookError
from advisor.model.facts import (
    KNOWN_FIELDS,
    WHOLE,
    Assessment,
    Day,
    FreeText,
    MessageEdit,
    PhaseIn,
    bounds,
    long_text,
)
from advisor.model.messages import describe_errors
from advisor.model.plan import GateDecision, PhaseRef, Plan
from advisor.model.vocabulary import Language, Outcome
from advisor.output.drafts import Draft
from advisor.output.formats import offered, offered_format
from advisor.rulebook.files import RuleFileError
from advisor.services import gates, rule_admin
from advisor.services.assessments import AssessmentNotFound, commit, create, delete, stored_plan, visible
from advisor.services.jobs import start_impact
from advisor.services.live_rules import build
from advisor.services.messages import messages_of
from advisor.services.planning import build_plan
from advisor.services.review import Incomplete
from advisor.store.accounts import user_by_token
from advisor.store.assessments import StaleRevision
from advisor.store.listing import BadListQuery, ListQuery, assessment_page
from advisor.store.tables import MAX_ID, AssessmentRecord, Job, Role, VersionKind
from web.common import plan_file
from web.extensions import csrf, svc

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldProblem(_Model):
    loc: str
    msg: str


class ErrorBody(_Model):
    code: str
    message: str
    fields: list[FieldProblem] = []


class ApiError(_Model):
    error: ErrorBody


class AssessmentSummary(_Model):
    id: int
    title: str
    status: Literal["draft", "in_review", "changes_requested", "signed_off"]
    revision: int
    updated_at: datetime


class AssessmentList(_Model):
    """A page of the assessments you can see, newest change first unless `sort` says otherwise."""

    items: list[AssessmentSummary]
    count: int = Field(description="How many assessments match, on every page")
    next: str | None = Field(
        description="The next page's address (as the Link header's rel=next), null on the last page"
    )
    prev: str | None = Field(
        description="The previous page's address (as the Link header's rel=prev), null on the first page"
    )


class AssessmentResource(AssessmentSummary):
    rulebook_version: str | None
    answers: dict[str, Any]


class AssessmentCreate(_Model):
    title: FreeText | None = None
    answers: Assessment


class AssessmentUpdate(_Model):
    revision: Annotated[int, bounds(1, MAX_ID), WHOLE]
    title: FreeText | None = None
    answers: Assessment


class GateDecisionCreate(_Model):
    """A go/no-go decision at the gate after a phase of the current plan, by the token's user."""

    after: PhaseIn
    outcome: Outcome
    date: Day = Field(description="The day it was taken: not after today, nor before the plan's first event")
    note: long_text(gates.MAX_NOTE) = ""  # type: ignore[valid-type]  # a type made by a function, as in facts
    revision: Annotated[int, bounds(1, MAX_ID), WHOLE]


class GateDecisions(_Model):
    """The version that keeps a decision, and every decision taken at its gate, oldest first."""

    version: int
    revision: int
    after: PhaseRef
    decisions: list[GateDecision]


class RuleSummary(_Model):
    id: str
    stage: str
    decides: str
    value: str
    priority: int
    source: str
    reason: dict[str, str]


class RulesInfo(_Model):
    version: str
    rules: list[RuleSummary]
    parameters: dict[str, int] = Field(
        description="The number parameters by name: thresholds that rule conditions and reasons use."
    )
    lists: dict[str, list[str]] = Field(
        description="The list parameters by name, their values in order (platform_order: the order "
        "in which a platform split enrolls the platforms)."
    )
    tables: dict[str, dict[str, list[str]]] = Field(
        description="The table parameters by name: a list of values for each key (quiet_months: the "
        "months, MM, in which no phase starts, by ISO country code, and `default` for every other)."
    )


class MessageList(_Model):
    language: Language
    items: list[Draft] = Field(
        description="Every message of every group and phase, in the order they go out."
    )
    orphans: list[MessageEdit] = Field(
        description="Messages edited for a group and phase the plan no longer has (in any language): "
        "kept in the assessment, used by no draft."
    )


class JobLinks(_Model):
    self: str
    cancel: str


class JobResource(_Model):
    """Long work done off the request (the impact of a rule change), as it stands."""

    id: int
    kind: Literal["impact"]
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    done: int = Field(description="Saved assessments checked so far")
    total: int | None = Field(description="Saved assessments to check (null until a worker starts)")
    result: list[tuple[str, list[str]]] | None = Field(
        description="The assessments whose plan changes so far, each with the lines that say how"
    )
    error: str | None = Field(description="Why the job failed")
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    links: JobLinks


class ImpactCreate(_Model):
    """A rule file as it would be saved: its impact on every saved assessment, as a job."""

    file: str = Field(max_length=200, description="The rule file's name, e.g. methods.yaml")
    text: str = Field(max_length=2_000_000, description="Its proposed content")


class Failure(Exception):
    """An API error with its status, stable code and fields."""

    def __init__(self, status: int, code: str, message: str, fields: list[FieldProblem] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or []


def _stale(exc: StaleRevision, assessment_id: int, sent: int, then: str) -> Failure:
    """A change made on a revision that is no longer current: 409 (404 if the assessment went)."""
    if exc.current is None:
        return Failure(404, "not_found", f"there is no assessment {assessment_id} that you can see")
    return Failure(
        409,
        "stale_revision",
        f"the assessment is at revision {exc.current}, not {sent}: read it again and {then}",
    )


def _json_error(status: int, code: str, message: str, fields: list[FieldProblem] | None = None) -> Response:
    body = ApiError(error=ErrorBody(code=code, message=message, fields=fields or []))
    response = current_app.response_class(body.model_dump_json(), status=status, mimetype="application/json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="rollout-advisor"'
    return response


def _body(model: type[BaseModel]) -> Any:
    if request.mimetype != "application/json":
        raise Failure(415, "unsupported_media_type", "send the body as application/json")
    try:
        data = load_json(request.get_data() or b"null")  # nesting and number length bounded
    except DocumentProblem as exc:
        where = f" (line {exc.line})" if exc.line else ""
        raise Failure(422, "malformed_json", f"the body was refused{where}: {exc.message}") from None
    except UnicodeDecodeError as exc:
        raise Failure(422, "malformed_json", f"the body is not valid JSON: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = [
            FieldProblem(loc=problem.path or "(body)", msg=problem.message)
            for problem in describe_errors(exc.errors(include_url=False), "en", KNOWN_FIELDS)
        ]
        raise Failure(422, "invalid_content", "the body does not fit the schema", fields) from None


def _language() -> Language | None:
    value = request.args.get("language")
    if value is None:
        return None
    match value:
        case "en" | "sv":
            return value
    raise Failure(
        422,
        "invalid_query",
        "language must be en or sv",
        [FieldProblem(loc="language", msg="must be one of: en, sv")],
    )


def _authenticate() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Failure(401, "unauthorized", "send a personal API token: Authorization: Bearer <token>")
    with svc().store.session() as db:
        user = user_by_token(db, token.strip())
    if user is None:
        raise Failure(401, "unauthorized", "the API token is not valid")
    g.user = user


def _record(assessment_id: int, *, write: bool = False) -> AssessmentRecord:
    # The id is in 1..MAX_ID: the `id` converter of the route refused anything else with 404.
    try:
        return visible(svc(), g.user, assessment_id, write=write)
    except AssessmentNotFound as exc:
        raise Failure(404, "not_found", str(exc)) from None


def _summary_fields(record: AssessmentRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "title": record.title,
        "status": record.status,
        "revision": record.revision,
        "updated_at": record.updated_at,
    }


def _resource(record: AssessmentRecord) -> dict[str, Any]:
    return AssessmentResource(
        **_summary_fields(record), rulebook_version=record.rulebook_version, answers=record.answers
    ).model_dump(mode="json")


# The query parameters each endpoint takes; anything else is refused, not silently ignored.
_QUERY = {
    "api.list_assessments": {"page", "status", "q", "owner", "sort", "waiting"},
    "api.plan": {"language"},
    "api.assessment_plan": {"language"},
    "api.assessment_export": {"language"},
    "api.assessment_messages": {"language"},
}


@bp.before_request
def refuse_unknown_query_parameters() -> None:
    unknown = sorted(set(request.args) - _QUERY.get(request.endpoint or "", set()))
    if unknown:
        raise Failure(
            422,
            "unknown_query_parameter",
            "this endpoint takes no such query parameter",
            [FieldProblem(loc=name, msg="is not a known query parameter") for name in unknown],
        )


@bp.get("/ping")
def ping() -> ResponseReturnValue:
    return {"ok": True}


@bp.post("/plans")
def plan() -> ResponseReturnValue:
    language = _language()
    assessment: Assessment = _body(Assessment)
    with svc().engine.version() as compiled:
        result = build_plan(assessment, compiled, language, max_months=svc().settings.max_rollout_months)
    return current_app.response_class(result.model_dump_json(), mimetype="application/json")


@bp.get("/rules")
def rules() -> ResponseReturnValue:
    rulebook = svc().engine.rulebook
    info = RulesInfo(
        version=rulebook.version,
        parameters=dict(rulebook.parameters),
        lists={name: list(values) for name, values in rulebook.lists.items()},
        tables={
            name: {key: list(values) for key, values in table.items()}
            for name, table in rulebook.tables.items()
        },
        rules=[
            RuleSummary(
                id=i.id,
                stage=i.stage,
                decides=i.rule.decides,
                value=i.rule.value,
                priority=i.rule.priority,
                source=i.rule.source,
                reason={"en": i.rule.reason.en, "sv": i.rule.reason.sv},
            )
            for i in rulebook.rules
        ],
    )
    return info.model_dump(mode="json")


def _list_query() -> ListQuery:
    """The list's parameters, each given at most once and not empty; 400 naming the one that
    cannot be used."""
    for name in sorted(request.args):
        if not request.args[name]:  # the site's form sends empty fields; a client leaves them out
            raise Failure(
                400, "invalid_query", f"{name} is empty", [FieldProblem(loc=name, msg="must not be empty")]
            )
        if len(request.args.getlist(name)) > 1:
            raise Failure(
                400,
                "invalid_query",
                f"{name} is given more than once",
                [FieldProblem(loc=name, msg="must be given at most once")],
            )
    try:
        return ListQuery.parse(request.args)
    except BadListQuery as exc:
        raise Failure(
            400, "invalid_query", f"{exc.field} {exc.reason}", [FieldProblem(loc=exc.field, msg=exc.reason)]
        ) from None


def _admin() -> None:
    _authenticate()
    if g.user.role != Role.ADMIN:
        raise Failure(403, "forbidden", "only an admin sees and cancels jobs")


def _job(job_id: int) -> Job:
    job = svc().jobs.get(job_id)
    if job is None:
        raise Failure(404, "not_found", f"there is no job {job_id}")
    return job


def _job_resource(job: Job) -> dict[str, Any]:
    return JobResource(
        id=job.id,
        kind="impact",
        status=job.status.value,
        done=job.done,
        total=job.total,
        result=[(name, lines) for name, lines in job.result] if job.result is not None else None,
        error=job.error,
        cancel_requested=job.cancel_requested,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        links=JobLinks(self=f"/api/v1/jobs/{job.id}", cancel=f"/api/v1/jobs/{job.id}/cancel"),
    ).model_dump(mode="json")


@bp.post("/rules/impact")
def rules_impact() -> ResponseReturnValue:
    _admin()
    body: ImpactCreate = _body(ImpactCreate)
    try:
        rule_admin.rule_text(svc(), body.file)
    except RuleFileError as exc:
        raise Failure(404, "not_found", str(exc)) from None
    before, after = rule_admin.impact_files(svc(), body.file, body.text)
    try:  # whether it loads: its lint and scenarios are the admin's check, not the impact's
        build(after)
    except RulebookError as exc:
        problems = [FieldProblem(loc="text", msg=str(f)) for f in exc.findings[:20]]
        raise Failure(422, "invalid_rules", "the rule file does not load", problems) from None
    job_id = start_impact(svc(), g.user, before, after)
    return _job_resource(_job(job_id)), 202, {"Location": f"/api/v1/jobs/{job_id}"}


@bp.get("/jobs/<id:job_id>")
def read_job(job_id: int) -> ResponseReturnValue:
    _admin()
    return _job_resource(_job(job_id))


@bp.post("/jobs/<id:job_id>/cancel")
def cancel_job(job_id: int) -> ResponseReturnValue:
    _admin()
    _job(job_id)
    job = svc().jobs.cancel(job_id)
    assert job is not None  # noqa: S101 - it exists (jobs are never deleted)
    return _job_resource(job), 202


@bp.get("/assessments")
def list_assessments() -> ResponseReturnValue:
    """A page of the assessments the token's user may see; the pages around it in the body and in
    Link headers (RFC 8288), their cursors opaque."""
    _authenticate()
    query = _list_query()
    with svc().store.session() as db:
        page = assessment_page(db, g.user, query, svc().settings.page_size)
    near = {
        rel: f"{url_for('.list_assessments')}?{urlencode(query.arguments(cursor))}"
        for rel, cursor in (("next", page.next), ("prev", page.prev))
        if cursor is not None
    }
    body = AssessmentList(
        items=[AssessmentSummary(**_summary_fields(r)) for r in page.records],
        count=page.count,
        next=near.get("next"),
        prev=near.get("prev"),
    )
    response = current_app.response_class(body.model_dump_json(), mimetype="application/json")
    if near:
        response.headers["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in near.items())
    return response


@bp.post("/assessments")
def create_assessment() -> ResponseReturnValue:
    _authenticate()
    body: AssessmentCreate = _body(AssessmentCreate)
    answers = body.answers.model_dump(mode="json", exclude_unset=True)
    # a plan that cannot be made is refused, nothing saved
    title = body.title or body.answers.organisation.name
    new_id = create(svc(), g.user, title, answers, VersionKind.IMPORT, "plan", strict=True)
    return _resource(_record(new_id)), 201, {"Location": f"/api/v1/assessments/{new_id}"}


@bp.get("/assessments/<id:assessment_id>")
def read_assessment(assessment_id: int) -> ResponseReturnValue:
    _authenticate()
    return _resource(_record(assessment_id))


@bp.put("/assessments/<id:assessment_id>")
def update_assessment(assessment_id: int) -> ResponseReturnValue:
    _authenticate()
    _record(assessment_id, write=True)
    body: AssessmentUpdate = _body(AssessmentUpdate)
    answers = body.answers.model_dump(mode="json", exclude_unset=True)
    try:  # the revision check and the write are one atomic step
        commit(
            svc(),
            g.user,
            assessment_id,
            answers,
            VersionKind.EDIT,
            body.revision,
            title=body.title,
            strict=True,
        )
    except StaleRevision as exc:
        raise _stale(exc, assessment_id, body.revision, "apply your change to the newer answers") from None
    return _resource(_record(assessment_id))


@bp.delete("/assessments/<id:assessment_id>")
def delete_assessment(assessment_id: int) -> ResponseReturnValue:
    _authenticate()
    try:
        delete(svc(), g.user, assessment_id, None)
    except (AssessmentNotFound, StaleRevision):  # not theirs, or deleted meanwhile: gone all the same
        raise Failure(404, "not_found", f"there is no assessment {assessment_id} that you can see") from None
    return "", 204


# What each refusal of a decision says, by the field it concerns.
_GATE_PROBLEMS = {
    gates.GateProblem.NO_SUCH_GATE: "the current plan has no gate after this phase",
    gates.GateProblem.TOO_MANY: f"the assessment holds {gates.MAX_DECISIONS} decisions, the most it may",
    gates.GateProblem.OUTCOME: "must be go or no_go",
    gates.GateProblem.NOT_A_DAY: "must be a date written YYYY-MM-DD",
    gates.GateProblem.FUTURE: "must not be after today",
    gates.GateProblem.BEFORE_PLAN: "must not be before the plan's first event ({first_day})",
    gates.GateProblem.NOTE_TOO_LONG: f"must be at most {gates.MAX_NOTE} characters",
    gates.GateProblem.NOTE_CONTROL: "must not contain control characters other than line breaks and tabs",
}


@bp.post("/assessments/<id:assessment_id>/gates")
def decide_gate(assessment_id: int) -> ResponseReturnValue:
    _authenticate()
    _record(assessment_id)
    body: GateDecisionCreate = _body(GateDecisionCreate)
    phase, number = body.after.phase, body.after.number
    try:
        made = gates.decide_gate(
            svc(), g.user, assessment_id, phase, number, body.outcome, body.date, body.note, body.revision
        )
    except (AssessmentNotFound, NotAllowed):
        raise Failure(404, "not_found", f"there is no assessment {assessment_id} that you can see") from None
    except Incomplete:
        raise Failure(404, "no_plan", "the answers are incomplete, so there is no plan yet") from None
    except gates.GateRefused as exc:
        fields = [
            FieldProblem(loc=name, msg=_GATE_PROBLEMS[problem].format(first_day=exc.first_day))
            for name, problem in exc.problems.items()
        ]
        raise Failure(422, "gate_refused", "the decision cannot be recorded", fields) from None
    except StaleRevision as exc:
        raise _stale(exc, assessment_id, body.revision, "decide on its current plan") from None
    plan_ = stored_plan(made.plans, "en")
    gate = gates.gate_after(plan_, phase, number) if plan_ is not None else None
    result = GateDecisions(
        version=made.number,
        revision=_record(assessment_id).revision,
        after=PhaseRef(phase=phase, number=number),
        decisions=gate.decisions if gate is not None else [],
    )
    return result.model_dump(mode="json"), 201, {"Location": f"/api/v1/assessments/{assessment_id}/plan"}


def _stored(assessment_id: int) -> Plan:
    return _stored_of(_record(assessment_id))


def _stored_of(record: AssessmentRecord) -> Plan:
    language = _language() or (record.answers.get("organisation") or {}).get("language") or "en"
    found = stored_plan(record.plan, language)
    if found is None:
        raise Failure(404, "no_plan", "the answers are incomplete, so there is no plan yet")
    return found


@bp.get("/assessments/<id:assessment_id>/plan")
def assessment_plan(assessment_id: int) -> ResponseReturnValue:
    _authenticate()
    return current_app.response_class(_stored(assessment_id).model_dump_json(), mimetype="application/json")


@bp.get("/assessments/<id:assessment_id>/export/<kind>")
def assessment_export(assessment_id: int, kind: str) -> ResponseReturnValue:
    _authenticate()
    spec = offered_format("api", kind)
    if spec is None:
        names = ", ".join(f.name for f in offered("api"))
        raise Failure(404, "not_found", f"no export format '{kind}'; use one of {names}")
    record = _record(assessment_id)
    return plan_file(_stored_of(record), spec, record)


@bp.get("/assessments/<id:assessment_id>/messages")
def assessment_messages(assessment_id: int) -> ResponseReturnValue:
    _authenticate()
    record = _record(assessment_id)
    language = _language() or (record.answers.get("organisation") or {}).get("language") or "en"
    found = messages_of(record, language)
    if found.plan is None:
        raise Failure(404, "no_plan", "the answers are incomplete, so there is no plan yet")
    body = MessageList(language=language, items=found.drafts, orphans=found.orphans)
    return current_app.response_class(body.model_dump_json(), mimetype="application/json")


@bp.errorhandler(Failure)
def failure(exc: Failure) -> ResponseReturnValue:
    return _json_error(exc.status, exc.code, exc.message, exc.fields)


@bp.errorhandler(RolloutTooLong)
def rollout_too_long(exc: RolloutTooLong) -> ResponseReturnValue:
    fields = [FieldProblem(loc=p.path, msg=p.message) for p in exc.problems]
    message = f"the rollout would take more than {exc.ceiling} months, the most this service plans"
    return _json_error(422, "rollout_too_long", message, fields)


def api_http_error(exc: HTTPException) -> ResponseReturnValue:
    codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large", 400: "bad_request"}
    status = exc.code or 500
    response = _json_error(status, codes.get(status, "error"), exc.description or exc.name)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":  # keep e.g. Allow on a 405, as RFC 9110 requires
            response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    csrf.exempt(bp)  # token-authenticated JSON: no cookies, so no cross-site forgery
    app.register_blueprint(bp)
