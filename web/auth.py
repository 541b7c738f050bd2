"""Logging in and out, the current user, and the checks every protected view makes."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response as BaseResponse

from advisor.services.accounts import LoginLimits, Throttled, authenticate, end_sessions
from advisor.settings import Settings
from advisor.store.tables import User
from web.i18n import safe_next

bp = Blueprint("auth", __name__)
P = ParamSpec("P")
R = TypeVar("R")


def login_required(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def role_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R | BaseResponse]]:
    def decorate(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
        @functools.wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return login_required(wrapped)

    return decorate


def login_limits(settings: Settings) -> LoginLimits:
    return LoginLimits(
        settings.login_attempts, settings.login_address_attempts, settings.login_window_seconds
    )


def client_address() -> str:
    """The client's address: the connection's, or X-Forwarded-For's when the setting
    trusted_proxies names the proxies in front (werkzeug's ProxyFix, set up in create_app)."""
    return request.remote_addr or "?"


def throttled_page(error: Throttled, template: str, **context: Any) -> ResponseReturnValue:
    """429 with Retry-After: the client is told when to come back; no worker sleeps meanwhile."""
    minutes = max(1, math.ceil(error.retry_after / 60))
    message = ngettext(
        "Too many failed logins for this account or from this address. Try again in %(num)d minute.",
        "Too many failed logins for this account or from this address. Try again in %(num)d minutes.",
        minutes,
    )
    response = make_response(render_template(template, error=message, **context), 429)
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def _start_session(user: User) -> None:
    language = session.get("language")
    session.clear()  # a new session on login: no fixation
    session.permanent = True
    session["user_id"] = user.id
    session["generation"] = user.session_generation
    if language:
        session["language"] = language


def _end_session() -> None:
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language


@bp.before_app_request
def load_user() -> None:
    from web.extensions import services

    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    with services(current_app).store.session() as db:
        user = db.get(User, user_id)
    if user is None or user.disabled or session.get("generation") != user.session_generation:
        _end_session()
        if user is not None and not user.disabled:
            flash(_("Your session has ended: you logged out or your password was changed. Log in again."))
        return
    g.user = user


def keep_session(generation: int) -> None:
    """After the user's own password change: this session goes on in the new generation."""
    session["generation"] = generation


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    from web.extensions import services

    svc = services(current_app)
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")[:64]
        password = request.form.get("password", "")[:256]
        try:
            user = authenticate(svc.store, username, password, client_address(), login_limits(svc.settings))
        except Throttled as throttled:
            return throttled_page(throttled, "login.html")
        if user is None:
            error = _("The user name or the password is wrong.")
        else:
            _start_session(user)
            return redirect(safe_next(request.args.get("next"), url_for("assessments.index")))
    return render_template("login.html", error=error), 401 if error else 200


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    from web.extensions import services

    if g.user is not None:
        with services(current_app).store.session() as db:
            user = db.get(User, g.user.id)
            if user is not None:
                end_sessions(db, user)
    _end_session()
    flash(_("You are logged out on every device."))
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
