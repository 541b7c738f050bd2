"""`python -m web.healthcheck`: exit 0 when /healthz answers 200 (the image's HEALTHCHECK)."""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    bind = os.environ.get("ADVISOR_BIND", "0.0.0.0:8000")
    port = bind.rsplit(":", 1)[-1]
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
