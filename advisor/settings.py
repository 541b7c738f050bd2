"""Where the advisor finds its rules, read once from the environment."""

from __future__ import annotations

import os
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


def default_rules_dir() -> Path:
    """`ADVISOR_RULES_DIR` if set, else the rules shipped beside the package."""
    configured = os.environ.get("ADVISOR_RULES_DIR")
    return Path(configured) if configured else REPOSITORY / "rules"
