"""Logging in and out, the current user, and the checks every protected view makes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from advisor.accounts import Throttled, authenticate
from advisor.store import User
from web.i18n import safe_next

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])


def login_required(view: F) -> F:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def role_required(*roles: str) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @functools.wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


@bp.before_app_request
def load_user() -> None:
    from web import services

    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    with services(current_app).store.session() as db:
        user = db.get(User, user_id)
    if user is None or user.disabled:
        session.pop("user_id", None)
        return
    g.user = user


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    from web import services

    svc = services(current_app)
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")[:64]
        password = request.form.get("password", "")[:256]
        try:
            with svc.store.session() as db:
                user = authenticate(
                    svc.store,
                    db,
                    username,
                    password,
                    request.remote_addr or "?",
                    svc.settings.login_attempts,
                    timedelta(seconds=svc.settings.login_window_seconds),
                )
        except Throttled:
            minutes = svc.settings.login_window_seconds // 60
            return render_template(
                "login.html",
                error=_(
                    "Too many failed attempts. Wait %(minutes)s minutes and try again.",
                    minutes=minutes,
                ),
            ), 429
        if user is None:
            error = _("The user name or the password is wrong.")
        else:
            language = session.get("language")
            session.clear()  # a new session on login: no fixation
            session.permanent = True
            session["user_id"] = user.id
            if language:
                session["language"] = language
            return redirect(safe_next(request.args.get("next"), url_for("assessments.index")))
    return render_template("login.html", error=error), 401 if error else 200


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    flash(_("You are logged out."))
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.errorhandler(500)
    def server_error(error: Any) -> ResponseReturnValue:
        if request.path.startswith("/api/"):
            from web.api import _json_error

            return _json_error(500, "internal_error", "the server failed; the error was logged")
        return render_template("error.html", code=500, message=_("Something went wrong on our side.")), 500

    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(405)
    @app.errorhandler(413)
    def error_page(error: Any) -> ResponseReturnValue:
        if request.path.startswith("/api/"):
            from web.api import api_http_error

            return api_http_error(error)
        code = getattr(error, "code", 500)
        messages = {
            400: _("The request was not valid. If you were filling in a form, go back and send it again."),
            403: _("You do not have access to this page."),
            404: _("There is nothing here, or you do not have access to it."),
            405: _("This page cannot be used that way."),
            413: _("What you sent is too large."),
        }
        return render_template("error.html", code=code, message=messages.get(code, "")), code
