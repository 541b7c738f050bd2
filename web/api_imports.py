"""The API's imports of the organisation's exports: groups proposed from an Entra ID users export
(and optionally an Intune devices export), previewed and applied to a saved assessment.

`POST /api/v1/assessments/<id>/imports/users` takes the files as multipart fields `users` and
`devices`, or the users export alone as a `text/csv` body, read as a stream (never kept); the
proposal (aggregates only) waits until it is applied (`.../imports/users/apply`, with edits) or
discarded (`DELETE`). Errors are the API's JSON problems with a stable code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, BinaryIO, Literal, Union, cast

from flask import Blueprint, Flask, current_app, g, request
from flask.typing import ResponseReturnValue
from pydantic import Field, TypeAdapter, ValidationError

from advisor.directory.columns import DEVICE_FIELDS, USER_FIELDS
from advisor.directory.edits import (
    ConfirmExecutives,
    Edit,
    EditRefused,
    Exclude,
    Executives,
    GroupId,
    Merge,
    Rename,
    Split,
)
from advisor.directory.errors import KINDS, FileRefused, Kind, MissingColumns
from advisor.directory.proposal import Report
from advisor.services import directory as service
from advisor.store.assessments import StaleRevision
from advisor.store.tables import MAX_ID
from web.api import (
    AssessmentResource,
    Failure,
    FieldProblem,
    _authenticate,
    _body,
    _json_error,
    _Model,
    _record,
    _resource,
    _stale,
)
from web.common import plan_language
from web.extensions import LARGE_UPLOADS, csrf, svc

bp = Blueprint("api_imports", __name__, url_prefix="/api/v1/assessments/<id:assessment_id>/imports/users")
FIELDS: dict[Kind, dict[str, tuple[str, ...]]] = {"users": USER_FIELDS, "devices": DEVICE_FIELDS}
# Query parameters (or form fields) an upload takes: the patterns, and a header for each field.
_UPLOAD_PARAMETERS = {"it_department", "executive_titles"} | {
    f"map-{kind}-{name}" for kind in KINDS for name in FIELDS[kind]
}
NO_NUL = "^[^\\u0000]*$"  # the site refuses the NUL character in every text (web/security.py)
UPLOAD_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "it_department",
        "in": "query",
        "required": False,
        "description": "A pattern a department's name matches if it is the IT department (repeat for "
        "more; words, * at either end); the rulebook's patterns when not given",
        "schema": {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": NO_NUL},
        },
        "style": "form",
        "explode": True,
    },
    {
        "name": "executive_titles",
        "in": "query",
        "required": False,
        "description": "A pattern an executive's job title matches (repeat for more); the rulebook's "
        "patterns when not given. Executives are proposed as a group to confirm, never assumed.",
        "schema": {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": NO_NUL},
        },
        "style": "form",
        "explode": True,
    },
    *(
        {
            "name": f"map-{kind}-{name}",
            "in": "query",
            "required": False,
            "description": f"The header of the {kind} file's column that holds {name} (remembered)",
            "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": NO_NUL},
        }
        for kind in KINDS
        for name in FIELDS[kind]
    ),
]


class ProposedGroupView(_Model):
    """A proposed group after the edits so far, with the answers (format 1) it would give."""

    id: str
    name: str
    department: str | None
    it_department: bool
    executives: bool
    executives_confirmed: bool
    answers: dict[str, Any] = Field(
        description="users, devices, platforms, devices_by_platform, ownership, locations, "
        "users_by_location as counted (the assessment file's group fields)"
    )


class ImportLinks(_Model):
    self: str
    apply: str


class ImportResource(_Model):
    """Groups proposed from uploaded exports, waiting to be applied: counts only, never a name,
    an address or a file."""

    assessment_id: int
    created_at: datetime
    has_devices: bool
    groups: list[ProposedGroupView]
    excluded: list[ProposedGroupView] = Field(description="Groups left out by an edit")
    edits: list[dict[str, Any]] = Field(description="The edits made so far, in order")
    token: str = Field(
        description="Names this proposal as it is now (new with each upload and each edit): send it "
        "back to apply it, so that a proposal replaced or edited meanwhile is never applied unseen"
    )
    report: Report
    changes: list[str] = Field(description="What applying it would change in the assessment's groups")
    links: ImportLinks


class ImportApply(_Model):
    """Apply the waiting proposal, after these edits, to the answers at `revision`."""

    revision: int = Field(ge=1, le=MAX_ID)
    token: str = Field(
        min_length=1,
        max_length=64,
        description="The proposal's token as read (GET or the upload's answer); 409 stale_import if "
        "another upload replaced it or it was edited since",
    )
    edits: list[Edit] = Field(
        default=[],
        max_length=service.MAX_EDITS,
        description="Edits made before applying, in order, after those kept with the proposal: "
        "rename (group, name), merge (groups, name), split (group: by site), exclude (group), "
        "executives (group, confirmed), confirm_executives (group, titles: the job titles confirmed, "
        "as the report lists them)",
    )


class Include(_Model):
    """A group left out by an earlier edit, taken back (the last exclusion of it undone)."""

    op: Literal["include"] = "include"
    group: GroupId


PreviewEdit = Annotated[
    Union[Merge, Split, Rename, Exclude, Executives, ConfirmExecutives, Include],  # noqa: UP007
    Field(discriminator="op"),
]
PREVIEW_EDIT: TypeAdapter[Any] = TypeAdapter(PreviewEdit)


class ImportEdits(_Model):
    """Edits made on the waiting proposal, all or none, before it is applied (a preview)."""

    token: str = Field(min_length=1, max_length=64, description="The proposal's token as last read")
    edits: list[PreviewEdit] = Field(
        min_length=1,
        max_length=service.MAX_EDITS,
        description="In order, after those kept with the proposal: the edits apply takes, and include "
        "(group) to take back a group left out",
    )


class _EditsBody(ImportEdits):
    edits: list[dict[str, Any]] = Field(min_length=1, max_length=service.MAX_EDITS)  # type: ignore[assignment]


class _ApplyBody(ImportApply):
    """The body as read: each edit checked on its own, so that a refusal names it (edits[i])."""

    edits: list[dict[str, Any]] = Field(default=[], max_length=service.MAX_EDITS)  # type: ignore[assignment]


class ImportApplied(_Model):
    """The assessment with the groups applied, and what changed."""

    version: int
    changes: list[str]
    assessment: AssessmentResource


def _view(shown: service.Preview, groups: list[Any]) -> list[ProposedGroupView]:
    return [
        ProposedGroupView(
            id=group.id,
            name=group.name,
            department=group.department,
            it_department=group.it_department,
            executives=group.executives,
            executives_confirmed=group.executives_confirmed,
            answers=service.group_answers(shown.proposal, group),
        )
        for group in groups
    ]


def _import_resource(assessment_id: int, shown: service.Preview) -> dict[str, Any]:
    here = f"/api/v1/assessments/{assessment_id}/imports/users"
    return ImportResource(
        assessment_id=assessment_id,
        created_at=shown.created_at,
        has_devices=shown.proposal.has_devices,
        groups=_view(shown, shown.groups),
        excluded=_view(shown, shown.excluded),
        edits=shown.edits,
        token=shown.token,
        report=shown.proposal.report,
        changes=service.change_lines(shown.changes, "en"),
        links=ImportLinks(self=here, apply=f"{here}/apply"),
    ).model_dump(mode="json")


def _patterns() -> service.Patterns:
    def given(name: str) -> tuple[str, ...] | None:
        values = request.args.getlist(name) + (request.form.getlist(name) if request.files else [])
        lines = [line.strip() for value in values for line in value.splitlines() if line.strip()]
        return (
            tuple(line[: service.MAX_PATTERN] for line in lines)[: service.MAX_PATTERNS] if values else None
        )

    return service.Patterns(it_department=given("it_department"), executive_titles=given("executive_titles"))


def _mapping() -> dict[Kind, dict[str, str]]:
    """Mapped columns from the query, or from the form's fields beside the files."""
    return service.mapped_columns(
        lambda key: request.args.get(key) or (request.form.get(key) if request.files else None)
    )


def _missing(missing: list[MissingColumns]) -> Failure:
    """The columns missing in one file or both, each by the query parameter that names it."""
    fields = [
        FieldProblem(
            loc=f"map-{exc.kind}-{name}",
            msg=f"the {exc.kind} file has no column for {name}: name the header that holds it "
            f"(the file has: {', '.join(exc.headers[:50])})",
        )
        for exc in missing
        for name in exc.missing
    ]
    return Failure(422, "missing_columns", "; ".join(exc.say("en") for exc in missing), fields)


def _refused(exc: FileRefused) -> Failure:
    """A file that cannot be read, by the field it came in; missing columns each by name."""
    if isinstance(exc, MissingColumns):
        return _missing([exc])
    where = f" (line {exc.line})" if exc.line else ""
    return Failure(
        422,
        exc.code,
        f"the {exc.kind} file was refused{where}: {exc.say('en')}",
        [FieldProblem(loc=exc.kind, msg=exc.say("en"))],
    )


@bp.before_request
def refuse_unknown_query_parameters() -> None:
    allowed = _UPLOAD_PARAMETERS if request.endpoint == "api_imports.upload" else set()
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise Failure(
            422,
            "unknown_query_parameter",
            "this endpoint takes no such query parameter",
            [FieldProblem(loc=name, msg="is not a known query parameter") for name in unknown],
        )


@bp.post("")
def upload(assessment_id: int) -> ResponseReturnValue:
    _authenticate()
    record = _record(assessment_id, write=True)
    users: BinaryIO | None
    devices: BinaryIO | None = None
    files = []
    if request.mimetype == "multipart/form-data":
        users_part, devices_part = request.files.get("users"), request.files.get("devices")
        files = [part for part in (users_part, devices_part) if part is not None]
        users = cast(BinaryIO, users_part.stream) if users_part is not None else None
        devices = (
            cast(BinaryIO, devices_part.stream)
            if devices_part is not None and devices_part.filename != ""
            else None
        )
    elif request.mimetype in ("text/csv", "text/plain", "application/octet-stream"):
        users = cast(BinaryIO, request.stream)  # read as it arrives: never buffered whole
    else:
        raise Failure(
            415,
            "unsupported_media_type",
            "send the users export as a text/csv body, or multipart/form-data with the fields users "
            "(and devices)",
        )
    try:
        if users is None:
            raise Failure(
                422,
                "missing_file",
                "the users export is missing",
                [FieldProblem(loc="users", msg="a users export (CSV) is required")],
            )
        service.import_exports(
            svc(),
            g.user,
            assessment_id,
            service.Upload(users, devices),
            patterns=_patterns(),
            mapping=_mapping(),
            language=plan_language(record),
        )
    except service.ColumnsToMap as exc:
        raise _missing(exc.missing) from None
    except FileRefused as exc:
        raise _refused(exc) from None
    except service.MappingRefused as exc:
        fields = [FieldProblem(loc=p.path, msg=p.message) for p in exc.problems]
        said = "a column mapping names a value, not a header"
        raise Failure(422, "invalid_mapping", said, fields) from None
    except service.PatternsRefused as exc:
        fields = [FieldProblem(loc=p.path, msg=p.message) for p in exc.problems]
        raise Failure(422, "invalid_patterns", "a pattern cannot be used", fields) from None
    finally:
        for part in files:  # their temporary files (anonymous) go with them
            part.close()
    shown = service.preview(svc(), g.user, assessment_id)
    location = f"/api/v1/assessments/{assessment_id}/imports/users"
    return _import_resource(assessment_id, shown), 201, {"Location": location}


def _waiting(assessment_id: int) -> service.Preview:
    try:
        return service.preview(svc(), g.user, assessment_id)
    except service.NothingPending:
        raise Failure(
            404, "no_import", "no import waits for this assessment: upload the exports first"
        ) from None


@bp.get("")
def read(assessment_id: int) -> ResponseReturnValue:
    _authenticate()
    _record(assessment_id, write=True)
    return _import_resource(assessment_id, _waiting(assessment_id))


@bp.delete("")
def discard(assessment_id: int) -> ResponseReturnValue:
    _authenticate()
    _record(assessment_id, write=True)
    if not service.discard(svc(), g.user, assessment_id):
        raise Failure(404, "no_import", "no import waits for this assessment")
    return "", 204


def _checked(edits: list[dict[str, Any]], adapter: TypeAdapter[Any]) -> None:
    """Each edit checked before anything is made: a refusal names it (edits[i])."""
    for index, change in enumerate(edits):
        try:
            adapter.validate_python(change)
        except ValidationError as exc:
            problems = "; ".join(e["msg"] for e in exc.errors(include_url=False))
            raise Failure(
                422,
                "edit_refused",
                "an edit cannot be made",
                [FieldProblem(loc=f"edits[{index}]", msg=problems)],
            ) from None


def _stale_import() -> Failure:
    return Failure(
        409,
        "stale_import",
        "the proposal waiting is not the one this token names: another upload replaced it or it "
        "was edited since; read it again (GET) and apply that",
        [FieldProblem(loc="token", msg="names a proposal that no longer waits as it was")],
    )


@bp.patch("")
def edit(assessment_id: int) -> ResponseReturnValue:
    _authenticate()
    _record(assessment_id, write=True)
    body: _EditsBody = _body(_EditsBody)
    _checked(body.edits, PREVIEW_EDIT)
    kept = len(_waiting(assessment_id).edits)
    try:
        shown = service.edit_many(svc(), g.user, assessment_id, body.edits, body.token)
    except service.NothingPending:
        raise Failure(404, "no_import", "no import waits for this assessment") from None
    except service.StaleProposal:
        raise _stale_import() from None
    except service.TooManyEdits as exc:
        raise Failure(422, "edit_refused", str(exc)) from None
    except service.NotExcluded as exc:
        raise Failure(
            422, "edit_refused", "an edit cannot be made", [FieldProblem(loc="edits", msg=str(exc))]
        ) from None
    except EditRefused as exc:
        where = f"edits[{max(0, exc.index - kept)}]"
        raise Failure(
            422, "edit_refused", "an edit cannot be made", [FieldProblem(loc=where, msg=exc.say("en"))]
        ) from None
    return _import_resource(assessment_id, shown)


@bp.post("/apply")
def apply(assessment_id: int) -> ResponseReturnValue:
    _authenticate()
    _record(assessment_id, write=True)
    body: _ApplyBody = _body(_ApplyBody)
    waiting = _waiting(assessment_id)
    _checked(body.edits, service.EDIT)
    try:
        number, changes = service.apply(
            svc(), g.user, assessment_id, body.revision, body.edits, token=body.token
        )
    except service.NothingPending:
        raise Failure(404, "no_import", "no import waits for this assessment") from None
    except service.StaleProposal:
        raise _stale_import() from None
    except StaleRevision as exc:
        raise _stale(exc, assessment_id, body.revision, "apply the import to the newer answers") from None
    except EditRefused as exc:  # counted over the edits kept with the proposal, then these
        where = f"edits[{max(0, exc.index - len(waiting.edits))}]"
        raise Failure(
            422, "edit_refused", "an edit cannot be made", [FieldProblem(loc=where, msg=exc.say("en"))]
        ) from None
    result = ImportApplied(
        version=number,
        changes=service.change_lines(changes, "en"),
        assessment=AssessmentResource.model_validate(_resource(_record(assessment_id))),
    )
    return current_app.response_class(result.model_dump_json(), mimetype="application/json")


@bp.errorhandler(Failure)
def failure(exc: Failure) -> ResponseReturnValue:
    return _json_error(exc.status, exc.code, exc.message, exc.fields)


def init_app(app: Flask) -> None:
    csrf.exempt(bp)  # token-authenticated JSON: no cookies, so no cross-site forgery
    app.register_blueprint(bp)
    LARGE_UPLOADS.add("api_imports.upload")
