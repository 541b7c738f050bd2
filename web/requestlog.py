"""One log line per request (method, path, status, time, user, request id), and the request id on
every line logged while it runs and in the response's X-Request-ID.

The path is logged without its query string, and no header, cookie or body is: nothing secret."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, g, request
from werkzeug.wrappers import Response

from advisor.services.logs import bind, event, unbind

log = logging.getLogger("web.request")
HEADER = "X-Request-ID"
# An id a proxy or client sent is kept only if it is short and plain (it goes into every line).
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def request_id() -> str:
    """The incoming X-Request-ID if it is sane, else a new one."""
    given = request.headers.get(HEADER, "")
    return given if SANE_ID.fullmatch(given) else uuid.uuid4().hex


def init_app(app: Flask) -> None:
    """Register before any other request hook, so that the time and the id cover all of them."""

    @app.before_request
    def start() -> None:
        g.request_id = request_id()
        g.started = time.perf_counter()
        bind(request_id=g.request_id)

    @app.after_request
    def finish(response: Response) -> Response:
        rid = g.get("request_id") or request_id()
        response.headers[HEADER] = rid
        user = g.get("user")
        started = g.get("started")
        event(
            log,
            "request",
            method=request.method,
            path=request.path,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 1) if started is not None else None,
            user_id=user.id if user is not None else None,
            request_id=rid,
        )
        return response

    @app.teardown_request
    def forget(_error: BaseException | None) -> None:
        unbind()
