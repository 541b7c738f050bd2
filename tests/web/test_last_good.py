"""A process that starts while the database's rulebook version is broken runs the last good one.

Before: a gunicorn worker recycled (max_requests) or killed while a broken file was the source ran
create_app, which refused to load it; the worker failed to boot and gunicorn shut the whole site
down ("Worker failed to boot"), every request then refused. A version is checked before it is
stored, but one stored otherwise (by hand, or by an older release's checks) must not do that.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from advisor.model.errors import RulebookError
from advisor.settings import Settings
from advisor.store.database import Store
from tests.conftest import RULES, store_directly
from tests.live import call, gunicorn_site
from web import create_app
from web.extensions import services

BROKEN = "stage: placement\nrules: [\n"


def _settings(tmp_path: Path, rules: Path) -> Settings:
    return Settings(
        instance_dir=tmp_path / "instance",
        database_url=f"sqlite:///{tmp_path}/a.db",
        rules_dir=rules,
        secure_cookies=False,
        secret_key="k",
    )


def test_a_start_on_a_broken_version_runs_the_last_good_rulebook(tmp_path: Path) -> None:
    first = create_app(_settings(tmp_path, RULES))
    good = services(first).engine.rulebook.version
    store_directly(services(first).store, {"enrollment.yaml": BROKEN})
    services(first).close()
    second = create_app(_settings(tmp_path, RULES))
    try:
        assert services(second).engine.rulebook.version == good
        assert any("enrollment.yaml" in str(f) for f in services(second).watcher.error)  # admins see it
    finally:
        services(second).close()


def test_a_first_start_with_a_broken_folder_still_stops(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    (rules / "enrollment.yaml").write_text(BROKEN)
    with pytest.raises(RulebookError):
        create_app(_settings(tmp_path, rules))  # nothing to seed the database with


def test_a_broken_version_without_a_last_good_rulebook_still_stops(tmp_path: Path) -> None:
    first = create_app(_settings(tmp_path, RULES))
    store_directly(services(first).store, {"enrollment.yaml": BROKEN})
    services(first).close()
    (tmp_path / "instance" / "rulebook-last-good.json").unlink()  # another machine: none kept
    with pytest.raises(RulebookError):
        create_app(_settings(tmp_path, RULES))


def test_a_worker_restarted_while_a_version_is_broken_keeps_the_site_up(tmp_path: Path) -> None:
    env = {"ADVISOR_RELOAD_INTERVAL_SECONDS": "0.2"}
    with gunicorn_site(f"sqlite:///{tmp_path}/a.db", tmp_path / "live", env=env) as live:
        version = call(f"{live.base}/api/v1/rules").json()["version"]
        store = Store(live.database_url)
        store_directly(store, {"enrollment.yaml": BROKEN})
        store.engine.dispose()
        time.sleep(1)  # let the watchers see it (and refuse it)
        workers = list(live.worker_rss_kib())
        for pid in workers:  # gunicorn's own workers, started by this test's server
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while set(live.worker_rss_kib()) & set(workers) or len(live.worker_rss_kib()) < 2:
            assert time.monotonic() < deadline, live.log.read_text()[-2000:]
            time.sleep(0.2)
        for _ in range(10):
            answer = call(f"{live.base}/api/v1/rules")
            assert answer.status == 200
            assert answer.json()["version"] == version
        assert "Worker failed to boot" not in live.log.read_text()
