"""The OpenAPI document of /api/v1, generated from the pydantic models, and its docs page."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Blueprint, Flask, render_template
from flask.typing import ResponseReturnValue
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from advisor.model.facts import Assessment
from advisor.model.plan import Plan
from advisor.model.questionnaire import GROUP, ORGANISATION, Question
from advisor.output.formats import ExportFormat, offered
from advisor.settings import Settings
from advisor.store.listing import MAX_CURSOR, MAX_QUERY, Sort
from advisor.store.tables import MAX_ID, ReviewStatus
from web.api import (
    ApiError,
    AssessmentCreate,
    AssessmentList,
    AssessmentResource,
    AssessmentSummary,
    AssessmentUpdate,
    GateDecisionCreate,
    GateDecisions,
    ImpactCreate,
    JobResource,
    MessageList,
    RulesInfo,
)
from web.api_imports import UPLOAD_PARAMETERS, ImportApplied, ImportApply, ImportEdits, ImportResource
from web.api_progress import ProgressHistory, ProgressResource
from web.extensions import csrf

bp = Blueprint("docs", __name__)
REF = "#/components/schemas/{model}"


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _export_schema(spec: ExportFormat) -> dict[str, str]:
    """What an export's body is: bytes, a JSON document, or text."""
    if spec.binary:
        return {"type": "string", "format": "binary"}
    if spec.essence == "application/json" or spec.essence.endswith("+json"):
        return {"type": "object"}
    return {"type": "string"}


def _errors(*codes: int) -> dict[str, Any]:
    words = {
        400: "A query parameter that cannot be used (the message names it and says why)",
        401: "No or a bad API token",
        403: "Not allowed to your account's role",
        404: "Not found, or not yours to see",
        409: "Conflict",
        413: "The body is too large",
        415: "The body is not application/json",
        422: "The body or a parameter does not fit the schema",
    }
    return {str(code): {"description": words[code], **_json(_ref(ApiError))} for code in codes}


LANGUAGE = {
    "name": "language",
    "in": "query",
    "required": False,
    "description": "language of the plan's texts",
    "schema": {"type": "string", "enum": ["en", "sv"]},
}
ID = {
    "name": "assessment_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}
JOB_ID = {**ID, "name": "job_id"}
SECURED: list[dict[str, list[str]]] = [{"token": []}]


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


PAGE_SIZE = Settings.model_fields["page_size"].default
LIST_PARAMETERS = [
    _query(
        "page",
        "The cursor of a page, from a next or prev link; the first page without it",
        {"type": "string", "minLength": 1, "maxLength": MAX_CURSOR},
    ),
    _query(
        "q",
        "Only those whose title or organisation name contains this text (any case)",
        {"type": "string", "minLength": 1, "maxLength": MAX_QUERY},
    ),
    _query(
        "status", "Only those whose review is at this status", {"type": "string", "enum": list(ReviewStatus)}
    ),
    _query(
        "owner", "Only those of this author (a username)", {"type": "string", "minLength": 1, "maxLength": 64}
    ),
    _query(
        "sort",
        "changed: recently changed first (the default); created: recently created first; title: A to Z",
        {"type": "string", "enum": list(Sort)},
    ),
    _query(
        "waiting",
        "true: only those waiting on you (a reviewer's: the others' assessments in review; an "
        "author's: their own sent back to them)",
        {"type": "string", "enum": ["true", "false", "1", "0"]},
    ),
]


def _describe(properties: dict[str, Any], questions: tuple[Question, ...]) -> None:
    """The schema of each answer asked only where it matters says what the questionnaire says of
    it: the question, why it matters, when it is asked and the Microsoft page behind it. A file
    may give it anywhere; where it is not asked, it is kept and does not change the plan."""
    kinds = {question.name: question.kind for question in questions}
    for question in questions:
        if not (question.shown_when or question.source):
            continue
        node = properties[question.name]
        text = [f"{question.label}. {question.help}"]
        if question.shown_when:
            held = (
                f"{answer} {'includes' if kinds.get(answer) == 'multi' else 'is'} {' or '.join(values)}"
                for answer, values in question.shown_when
            )
            text.append(f"Asked only when {' and '.join(held)}; elsewhere it does not change the plan.")
        if question.source:
            text.append(f"Source: {question.source}")
        node["description"] = " ".join(text)


@cache
def openapi() -> dict[str, Any]:
    models: list[tuple[type[BaseModel], Any]] = [
        (Assessment, "validation"),
        (Plan, "serialization"),
        (ApiError, "serialization"),
        (AssessmentSummary, "serialization"),
        (AssessmentList, "serialization"),
        (AssessmentResource, "serialization"),
        (AssessmentCreate, "validation"),
        (AssessmentUpdate, "validation"),
        (RulesInfo, "serialization"),
        (GateDecisionCreate, "validation"),
        (GateDecisions, "serialization"),
        (MessageList, "serialization"),
        (JobResource, "serialization"),
        (ImpactCreate, "validation"),
        (ImportResource, "serialization"),
        (ImportApply, "validation"),
        (ImportEdits, "validation"),
        (ImportApplied, "serialization"),
        (ProgressResource, "serialization"),
        (ProgressHistory, "serialization"),
    ]
    _, schemas = models_json_schema(models, ref_template=REF)
    for model, questions in (("Organisation", ORGANISATION), ("Group", GROUP)):
        _describe(schemas["$defs"][model]["properties"], questions)
    exports = {
        "200": {
            "description": "The plan in the chosen format",
            "content": {spec.essence: {"schema": _export_schema(spec)} for spec in offered("api")},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Rollout Advisor API",
            "version": "1",
            "description": "Plans a Microsoft Intune rollout from the planning guide's rules. Every error "
            "is JSON: {error: {code, message, fields}}. Rules JSON Schema cannot state are refused "
            "with 422: group ids must be unique within an assessment; a group's locations name each "
            "site once, compared without regard to case and surrounding spaces; devices_by_platform "
            "names exactly the group's platforms and adds up to its devices (users when devices is "
            "empty); users_by_location names exactly its locations (compared the same way) and adds "
            "up to its users; quiet_months and avoid_months may not name all twelve months (no phase "
            "could start); gate_thresholds' percentages (enrollment_success, devices_compliant, "
            "feedback) are at most 100; a gate decision's date is a day of the calendar (year 1 on, "
            "not 30 February); and a rollout may span at most the service's ceiling on months (60 by "
            "default; code rollout_too_long, with the smallest support_capacity that fits).",
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": schemas["$defs"],
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token (account page)",
                }
            },
        },
        "paths": {
            "/api/v1/plans": {
                "post": {
                    "operationId": "makePlan",
                    "summary": "Plan an assessment (file format 1); nothing is stored",
                    "parameters": [LANGUAGE],
                    "requestBody": {"required": True, **_json(_ref(Assessment))},
                    "responses": {
                        "200": {"description": "The plan", **_json(_ref(Plan))},
                        **_errors(413, 415, 422),
                    },
                }
            },
            "/api/v1/rules": {
                "get": {
                    "operationId": "describeRules",
                    "summary": "The loaded rulebook",
                    "responses": {"200": {"description": "Rules and parameters", **_json(_ref(RulesInfo))}},
                }
            },
            "/api/v1/rules/impact": {
                "post": {
                    "operationId": "startImpact",
                    "summary": "Start a job: the saved assessments whose plan a rule file's new text would "
                    "change (admins)",
                    "security": SECURED,
                    "requestBody": {"required": True, **_json(_ref(ImpactCreate))},
                    "responses": {
                        "202": {"description": "The job, queued", **_json(_ref(JobResource))},
                        **_errors(401, 403, 404, 413, 415, 422),
                    },
                }
            },
            "/api/v1/jobs/{job_id}": {
                "get": {
                    "operationId": "readJob",
                    "summary": "A job: its status, progress and (partial) result (admins)",
                    "security": SECURED,
                    "parameters": [JOB_ID],
                    "responses": {
                        "200": {"description": "The job", **_json(_ref(JobResource))},
                        **_errors(401, 403, 404),
                    },
                }
            },
            "/api/v1/jobs/{job_id}/cancel": {
                "post": {
                    "operationId": "cancelJob",
                    "summary": "Cancel a job: at once if queued, at its next checkpoint if running (admins)",
                    "security": SECURED,
                    "parameters": [JOB_ID],
                    "responses": {
                        "202": {"description": "The job, cancel requested", **_json(_ref(JobResource))},
                        **_errors(401, 403, 404),
                    },
                }
            },
            "/api/v1/assessments": {
                "get": {
                    "operationId": "listAssessments",
                    "summary": "The saved assessments you can see, a page at a time",
                    "description": f"A page holds at most ADVISOR_PAGE_SIZE ({PAGE_SIZE} by default). "
                    "The next and previous pages' addresses "
                    'are in the body and in the Link header (rel="next", rel="prev"); follow them as '
                    "they are: `page` is an opaque cursor, valid only with the `sort` it was made with. "
                    "An assessment created or changed meanwhile never makes a later page repeat or skip "
                    "one. Refused with 400 (code invalid_query, the parameter named) for a parameter "
                    "that cannot be used, is empty or is given twice.",
                    "security": SECURED,
                    "parameters": LIST_PARAMETERS,
                    "responses": {
                        "200": {
                            "description": "A page of assessments",
                            "headers": {
                                "Link": {
                                    "description": "The next and previous pages (RFC 8288), when there are",
                                    "schema": {"type": "string"},
                                }
                            },
                            **_json(_ref(AssessmentList)),
                        },
                        "414": {"description": "The address is longer than the server takes"},
                        **_errors(400, 401, 422),
                    },
                },
                "post": {
                    "operationId": "createAssessment",
                    "summary": "Save a new assessment",
                    "security": SECURED,
                    "requestBody": {"required": True, **_json(_ref(AssessmentCreate))},
                    "responses": {
                        "201": {"description": "Created", **_json(_ref(AssessmentResource))},
                        **_errors(401, 413, 415, 422),
                    },
                },
            },
            "/api/v1/assessments/{assessment_id}": {
                "get": {
                    "operationId": "readAssessment",
                    "summary": "One saved assessment",
                    "security": SECURED,
                    "parameters": [ID],
                    "responses": {
                        "200": {"description": "The assessment", **_json(_ref(AssessmentResource))},
                        **_errors(401, 404),
                    },
                },
                "put": {
                    "operationId": "updateAssessment",
                    "security": SECURED,
                    "parameters": [ID],
                    "summary": "Replace the answers; refused with 409 unless `revision` is the current one",
                    "requestBody": {"required": True, **_json(_ref(AssessmentUpdate))},
                    "responses": {
                        "200": {"description": "Updated", **_json(_ref(AssessmentResource))},
                        **_errors(401, 404, 409, 413, 415, 422),
                    },
                },
                "delete": {
                    "operationId": "deleteAssessment",
                    "summary": "Delete an assessment you own",
                    "security": SECURED,
                    "parameters": [ID],
                    "responses": {"204": {"description": "Deleted"}, **_errors(401, 404)},
                },
            },
            "/api/v1/assessments/{assessment_id}/plan": {
                "get": {
                    "operationId": "readPlan",
                    "summary": "The accepted plan of a saved assessment",
                    "security": SECURED,
                    "parameters": [ID, LANGUAGE],
                    "responses": {
                        "200": {"description": "The plan", **_json(_ref(Plan))},
                        **_errors(401, 404, 422),
                    },
                }
            },
            "/api/v1/assessments/{assessment_id}/gates": {
                "post": {
                    "operationId": "decideGate",
                    "summary": "Record the go/no-go decision taken at a gate of the current plan",
                    "description": "The author, or a reviewer or admin, records the decision at the gate "
                    "after a phase (`after`; a pilot has no number), in your name, as a new version of the "
                    "answers (their `gate_decisions`); a no-go moves the later phases. A signed-off review "
                    "stays signed off. Refused with 409 unless `revision` is the current one; with 404 "
                    "(code no_plan) while the answers are incomplete; with 422 (code gate_refused, the "
                    "field named) for a gate the current plan does not have, a day after today or before "
                    "the plan's first event.",
                    "security": SECURED,
                    "parameters": [ID],
                    "requestBody": {"required": True, **_json(_ref(GateDecisionCreate))},
                    "responses": {
                        "201": {
                            "description": "Recorded: the new version and every decision at the gate",
                            **_json(_ref(GateDecisions)),
                        },
                        **_errors(401, 404, 409, 413, 415, 422),
                    },
                }
            },
            "/api/v1/assessments/{assessment_id}/imports/devices": {
                "post": {
                    "operationId": "measureProgress",
                    "summary": "Measure enrollment against the current plan from an Intune devices export",
                    "description": "Multipart fields `users` (the Microsoft Entra ID users export: the "
                    "devices export names no department, so it places each device's user in a group) and "
                    "`devices` (the Intune devices export), CSV as the admin centers write them. Both are "
                    "read as streams and dropped; only the figures are kept (counts per phase, group and "
                    "gate), with who uploaded them. The author, or a reviewer or admin, may upload. A "
                    "column the file names otherwise is named by a query parameter, "
                    "`map-devices-managed_by=Hanterad av` (field codes as missing_columns lists them). "
                    "Refused with 422 and the file's code (users_as_devices, no_rows, not_csv, "
                    "missing_columns, ...; the field names the file), 409 (code no_plan) while the "
                    "answers are incomplete, 413 past the import's size limit (before it is read).",
                    "security": SECURED,
                    "parameters": [ID],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["users", "devices"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "users": {"type": "string", "format": "binary"},
                                        "devices": {"type": "string", "format": "binary"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": {"description": "Measured and kept", **_json(_ref(ProgressResource))},
                        **_errors(401, 403, 404, 409, 413, 415, 422),
                    },
                }
            },
            "/api/v1/assessments/{assessment_id}/progress": {
                "get": {
                    "operationId": "readProgress",
                    "summary": "Every enrollment measure of an assessment, oldest first (figures only)",
                    "security": SECURED,
                    "parameters": [ID],
                    "responses": {
                        "200": {"description": "The history", **_json(_ref(ProgressHistory))},
                        **_errors(401, 404),
                    },
                }
            },
            "/api/v1/assessments/{assessment_id}/messages": {
                "get": {
                    "operationId": "readMessages",
                    "summary": "The messages to the users: each group's drafts for each phase, with the "
                    "days they go out, as the organisation edited them; in the organisation's language "
                    "unless `language` says otherwise",
                    "security": SECURED,
                    "parameters": [ID, LANGUAGE],
                    "responses": {
                        "200": {"description": "The messages", **_json(_ref(MessageList))},
                        **_errors(401, 404, 422),
                    },
                }
            },
            "/api/v1/assessments/{assessment_id}/imports/users": {
                "post": {
                    "operationId": "importUsers",
                    "summary": "Propose groups from an Entra ID users export (and an Intune devices export)",
                    "description": "The users export as a text/csv body, or multipart/form-data with the "
                    "files `users` (required) and `devices` (optional), exactly as the Entra admin center "
                    "(Users, Download users) and the Intune admin center (Devices, All devices, Export) "
                    "write "
                    "them: UTF-8, UTF-16 with its byte-order mark, or Windows-1252; commas, semicolons or "
                    "tabs. The files are read as they arrive and never kept: only counts are (the proposal, "
                    "which replaces any earlier one and waits to be applied). A column named otherwise is "
                    "refused with 422 (code missing_columns, one field `map-<kind>-<field>` per column of "
                    "either file, the file's headers in its message); send the header as that query "
                    "parameter, and it is remembered for your next upload if the file has it (a value "
                    "with an @ is refused: code invalid_mapping). The proposal's `token` names it as it "
                    "is: send it back to apply it. The proposal and the job titles taken for executives "
                    "it holds are deleted once applied or discarded, or after ADVISOR_IMPORT_PENDING_DAYS. "
                    "Other refusals: 422 with the reason's code "
                    "(not_csv, binary, workbook, encoding, empty, no_rows, users_as_devices, "
                    "devices_as_users, field_count, ...); 413 past ADVISOR_IMPORT_MAX_BYTES, by the "
                    "Content-Length, before the body is read.",
                    "security": SECURED,
                    "parameters": [ID, *UPLOAD_PARAMETERS],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "text/csv": {"schema": {"type": "string"}},
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["users"],
                                    "properties": {
                                        "users": {"type": "string", "format": "binary"},
                                        "devices": {"type": "string", "format": "binary"},
                                    },
                                }
                            },
                        },
                    },
                    "responses": {
                        "201": {"description": "The proposal, waiting", **_json(_ref(ImportResource))},
                        **_errors(401, 404, 413, 415, 422),
                    },
                },
                "get": {
                    "operationId": "readImport",
                    "summary": "The proposal waiting to be applied",
                    "security": SECURED,
                    "parameters": [ID],
                    "responses": {
                        "200": {"description": "The proposal", **_json(_ref(ImportResource))},
                        **_errors(401, 404),
                    },
                },
                "patch": {
                    "operationId": "editImport",
                    "summary": "Edit the proposal waiting before applying it (a preview)",
                    "description": "The edits, all or none, after those kept with the proposal: "
                    "the proposal as it is then, with its new token. Refused with 409 (code "
                    "stale_import) unless `token` is the proposal's as last read; with 404 (code "
                    "no_import) when none waits; with 422 (code edit_refused, the edit named) for an "
                    "edit that cannot be made, and nothing kept.",
                    "security": SECURED,
                    "parameters": [ID],
                    "requestBody": {"required": True, **_json(_ref(ImportEdits))},
                    "responses": {
                        "200": {"description": "The proposal, edited", **_json(_ref(ImportResource))},
                        **_errors(401, 404, 409, 413, 415, 422),
                    },
                },
                "delete": {
                    "operationId": "discardImport",
                    "summary": "Discard the proposal waiting; the assessment stays as it is",
                    "security": SECURED,
                    "parameters": [ID],
                    "responses": {"204": {"description": "Discarded"}, **_errors(401, 404)},
                },
            },
            "/api/v1/assessments/{assessment_id}/imports/users/apply": {
                "post": {
                    "operationId": "applyImport",
                    "summary": "Apply the waiting proposal, after edits, to the assessment's groups",
                    "description": "Groups already in the assessment (matched by department, else by "
                    "id) get the new counts and keep every other answer; new groups are added with "
                    "their discussion points (change_readiness, feedback, needs_help, business_risk) "
                    "left null for the respondent; groups no longer in the data are kept. A new version "
                    "of kind `directory`. Refused with 409 unless `revision` is the current one, and "
                    "with 409 (code stale_import) unless `token` is the waiting proposal's as last "
                    "read (another upload replaced it, or it was edited since); with 404 "
                    "(code no_import) when no proposal waits; with 422 (code edit_refused, the edit named) "
                    "for an edit that cannot be made, and nothing applied.",
                    "security": SECURED,
                    "parameters": [ID],
                    "requestBody": {"required": True, **_json(_ref(ImportApply))},
                    "responses": {
                        "200": {"description": "Applied", **_json(_ref(ImportApplied))},
                        **_errors(401, 404, 409, 413, 415, 422),
                    },
                }
            },
            "/api/v1/assessments/{assessment_id}/export/{kind}": {
                "get": {
                    "operationId": "exportPlan",
                    "summary": "The plan exported",
                    "security": SECURED,
                    "parameters": [
                        ID,
                        LANGUAGE,
                        {
                            "name": "kind",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": [spec.name for spec in offered("api")]},
                        },
                    ],
                    "responses": {**exports, **_errors(401, 404, 422)},
                }
            },
        },
    }


@bp.get("/api/v1/openapi.json")
def document() -> ResponseReturnValue:
    return openapi()


@bp.get("/api/docs")
def page() -> ResponseReturnValue:
    return render_template("api_docs.html")


def init_app(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)
