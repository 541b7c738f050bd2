"""The Flask site: an adapter over the advisor core (questionnaire, plans, saved assessments)."""

from __future__ import annotations

import io
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, abort, request, session
from flask.typing import ResponseReturnValue
from werkzeug.middleware.proxy_fix import ProxyFix

from advisor.model.guide import section_title, source_links
from advisor.model.vocabulary import day_name, month_name, term
from advisor.output.render import enrolls, needed_by, reset_word, yes_no
from advisor.planning.explain import fact_label, show_value
from advisor.services import logs
from advisor.services.jobs import Worker
from advisor.services.runtime import open_services
from advisor.settings import Settings, load_settings
from web.extensions import LARGE_UPLOADS, csrf


def create_app(settings: Settings | None = None, test_config: dict[str, Any] | None = None) -> Flask:
    """The application factory. A bad rulebook stops start-up here, never a request."""
    settings = settings or load_settings()
    logs.configure(settings)  # before the app exists: Flask's own logger then writes through it
    app = Flask(__name__, instance_path=str(settings.instance_dir))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(
        SECRET_KEY=settings.secret_key or _instance_secret(Path(app.instance_path)),
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    if test_config:
        app.config.update(test_config)
    if settings.trusted_proxies:  # only then is X-Forwarded-For the client's address (login throttling)
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]  # Flask's documented way to add WSGI middleware
    from web import ids, requestlog

    requestlog.init_app(app)  # its hooks first: the request's time and id cover every other hook
    ids.init_app(app)  # the id converters, before any route that uses them is registered

    services = open_services(settings)
    app.extensions["advisor"] = services
    if settings.embedded_worker:  # the jobs of the default install need no other process
        services.worker = Worker(services).start()

    @app.before_request
    def watch_the_rules() -> None:
        # Once per process: a thread follows the database's rulebook, off the request path (the
        # first request of a process waits for one look, so that it never runs an old version).
        services.watcher.start()

    @app.before_request
    def refuse_oversized_bodies() -> None:
        # Refused before the body is read: parsing an oversized upload first would spool it to a
        # temporary file only to throw it away (and werkzeug leaves that file open).
        if request.endpoint in LARGE_UPLOADS and _signed_in():
            # An import of exports: its own, larger limit, and its body is read as a stream (never
            # buffered here); werkzeug refuses a body without a length once it passes the limit.
            # Only for someone signed in (or sending a token, which the API then checks): the
            # CSRF check parses a form before the view's login check runs, and an anonymous
            # request must not make the server spool hundreds of MB first.
            request.max_content_length = settings.import_max_bytes
            if request.content_length is not None and request.content_length > settings.import_max_bytes:
                megabytes = settings.import_max_bytes // 1_000_000
                abort(
                    413,
                    f"the upload is larger than {megabytes} MB, the most an import takes; it was not read",
                )
            return
        limit = app.config["MAX_CONTENT_LENGTH"]
        if request.content_length is not None and request.content_length > limit:
            abort(413)
        if request.content_length is None and request.environ.get("wsgi.input_terminated"):
            _buffer_streamed_body(request.environ, limit)

    def _signed_in() -> bool:
        return session.get("user_id") is not None or request.headers.get(
            "Authorization", ""
        ).lower().startswith("bearer ")

    @app.get("/favicon.ico")
    def favicon() -> ResponseReturnValue:
        # Pages link the SVG icon; a browser (or a bookmark, a feed reader) that asks for the
        # conventional address anyway gets the same icon rather than a 404.
        return app.send_static_file("favicon.svg")

    # Words of the plan in the reader's language, for every template (macros included).
    app.jinja_env.globals.update(
        term=term,
        enrolls=enrolls,
        month_name=month_name,
        section_title=section_title,
        source_links=source_links,
        fact_label=fact_label,
        show_value=show_value,
        day_name=day_name,
        needed_by=needed_by,
        reset_word=reset_word,
        yes_no=yes_no,
    )
    csrf.init_app(app)
    from web.security import init_app as add_security_headers

    add_security_headers(app)  # on every response: pages, API, errors, downloads, static files
    from web import (
        account,
        admin,
        api,
        api_imports,
        api_progress,
        assessments,
        auth,
        directory,
        docs,
        health,
        i18n,
        messages,
        plan,
        progress,
        questionnaire,
        review,
    )

    for module in (
        i18n,
        auth,
        health,
        assessments,
        directory,
        questionnaire,
        plan,
        progress,
        review,
        messages,
        admin,
        api,
        api_imports,
        api_progress,
        docs,
        account,
    ):
        module.init_app(app)
    return app


def _buffer_streamed_body(environ: dict[str, Any], limit: int) -> None:
    """A body without Content-Length (Transfer-Encoding: chunked) read up to the limit: 413 past
    it, otherwise handed on as if it had come with its length.

    werkzeug enforces MAX_CONTENT_LENGTH on such a stream only when it is read, and then
    `get_data()` quietly stops at the limit: the truncated JSON was answered 422, not 413.
    """
    stream = environ["wsgi.input"]
    body = bytearray()
    while len(body) <= limit:
        chunk = stream.read(limit + 1 - len(body))
        if not chunk:
            break
        body += chunk
    if len(body) > limit:
        abort(413)
    environ["wsgi.input"] = io.BytesIO(bytes(body))
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)  # the body is now the length it says


def _instance_secret(instance: Path) -> str:
    """A signing key kept in the instance folder, so sessions survive restarts."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
