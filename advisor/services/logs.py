"""Structured logs: one JSON object per line on standard error, for the site, gunicorn and the CLI.

`configure(settings)` once per process (again is harmless); `event(log, "rules.reloaded",
version=...)` logs a named event with its fields. Fields bound with `bind` (the site binds each
request's id) ride on every line logged meanwhile in the same thread. Secrets never go in: a
field named like a password, token, cookie, secret or authorization is written as "[redacted]".
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from advisor.settings import Settings

# What a field's name says it holds, when that must never reach a log.
SECRET_NAMES = ("password", "token", "cookie", "secret", "authorization")
REDACTED = "[redacted]"

_bound: ContextVar[Mapping[str, object] | None] = ContextVar("advisor_log_fields", default=None)


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON: time (UTC), level, logger, event, then the fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        bound = _bound.get() or {}
        for key, value in [*bound.items(), *(fields.items() if isinstance(fields, Mapping) else ())]:
            if key not in ("time", "level", "logger", "event"):
                line[key] = REDACTED if _secret(key) else value
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def _secret(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SECRET_NAMES)


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is when a line is logged, not when the handler was made (a
    test's capture, a stream redirected after start-up)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # under the handler's lock: handle() holds it around emit()
        super().emit(record)


def configure(settings: Settings) -> None:
    """Every logger to standard error as JSON lines, from `settings.log_level` up.

    Replaces a handler an earlier call installed, and leaves any other (a test's capture) alone."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(handler)
    root.addHandler(StderrHandler())
    root.setLevel(settings.log_level)
    # The development server's own line per request repeats the site's, query string and all.
    logging.getLogger("werkzeug").setLevel(max(logging.WARNING, root.level))
    # Alembic describes its plugins and dialect at INFO on every start and CLI command: only
    # when DEBUG is asked for.
    logging.getLogger("alembic").setLevel(_alembic_level(settings))


def _alembic_level(settings: Settings) -> int:
    return (
        logging.DEBUG
        if settings.log_level == "DEBUG"
        else max(logging.WARNING, logging.getLevelName(settings.log_level))
    )


def gunicorn_logging(settings: Settings) -> dict[str, Any]:
    """gunicorn's `logconfig_dict`: its own messages go to the same JSON lines as the site's (its
    access log is off: the site logs each request with its id and user)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"stderr": {"()": StderrHandler}},
        "root": {"level": settings.log_level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": settings.log_level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            "alembic": {"level": _alembic_level(settings)},
        },
    }


def event(
    log: logging.Logger, name: str, *, level: int = logging.INFO, exc_info: bool = False, **fields: object
) -> None:
    """Log the event `name` (dotted, e.g. "login.throttled") with its fields."""
    log.log(level, name, extra={"fields": fields}, exc_info=exc_info)


def bind(**fields: object) -> None:
    """Add fields to every line this thread logs until `unbind()`."""
    _bound.set({**(_bound.get() or {}), **fields})


def unbind() -> None:
    _bound.set(None)
