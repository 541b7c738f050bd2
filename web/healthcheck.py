"""`python -m web.healthcheck`: exit 0 when /healthz answers 200 (the image's HEALTHCHECK)."""

from __future__ import annotations

import sys
import urllib.request

from advisor.settings import SettingsError, load_settings


def main() -> int:
    try:
        port = load_settings().port  # where gunicorn listens: the same ADVISOR_BIND
    except SettingsError as exc:
        print(f"unhealthy: {exc.format_message()}", file=sys.stderr)
        return 1
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
