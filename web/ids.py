"""Database ids in URLs, query strings and forms: bounded before they reach the database.

Ids are 32-bit integers on every database we support. An id of 10^20 or 2^63 made SQLite raise
OverflowError and PostgreSQL "integer out of range" (500s), and a string of digits past Python's
4,300-digit limit cannot even be converted. One converter for every route with an id, and one
parser for ids and version numbers in query strings and forms, keep them in 1..MAX_ID.
"""

from __future__ import annotations

from typing import NoReturn

from flask import Flask, abort, make_response, render_template, request
from flask_babel import gettext as _
from werkzeug.routing import BaseConverter

from advisor.store.tables import MAX_ID

_DIGITS = len(str(MAX_ID))


def up_to(limit: int) -> str:
    """A regular expression for the whole numbers 1..limit written without leading zeros.

    The bound is in the pattern itself, not in a check after matching: werkzeug answers a
    converter's ValidationError with 405 when the same path has a route for another method.
    """
    digits = str(limit)
    shorter = f"[1-9][0-9]{{0,{len(digits) - 2}}}" if len(digits) > 1 else None
    parts = [shorter] if shorter else []
    for position, digit in enumerate(digits):
        lowest = 1 if position == 0 else 0
        if int(digit) > lowest:  # same leading digits, a smaller one here, anything after
            rest = len(digits) - position - 1
            parts.append(f"{digits[:position]}[{lowest}-{int(digit) - 1}][0-9]{{{rest}}}")
    parts.append(digits)
    return "(?:" + "|".join(parts) + ")"


class IdConverter(BaseConverter):
    """`<id:name>`: a whole number in 1..MAX_ID written without leading zeros; anything else is
    no route at all (404), before a view or the database sees it."""

    regex = up_to(MAX_ID)
    part_isolating = True

    def to_python(self, value: str) -> int:
        return int(value)  # at most ten digits and at most MAX_ID: the pattern says so

    def to_url(self, value: object) -> str:
        return str(value)


class IndexConverter(IdConverter):
    """`<index:name>`: a position in a list, 0..MAX_ID."""

    regex = f"(?:0|{up_to(MAX_ID)})"


def parse_id(text: str | None) -> int | None:
    """An id or version number written in a query string or form: None when absent or blank;
    ValueError unless it is a whole number in 1..MAX_ID."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    if len(text) > _DIGITS or not text.isascii() or not text.isdigit():
        raise ValueError(f"not an id: {text[:20]}")
    number = int(text)
    if not 1 <= number <= MAX_ID:
        raise ValueError(f"not an id: {text[:20]}")
    return number


def bad_request(message: str) -> NoReturn:
    """A 400 page that says what was wrong with the request."""
    abort(make_response(render_template("error.html", code=400, message=message), 400))


def version_argument(name: str) -> int | None:
    """A version number from the query string (None when absent); a 400 page unless it is one."""
    value = request.args.get(name)
    try:
        return parse_id(value)
    except ValueError:
        bad_request(_("'%(value)s' is not a version number.", value=(value or "")[:20]))


def init_app(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["index"] = IndexConverter
