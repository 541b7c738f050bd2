"""gunicorn settings for the image, `make run` and anyone running gunicorn:
`gunicorn -c python:web.gunicorn_conf web.wsgi:app`.

Read from the one settings model (ADVISOR_BIND, ADVISOR_WORKERS, ADVISOR_LOG_LEVEL, ...): a bad
value stops gunicorn here, saying which variable and why."""

from __future__ import annotations

import os
import sys
from typing import Any

from advisor.services.logs import gunicorn_logging
from advisor.settings import SettingsError, load_settings

try:
    settings = load_settings()
except SettingsError as exc:
    raise SystemExit(f"gunicorn (web.gunicorn_conf): {exc.format_message()}") from None

bind = settings.bind
workers = settings.workers
worker_class = "sync"  # each worker process owns its rules engine (durable_rules is per process)
accesslog = None  # the site logs each request itself, with its id and user (advisor.services.logs)
errorlog = "-"
loglevel = settings.log_level.lower()
logconfig_dict = gunicorn_logging(settings)
timeout = 60
max_requests = 5000  # recycle workers now and then
max_requests_jitter = 500
# The workers' heartbeat files: in memory where there is /dev/shm (Linux, the image), so the
# site writes nothing to the container's disk outside its data volume. gunicorn makes each with
# mkstemp (a private, unguessable name) and unlinks it at once: a shared folder is safe here.
SHARED_MEMORY = "/dev/shm"  # noqa: S108
worker_tmp_dir = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None


def on_starting(server: Any) -> None:
    """Once, in the master, before any worker: migrate (under the migration lock, so instances
    starting together migrate once), and make sure someone can log in."""
    from advisor.services.accounts import ensure_first_admin
    from advisor.store.database import Store
    from advisor.store.migrate import upgrade

    url = settings.resolved_database_url
    upgrade(url)
    store = Store(url)
    try:
        password = ensure_first_admin(store)
    finally:
        store.engine.dispose()
    if password:  # for the operator, not a log line (gunicorn logs "Listening at" itself)
        where = f"unix:{settings.socket_path}" if settings.socket_path else f"http://{settings.bind}/"
        print(
            f"First start: log in as 'admin' with the password {password} at {where} (shown only this once)",
            file=sys.stderr,
            flush=True,
        )
