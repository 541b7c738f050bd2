"""Groups proposed from the organisation's own exports (Entra ID users, Intune devices)."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("directory", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
