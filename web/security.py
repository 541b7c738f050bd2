"""Security headers on every response: pages, the JSON API, errors, downloads and static files.

The site's Content Security Policy is strict: scripts and styles only from its own files (no
inline script or style, no `style=` attributes: use classes, and SVG presentation attributes for
drawings), never framed, no plugins, forms post only to the site. Swagger UI (/api/docs) works
under the same policy: it sets styles through the DOM, which CSP allows, and fetches only the
site's own OpenAPI document (tests/browser/test_csp.py proves both). A view that ever needs a
different policy sets the header itself; this hook leaves it in place.
"""

from __future__ import annotations

from flask import Flask, Response

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


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
