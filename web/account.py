"""The account page: personal API tokens, shown once when made, revocable."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from advisor.store import ApiToken, create_token, tokens_of
from web.auth import login_required
from web.common import svc

bp = Blueprint("account", __name__, url_prefix="/account")


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


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
