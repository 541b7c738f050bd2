"""Languages: the browser's choice first, switchable, remembered in the session and the profile."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, g, redirect, request, session
from flask.typing import ResponseReturnValue
from flask_babel import Babel, get_locale

from advisor.model.i18n import CATALOGUE, SOURCE_LANGUAGE, CatalogueMissing, compiled_path
from advisor.model.vocabulary import LANGUAGES, Language

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    chosen = session.get("language")
    if chosen in LANGUAGES:
        return str(chosen)
    user = g.get("user")
    if user is not None and user.language in LANGUAGES:
        return str(user.language)
    return request.accept_languages.best_match(LANGUAGES) or "en"


def language() -> Language:
    """The language of the current request, for texts that come from the core."""
    locale = str(get_locale() or "en")[:2]
    return locale if locale in LANGUAGES else "en"


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site; never an absolute URL (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@bp.post("/language")
def switch() -> ResponseReturnValue:
    chosen = request.form.get("language", "")
    if chosen in LANGUAGES:
        session["language"] = chosen
        user = g.get("user")
        if user is not None:
            from flask import current_app

            from web.extensions import services

            store = services(current_app).store
            with store.session() as db:
                record = db.merge(user)
                record.language = chosen
    return redirect(safe_next(request.form.get("next")))


def init_app(app: Flask) -> None:
    # The core's catalogue (advisor/translations): one set of translations for the site and the core.
    # Flask-Babel reads only compiled catalogues and falls back to English without a word: a site
    # started without them would mix English pages with Swedish plans, so it does not start.
    for code in LANGUAGES:
        if code != SOURCE_LANGUAGE and not compiled_path(code).is_file():
            raise CatalogueMissing(f"no compiled catalogue at {compiled_path(code)}: run `make translations`")
    Babel(app, locale_selector=select_locale, default_translation_directories=str(CATALOGUE))
    app.register_blueprint(bp)
    app.jinja_env.globals["current_language"] = language
