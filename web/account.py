"""The account pages: personal API tokens (shown once when made, revocable), changing one's own
password; and for admins, the users with a password reset."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from advisor.services.accounts import (
    MIN_PASSWORD,
    PasswordRejected,
    Throttled,
    all_users,
    change_password,
    reset_password,
)
from advisor.store.accounts import create_token, tokens_of
from advisor.store.tables import ApiToken, User
from web.auth import client_address, keep_session, login_limits, login_required, role_required, throttled_page
from web.extensions import svc

bp = Blueprint("account", __name__, url_prefix="/account")
users = Blueprint("users", __name__, url_prefix="/admin/users")


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> ResponseReturnValue:
    new_token = None
    with svc().store.session() as db:
        if request.method == "POST":
            new_token = create_token(db, g.user, request.form.get("name", ""))
        mine = tokens_of(db, g.user)
    return render_template("account/tokens.html", tokens=mine, new_token=new_token)


@bp.post("/tokens/<id:token_id>/revoke")
@login_required
def revoke(token_id: int) -> ResponseReturnValue:
    with svc().store.session() as db:
        token = db.get(ApiToken, token_id)
        if token is None or token.user_id != g.user.id:
            abort(404)
        db.delete(token)
    flash(_("The token was revoked."))
    return redirect(url_for(".tokens"))


def _password_problem(error: PasswordRejected) -> str:
    messages: dict[str, str] = {
        "wrong_current": _("The current password is wrong."),
        "mismatch": _("The new passwords are not the same."),
        "too_short": ngettext(
            "The new password must be at least %(num)d character.",
            "The new password must be at least %(num)d characters.",
            MIN_PASSWORD,
        ),
    }
    return messages[error.problem]


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> ResponseReturnValue:
    """Change one's own password: every other session of the user ends, this one goes on."""
    if request.method == "GET":
        return render_template("account/password.html", error=None, minimum=MIN_PASSWORD)
    services = svc()
    try:
        generation = change_password(
            services.store,
            g.user.id,
            request.form.get("current", "")[:256],
            request.form.get("new", "")[:256],
            request.form.get("repeat", "")[:256],
            client_address(),
            login_limits(services.settings),
        )
    except Throttled as throttled:
        return throttled_page(throttled, "account/password.html", minimum=MIN_PASSWORD)
    except PasswordRejected as rejected:
        page = render_template(
            "account/password.html", error=_password_problem(rejected), minimum=MIN_PASSWORD
        )
        return page, 422
    keep_session(generation)
    flash(_("Your password was changed. Every other session of yours has ended."))
    return redirect(url_for(".password"))


@users.get("")
@role_required("admin")
def index() -> ResponseReturnValue:
    with svc().store.session() as db:
        everyone = all_users(db)
    return render_template("account/users.html", users=everyone, new_password=None, changed=None)


@users.post("/<id:user_id>/password")
@role_required("admin")
def reset(user_id: int) -> ResponseReturnValue:
    """A new generated password for another user, shown once; their sessions end; audited."""
    with svc().store.session() as db:
        user = db.get(User, user_id)
        if user is None:
            abort(404)
        if user.id == g.user.id:  # one's own: through the form that asks for the current one
            return redirect(url_for("account.password"))
        new_password = reset_password(db, g.user, user)
        changed = user.username
        everyone = all_users(db)
    return render_template("account/users.html", users=everyone, new_password=new_password, changed=changed)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(users)
