"""GET /healthz: 200 when the rules are loaded and the database answers, 503 otherwise."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    from web.extensions import services

    svc = services(current_app)
    database = svc.store.ping()
    rules = len(svc.engine.rulebook.rules) > 0
    body = {"database": database, "rules": rules, "rulebook": svc.engine.rulebook.version}
    return jsonify(body), 200 if database and rules else 503


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
