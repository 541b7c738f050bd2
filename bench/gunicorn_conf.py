"""gunicorn for the service benchmark: the site's own settings (web.gunicorn_conf), and each worker
writes its rule memo's counters as it exits, so that the benchmark can report the hit rate it saw.

The counters are two integers the engine keeps anyway; nothing is added to a request's path."""

from __future__ import annotations

import json
import os
from typing import Any

from web.gunicorn_conf import *  # noqa: F403  # every setting as deployed

COUNTS = os.environ.get("ADVISOR_BENCH_COUNTS", "")


def worker_exit(server: Any, worker: Any) -> None:
    """In the exiting worker (gunicorn also calls this in the master for a worker already gone,
    which has no application: nothing to write then)."""
    app = getattr(worker, "wsgi", None)
    if not COUNTS or app is None:
        return
    from web.extensions import services

    with services(app).engine.version() as compiled:
        line = {"pid": os.getpid(), "lookups": compiled.lookups, "evaluations": compiled.engine_evaluations}
    with open(COUNTS, "a") as stream:
        stream.write(json.dumps(line) + "\n")
