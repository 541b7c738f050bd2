"""Two instances, one database: two gunicorn sites (2 workers each) on different loopback ports
against one PostgreSQL database, sharing one secret key, as behind a load balancer.

An admin's rule change saved on instance A is served by instance B within two seconds, while a
bounded client load posting assessments to the plan API across both gets no 5xx and no plan that
is neither the old version's nor the new one's. Login throttling counts the failures made on both,
and a session or an API token made on one works on the other. Jobs live in the database: a job
started on one instance is read and cancelled on the other, and an `advisor worker` of its own (a
third process, as compose runs one) does the impact job that the save on A queued.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from advisor.evaluate.oracle import OracleEvaluator
from advisor.model.facts import parse_assessment
from advisor.rulebook.files import set_fields
from advisor.services.live_rules import build, folder_files
from advisor.services.planning import build_plan
from advisor.settings import Settings
from advisor.store.database import Store
from advisor.store.rules import HEAD
from advisor.store.tables import RulebookHead
from tests.conftest import RULES
from tests.live import LiveBrowser, LiveSite, Reply, call, gunicorn_site

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

# Three sites: production phases are cut by geography while "few sites" means at most 2, and by
# department once an admin raises it to 3 (every scenario still passes).
SPREAD: dict[str, Any] = yaml.safe_load(
    """
version: 1
organisation: {name: Fabrikam, rollout_start: 2027-03, support_capacity: 5000}
groups:
  - {id: it, name: IT, users: 80, platforms: [windows, ios], locations: [Oslo], it_department: true,
     feedback: true, change_readiness: high, needs_help: low, business_risk: low}
  - {id: sales, name: Sales, users: 300, platforms: [ios], locations: [Oslo]}
  - {id: ops, name: Operations, users: 200, platforms: [windows], locations: [Bergen]}
  - {id: service, name: Service, users: 150, platforms: [windows], locations: [Lund]}
"""
)
THREADS = 4
AFTER_SAVE = 20  # requests each load thread sends from BOUND_SECONDS after the save has returned
MAX_REQUESTS = 1000  # each thread's bound, whatever happens
PAUSE = 0.05
BOUND_SECONDS = 2.0


@dataclass
class Sent:
    instance: str
    started: float  # wall clock (time.time), to compare with the head's commit time
    status: int
    plan: dict[str, Any] | None


@pytest.fixture
def sites(database_url: str, tmp_path: Path) -> Iterator[tuple[LiveSite, LiveSite]]:
    """Both instances, started at the same time (of the two, exactly one seeds the rulebook)."""
    # An admin's save runs its checks (the lint over the rulebook's whole space, the scenarios)
    # in the request: on a busy 2-core machine that can outlast gunicorn's 60 s worker timeout.
    # The sites' embedded job workers look at the queue once at their start and then once an
    # hour: the jobs stay queued until the test's own worker process runs them.
    slow = {"GUNICORN_CMD_ARGS": "--timeout 300", "ADVISOR_JOB_POLL_SECONDS": "3600"}
    managers = [gunicorn_site(database_url, tmp_path / name, env=slow) for name in ("a", "b")]
    with ExitStack() as stack, ThreadPoolExecutor(2) as pool:
        started = [pool.submit(manager.__enter__) for manager in managers]
        for manager, future in zip(managers, started, strict=True):
            if future.exception() is None:
                stack.push(manager)  # stopped (by its pid) when the test ends
        a, b = (future.result() for future in started)
        yield a, b


def _expected_plans() -> tuple[dict[str, Any], dict[str, Any], str, str]:
    """The plan of SPREAD under the rulebook as seeded and under the admin's change, made by the
    oracle (not the engine the sites run), and both versions."""
    files = folder_files(RULES)
    old = build(files)
    new = build(
        {**files, "organisation.yaml": set_fields(files["organisation.yaml"], {"few_sites_max": 3}, {})}
    )
    assessment = parse_assessment(SPREAD)
    months = Settings().max_rollout_months
    plans = [
        json.loads(build_plan(assessment, OracleEvaluator(rb), None, max_months=months).model_dump_json())
        for rb in (old, new)
    ]
    assert plans[0] != plans[1]
    assert plans[0]["rulebook"]["version"] == old.version != new.version == plans[1]["rulebook"]["version"]
    return plans[0], plans[1], old.version, new.version


def _plan(base: str, token: str) -> Reply:
    return call(
        f"{base}/api/v1/plans",
        "POST",
        json.dumps(SPREAD).encode(),
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


def _token_made_on(site: LiveSite, username: str) -> str:
    """A personal API token made through the account page of `site`, as its owner would."""
    browser = LiveBrowser(site.base)
    assert browser.login(username).status == 302
    made = browser.post("/account/tokens", {"name": "two instances"}, token=browser.token("/account/tokens"))
    match = re.search(r'<code id="new-token">([^<]+)</code>', made.body.decode())
    assert match, made.body.decode()[:500]
    return match.group(1)


def _save(site: LiveSite, admin: LiveBrowser, form: str, fields: dict[str, str]) -> Reply:
    """An admin's save on `site`: its checks (lint, scenarios, impact) take a while on a busy
    machine, so it may take longer than the other requests (up to gunicorn's own timeout)."""
    body = urllib.parse.urlencode({**fields, "csrf_token": admin.token(form)}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": admin.cookie or ""}
    return call(site.base + form, "POST", body, headers, timeout=300, follow_redirects=False)


def _header(reply: Reply, name: str) -> str:
    return next(value for key, value in reply.headers.items() if key.lower() == name.lower())


def _job(site: LiveSite, job_id: int, auth: dict[str, str]) -> dict[str, Any]:
    reply = call(f"{site.base}/api/v1/jobs/{job_id}", headers=auth)
    assert reply.status == 200, reply.body.decode()[:500]
    job: dict[str, Any] = reply.json()
    return job


def test_two_instances_share_the_rulebook_logins_sessions_tokens_and_jobs(
    sites: tuple[LiveSite, LiveSite], tmp_path: Path
) -> None:
    a, b = sites
    old_plan, new_plan, old_version, new_version = _expected_plans()
    a.add_user("root", "admin")
    a.add_user("anna")
    a.add_user("victim")
    assert call(f"{a.base}/api/v1/rules").json()["version"] == old_version
    assert call(f"{b.base}/api/v1/rules").json()["version"] == old_version

    # Failed logins on A and on B count together: five in all (the default), then the account waits.
    statuses = [LiveBrowser(site.base).login("victim", "wrong").status for site in (a, b, a, b, a)]
    assert statuses == [401] * 5
    assert LiveBrowser(b.base).login("victim").status == 429
    assert LiveBrowser(a.base).login("victim").status == 429
    # A session made by a login on A is a session on B (one secret key, the database's sessions).
    on_a = LiveBrowser(a.base)
    assert on_a.login("anna").status == 302
    assert LiveBrowser(b.base, cookie=on_a.cookie).get("/account/tokens").status == 200
    assert LiveBrowser(b.base).get("/account/tokens").status == 302  # to the login, without it
    # An API token made on A opens the API on B; the load below uses it on both.
    token = _token_made_on(a, "anna")
    assert call(f"{b.base}/api/v1/assessments", headers={"Authorization": f"Bearer {token}"}).status == 200
    assert call(f"{b.base}/api/v1/assessments", headers={"Authorization": "Bearer nope"}).status == 401
    # A saved assessment for the save's impact job to find: planned by geography before the change.
    created = call(
        f"{a.base}/api/v1/assessments",
        "POST",
        json.dumps({"answers": SPREAD}).encode(),
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert created.status == 201, created.body.decode()[:500]

    saved = threading.Event()
    saved_at = [0.0]
    sent: list[Sent] = []
    lock = threading.Lock()

    def load(offset: int) -> None:
        count, after = 0, 0
        while after < AFTER_SAVE and count < MAX_REQUESTS:
            name, base = ("A", a.base) if (count + offset) % 2 == 0 else ("B", b.base)
            started = time.time()
            reply = _plan(base, token)
            plan = reply.json() if reply.status == 200 else None
            with lock:
                sent.append(Sent(name, started, reply.status, plan))
            count += 1
            if saved.is_set():
                after += started >= saved_at[0] + BOUND_SECONDS  # past the bound: B must be on the new
            else:
                time.sleep(PAUSE)  # while the save is checked: a steady trickle, not a flood

    threads = [threading.Thread(target=load, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    try:
        while len(sent) < 2 * THREADS:  # the load runs before the change
            time.sleep(0.01)
        admin = LiveBrowser(a.base)
        assert admin.login("root").status == 302
        fields = {"action": "fields", "param-few_sites_max": "3", "message": "Three sites are few"}
        answer = _save(a, admin, "/admin/rules/organisation.yaml", fields)
    finally:
        saved_at[0] = time.time()
        saved.set()
        for thread in threads:
            thread.join(timeout=300)
    assert answer.status == 302, answer.body.decode()[:2000]
    store = Store(a.database_url)
    try:
        with store.session() as db:
            current = db.get(RulebookHead, HEAD)
            assert current is not None
            assert current.version == new_version
            committed = current.changed_at.timestamp()
    finally:
        store.engine.dispose()

    errors = [s for s in sent if s.status >= 500]
    others = [s for s in sent if s.status != 200]
    old_on_b = [
        s.started for s in sent if s.instance == "B" and s.plan == old_plan and s.started >= committed
    ]
    switch = max(old_on_b, default=committed) - committed
    late = [s for s in sent if s.instance == "B" and s.started >= committed + BOUND_SECONDS]
    print(
        f"\ntwo instances: {len(sent)} plan requests ({sum(s.instance == 'B' for s in sent)} to B), "
        f"{len(errors)} errors (5xx), {len(others)} not 200; {sum(s.plan == old_plan for s in sent)} "
        f"plans of the old version, {sum(s.plan == new_plan for s in sent)} of the new; B served the "
        f"old version until {switch:.3f} s after the commit ({len(late)} requests to B from "
        f"{BOUND_SECONDS} s on, all new)"
    )
    assert errors == []
    assert others == []
    assert all(s.plan in (old_plan, new_plan) for s in sent)
    assert late, "the load ended before the bound: nothing shows B on the new version"
    assert all(s.plan == new_plan for s in late)
    assert switch <= BOUND_SECONDS

    # Jobs: the save on A queued its impact job (the address it redirected to names it). A job
    # started on B is cancelled from A; B reads the save's job, done by a worker process of its own.
    saved_job = int(urllib.parse.parse_qs(urllib.parse.urlparse(_header(answer, "Location")).query)["job"][0])
    auth = {"Authorization": f"Bearer {_token_made_on(a, 'root')}", "Content-Type": "application/json"}
    assert _job(b, saved_job, auth)["status"] == "queued"
    text = folder_files(RULES)["organisation.yaml"]
    started = call(
        f"{b.base}/api/v1/rules/impact",
        "POST",
        json.dumps({"file": "organisation.yaml", "text": text}).encode(),
        auth,
    )
    assert started.status == 202, started.body.decode()[:500]
    other = started.json()["id"]
    bearer = {"Authorization": auth["Authorization"]}
    cancelled = call(f"{a.base}/api/v1/jobs/{other}/cancel", "POST", None, bearer)
    assert (cancelled.status, cancelled.json()["status"]) == (202, "cancelled")
    assert _job(b, other, auth)["status"] == "cancelled"
    env = {
        **os.environ,
        "ADVISOR_DATABASE_URL": a.database_url,
        "ADVISOR_INSTANCE_DIR": str(tmp_path / "worker"),
        "ADVISOR_JOB_POLL_SECONDS": "0.1",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "advisor.cli", "worker"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        for _ in range(1200):  # bounded: until B reads the job as ended
            job = _job(b, saved_job, auth)
            if job["status"] not in ("queued", "running"):
                break
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0
    assert (job["status"], job["done"], job["total"]) == ("done", 1, 1), job
    ((case, lines),) = job["result"]
    assert "Fabrikam" in case
    assert any("production phases by geography -> by department" in line for line in lines), lines
    assert _job(b, other, auth)["status"] == "cancelled"  # the worker left the cancelled one alone
