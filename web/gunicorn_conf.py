"""gunicorn settings for the image (and anyone running gunicorn): `gunicorn -c python:web.gunicorn_conf`."""

from __future__ import annotations

import os
import sys
from typing import Any

# In the container the site must listen on all interfaces; anywhere else, set ADVISOR_BIND.
bind = os.environ.get("ADVISOR_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("ADVISOR_WORKERS", "2"))
worker_class = "sync"  # each worker process owns its rules engine (durable_rules is per process)
accesslog = "-"
errorlog = "-"
timeout = 60
max_requests = 5000  # recycle workers now and then
max_requests_jitter = 500


def on_starting(server: Any) -> None:
    """Once, in the master, before any worker: migrate, and make sure someone can log in."""
    from advisor.services.accounts import ensure_first_admin
    from advisor.settings import Settings
    from advisor.store.database import Store
    from advisor.store.migrate import upgrade

    settings = Settings()
    url = settings.resolved_database_url
    upgrade(url)
    store = Store(url)
    try:
        password = ensure_first_admin(store)
    finally:
        store.engine.dispose()
    if password:
        print(
            f"First start: log in as 'admin' with the password {password} (shown only this once)",
            file=sys.stderr,
            flush=True,
        )
