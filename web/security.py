"""Security headers on every response: pages, the JSON API, errors, downloads and static files.

The site's Content Security Policy is strict: scripts and styles only from its own files (no
inline script or style, no `style=` attributes: use classes, and SVG presentation attributes for
drawings), never framed, no plugins, forms post only to the site. Swagger UI (/api/docs) works
under the same policy: it sets styles through the DOM, which CSP allows, and fetches only the
site's own OpenAPI document (tests/browser/test_csp.py proves both). A view that ever needs a
different policy sets the header itself; this hook leaves it in place.

It also refuses, before any view runs, form fields and query parameters holding the NUL
character: no text the site keeps may hold it (PostgreSQL's text type cannot), and no view
should meet it halfway through a save.
"""

from __future__ import annotations

from flask import Flask, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

SITE_POLICY: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),  # Pico's icons (select arrows, checkboxes) are data: SVGs
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
    "Referrer-Policy": "same-origin",
}


SITE = "; ".join(f"{name} {' '.join(values)}" for name, values in SITE_POLICY.items())


def add_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", SITE)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def refuse_nul() -> ResponseReturnValue | None:
    fields = [*request.args.items(multi=True)]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields += request.form.items(multi=True)
    holding = sorted({name for name, value in fields if "\x00" in name or "\x00" in value})
    if not holding:
        return None
    if request.path.startswith("/api/"):  # like every other refused query parameter there: 422
        from web.api import FieldProblem, _json_error

        problems = [FieldProblem(loc=name.replace("\x00", "\\u0000"), msg="contains NUL") for name in holding]
        return _json_error(422, "invalid_query", "text must not contain the NUL character (U+0000)", problems)
    message = _(
        "What you sent contains the NUL character (U+0000), which no text may hold. Remove it and send again."
    )
    return render_template("error.html", code=400, message=message), 400


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul)
    app.after_request(add_headers)
