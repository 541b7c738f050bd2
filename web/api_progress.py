"""The API's enrollment progress: a devices export measured against the plan, and the history.

`POST /api/v1/assessments/<id>/imports/devices` takes multipart fields `users` (the Entra ID users
export: the devices export names no department, so it places each device's user in a group) and
`devices` (the Intune devices export), both read as streams and dropped; it answers 201 with the
figures kept (a Progress: counts per phase, group and gate). `GET .../progress` lists every upload's
figures, oldest first. Errors are the API's JSON problems with a stable code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, BinaryIO, cast

from flask import Blueprint, Flask, current_app, g, request
from flask.typing import ResponseReturnValue

from advisor.directory.errors import FileRefused, MissingColumns
from advisor.directory.progress import Progress
from advisor.model.errors import NotAllowed
from advisor.services.directory import MappingRefused, mapped_columns
from advisor.services.progress import Snapshot, progress_history, record_progress
from advisor.services.review import Incomplete
from web.api import Failure, FieldProblem, _authenticate, _json_error, _Model, _record
from web.extensions import LARGE_UPLOADS, csrf, svc

bp = Blueprint("api_progress", __name__, url_prefix="/api/v1/assessments/<id:assessment_id>")
KINDS = ("users", "devices")


class ProgressResource(_Model):
    """One upload's figures: never a name, an address or a file."""

    id: int
    created_at: datetime
    by: str | None
    version: int
    progress: Progress


class ProgressHistory(_Model):
    items: list[ProgressResource]


def _resource(made: Snapshot) -> ProgressResource:
    return ProgressResource(
        id=made.id,
        created_at=made.created_at,
        by=made.by,
        version=made.version_number,
        progress=made.progress,
    )


def _refused(exc: FileRefused) -> Failure:
    if isinstance(exc, MissingColumns):
        headers = ", ".join(exc.headers[:50])
        fields = [
            FieldProblem(
                loc=f"map-{exc.kind}-{name}",
                msg=f"the {exc.kind} file has no column for {name}: name the header that holds it "
                f"(the file has: {headers})",
            )
            for name in exc.missing
        ]
        return Failure(422, "missing_columns", exc.say("en"), fields)
    where = f" (line {exc.line})" if exc.line else ""
    message = f"the {exc.kind} file was refused{where}: {exc.say('en')}"
    return Failure(422, exc.code, message, [FieldProblem(loc=exc.kind, msg=exc.say("en"))])


@bp.post("/imports/devices")
def upload(assessment_id: int) -> ResponseReturnValue:
    _authenticate()
    _record(assessment_id)
    if request.mimetype != "multipart/form-data":
        raise Failure(
            415,
            "unsupported_media_type",
            "send multipart/form-data with the fields users (the Entra ID users export) and devices "
            "(the Intune devices export)",
        )
    parts = [request.files.get(kind) for kind in KINDS]
    try:
        missing = [kind for kind, part in zip(KINDS, parts, strict=True) if part is None]
        if missing:
            raise Failure(
                422,
                "missing_file",
                "both exports are needed: the users export gives each device's user a department",
                [FieldProblem(loc=kind, msg="a CSV file is required") for kind in missing],
            )
        users, devices = (cast(BinaryIO, part.stream) for part in parts if part is not None)
        mapping = mapped_columns(request.args.get)
        made = record_progress(
            svc(),
            g.user,
            assessment_id,
            users,
            devices,
            users_mapping=mapping["users"],
            devices_mapping=mapping["devices"],
        )
    except FileRefused as exc:
        raise _refused(exc) from None
    except MappingRefused as exc:
        fields = [FieldProblem(loc=p.path, msg=p.message) for p in exc.problems]
        raise Failure(
            422, "invalid_mapping", "a column mapping names a value, not a header", fields
        ) from None
    except Incomplete:
        raise Failure(409, "no_plan", "the assessment has no plan yet: its answers are incomplete") from None
    except NotAllowed as exc:
        raise Failure(403, "forbidden", str(exc)) from None
    finally:
        for part in parts:  # their temporary files (anonymous) go with them
            if part is not None:
                part.close()
    body = _resource(made).model_dump_json()
    location = f"/api/v1/assessments/{assessment_id}/progress"
    return current_app.response_class(
        body, status=201, mimetype="application/json", headers={"Location": location}
    )


@bp.get("/progress")
def history(assessment_id: int) -> ResponseReturnValue:
    _authenticate()
    _record(assessment_id)
    items = [_resource(s) for s in progress_history(svc(), g.user, assessment_id)]
    body: Any = ProgressHistory(items=items).model_dump_json()
    return current_app.response_class(body, mimetype="application/json")


@bp.errorhandler(Failure)
def failure(exc: Failure) -> ResponseReturnValue:
    return _json_error(exc.status, exc.code, exc.message, exc.fields)


def init_app(app: Flask) -> None:
    csrf.exempt(bp)  # token-authenticated JSON: no cookies, so no cross-site forgery
    app.register_blueprint(bp)
    LARGE_UPLOADS.add("api_progress.upload")
