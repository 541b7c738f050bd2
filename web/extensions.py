"""What every blueprint shares, kept apart from the application factory so that views never
import the package that imports them: CSRF protection and the instance's services."""

from __future__ import annotations

from flask import Flask, current_app
from flask_wtf import CSRFProtect

from advisor.services.runtime import Services

csrf = CSRFProtect()

# The endpoints that take uploads of exports (up to Settings.import_max_bytes, not the site's
# general max_request_bytes): the request hooks look the request's endpoint up here.
LARGE_UPLOADS: set[str] = set()


def services(app: Flask | None = None) -> Services:
    """The services of `app`, or of the app handling the current request."""
    result: Services = (app or current_app).extensions["advisor"]
    return result


def svc() -> Services:
    return services()
