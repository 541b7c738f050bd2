"""Jobs: the queue in the database on both databases (one claim per job, a lease taken over and
resumed from its checkpoint, cancel, failure), the impact job through the admin's pages and the
API's job resource."""

from __future__ import annotations

import copy
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask

from advisor.quality.impact import PARALLEL_FROM, Filter, saved_cases, with_saved_plans
from advisor.rulebook.loader import build_rulebook
from advisor.services import rule_admin
from advisor.services.accounts import create_user
from advisor.services.assessments import create
from advisor.services.jobs import Worker, start_impact
from advisor.services.runtime import Services, open_services
from advisor.settings import Settings
from advisor.store.accounts import create_token, user_by_name
from advisor.store.database import Store
from advisor.store.jobs import JobQueue, Next
from advisor.store.tables import JobStatus, User, VersionKind
from tests.conftest import ROOT
from tests.test_impact import _full
from tests.web.conftest import Browser, make_user
from tests.web.helpers import finished_job, job_address, json_of
from web.extensions import services

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

CONTOSO = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
NAME = "enrollment.yaml"
LOWER = ("  assisted_max_users:\n    value: 100", "  assisted_max_users:\n    value: 20")
RECEPTION = {"id": "reception", "name": "Reception", "users": 40, "platforms": ["ios"], "needs_help": "high"}


@pytest.fixture
def node(tmp_path: Path, rules: Path, database_url: str) -> Iterator[Services]:
    """An node without an embedded worker: the test runs the workers itself."""
    settings = Settings(
        instance_dir=tmp_path / "instance",
        database_url=database_url,
        rules_dir=rules,
        embedded_worker=False,
        impact_processes=1,
    )
    opened = open_services(settings)
    yield opened
    opened.close()


def _admin(node: Services) -> User:
    with node.store.session() as db:
        return create_user(node.store, db, "root", "correct horse battery", "admin")


def _saved(node: Services, owner: User, count: int) -> list[int]:
    """`count` saved assessments whose plan the lower threshold changes (Reception is assisted)."""
    answers = copy.deepcopy(CONTOSO)
    answers["groups"].append(RECEPTION)
    return [
        create(node, owner, f"Contoso {i}", copy.deepcopy(answers), VersionKind.EDIT, "plan")
        for i in range(count)
    ]


def _lower(node: Services, owner: User, *, preview: bool = False) -> int:
    text = (node.settings.rules_dir / NAME).read_text().replace(*LOWER)
    return start_impact(node, owner, *rule_admin.impact_files(node, NAME, text), preview=preview)


def test_two_workers_racing_for_one_job_claim_it_once(node: Services) -> None:
    job_id = node.jobs.submit("impact", {})
    # Two instances: each its own connections to the one database.
    queues = [JobQueue(Store(node.store.url), 30) for _ in range(2)]
    start = threading.Barrier(2)
    claimed: list[Any] = [None, None]

    def claim(i: int) -> None:
        start.wait()
        claimed[i] = queues[i].claim(f"worker {i}")

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(job.id for job in claimed if job is not None) == [job_id]
    job = node.jobs.get(job_id)
    assert job is not None
    assert job.status == JobStatus.RUNNING
    assert job.owner in ("worker 0", "worker 1")
    for queue in queues:
        queue.store.engine.dispose()


def test_a_job_whose_worker_stopped_is_taken_over_and_resumed_from_its_checkpoint(node: Services) -> None:
    root = _admin(node)
    first, second, third = _saved(node, root, 3)
    job_id = _lower(node, root)
    # A worker took the job, saved its first chunk (the first two assessments) and stopped beating.
    short = JobQueue(node.store, lease_seconds=0.05)
    assert short.claim("gone") is not None
    earlier = [["(found by the worker that stopped)", ["kept"]]]
    assert (
        short.save_chunk(job_id, "gone", done=2, total=3, part=earlier, state={"after_id": second})
        == Next.GO_ON
    )
    assert short.claim("next") is None  # its lease still runs
    time.sleep(0.1)  # the lease runs out
    worker = Worker(node, short)
    assert worker.run_once()
    job = node.jobs.get(job_id)
    assert job is not None
    assert (job.status, job.done, job.total, job.error) == (JobStatus.DONE, 3, 3, None)
    # The chunk already done is kept, not redone: only the third assessment was planned.
    assert [name for name, _lines in job.result] == [earlier[0][0], f"assessment {third} (Contoso 2)"]
    # The worker that stopped writes nothing more.
    assert short.save_chunk(job_id, "gone", done=3, total=3, part=[], state={}) == Next.LOST
    assert first < second < third


def test_cancel_stops_a_queued_job_at_once_and_a_running_one_at_its_next_chunk(node: Services) -> None:
    running = node.jobs.submit("impact", {})
    queued = node.jobs.submit("impact", {})
    claimed = node.jobs.claim("w")  # the older one
    assert claimed is not None
    assert claimed.id == running
    at_once = node.jobs.cancel(queued)
    assert at_once is not None
    assert (at_once.status, at_once.finished_at is not None) == (JobStatus.CANCELLED, True)
    asked = node.jobs.cancel(running)
    assert asked is not None
    assert (asked.status, asked.cancel_requested) == (JobStatus.RUNNING, True)
    # The worker hears it when it saves its next chunk, and ends the job cancelled.
    assert node.jobs.save_chunk(running, "w", done=1, total=2, part=[], state={}) == Next.CANCEL
    assert node.jobs.finish(running, "w", JobStatus.CANCELLED)
    ended = node.jobs.get(running)
    assert ended is not None
    assert ended.status == JobStatus.CANCELLED
    assert node.jobs.claim("other") is None


def test_a_newer_check_of_the_same_file_replaces_the_users_older_one_still_waiting(node: Services) -> None:
    """Each check of an edit starts an impact job (a preview): the user's older preview of the
    same file that is still queued is cancelled (not queued behind); one already running runs on,
    and another file's, another user's and a save's (not a preview) are left alone."""
    root = _admin(node)
    with node.store.session() as db:
        other = create_user(node.store, db, "other", "correct horse battery", "admin")
    running = _lower(node, root, preview=True)
    assert node.jobs.claim("w") is not None  # a worker has it
    saved = _lower(node, root)  # the impact of a save, or one asked for through the API
    older = _lower(node, root, preview=True)
    theirs = _lower(node, other, preview=True)
    text = rule_admin.rule_text(node, "pilot.yaml") + "\n"
    elsewhere = start_impact(node, root, *rule_admin.impact_files(node, "pilot.yaml", text), preview=True)
    newer = _lower(node, root, preview=True)
    jobs = {n: node.jobs.get(n) for n in (running, saved, older, theirs, elsewhere, newer)}
    assert {n: job.status for n, job in jobs.items() if job is not None} == {
        running: JobStatus.RUNNING,
        saved: JobStatus.QUEUED,
        older: JobStatus.CANCELLED,
        theirs: JobStatus.QUEUED,
        elsewhere: JobStatus.QUEUED,
        newer: JobStatus.QUEUED,
    }


def test_an_impact_job_cancelled_while_running_ends_cancelled(node: Services) -> None:
    root = _admin(node)
    _saved(node, root, 1)
    job_id = _lower(node, root)
    node.jobs.cancel(job_id)  # still queued: cancelled at once, never run
    assert not Worker(node).run_once()
    job = node.jobs.get(job_id)
    assert job is not None
    assert (job.status, job.result) == (JobStatus.CANCELLED, None)


def test_a_job_that_fails_is_recorded_with_its_error(node: Services) -> None:
    unknown = node.jobs.submit("nothing-does-this", {})
    broken = node.jobs.submit("impact", {"before": {"a.yaml": "rules: ["}, "after": {"a.yaml": "x"}})
    worker = Worker(node)
    assert worker.run_once()
    assert worker.run_once()
    failed = [node.jobs.get(unknown), node.jobs.get(broken)]
    assert [job.status for job in failed if job] == [JobStatus.FAILED, JobStatus.FAILED]
    errors = [job.error or "" for job in failed if job]
    assert "nothing-does-this" in errors[0]
    assert "RulebookError" in errors[1]


def test_the_admin_preview_starts_a_job_whose_progress_then_result_the_page_shows(
    admin_app: Flask, root: Browser, rules: Path
) -> None:
    svc = services(admin_app)
    assert svc.worker is not None
    svc.worker.stop()  # this test runs the worker itself, to see the job before it runs
    user = _owner(svc)
    _saved(svc, user, 2)
    text = (rules / NAME).read_text().replace(*LOWER)
    page = root.post(f"/admin/rules/{NAME}", {"action": "check", "text": text}).get_data(as_text=True)
    address = job_address(page)
    waiting = root.get(address).get_data(as_text=True)
    assert "Waiting for a worker" in waiting
    assert 'hx-trigger="every 1s"' in waiting
    assert "Cancel" in waiting
    assert Worker(svc).run_once()
    done = root.get(address).get_data(as_text=True)
    assert "hx-trigger" not in done  # the page stops polling
    assert "Saved assessments whose plan would change: 2" in done
    assert "Reception: production/2 2027-09 40 assisted -&gt; production/2 2027-09 40 tech_fair" in done

    # Swedish too.
    root.post("/language", {"language": "sv"})
    assert "Sparade bedömningar" in root.get(address).get_data(as_text=True)


def test_the_admin_cancels_a_job_from_the_page(admin_app: Flask, root: Browser, rules: Path) -> None:
    svc = services(admin_app)
    assert svc.worker is not None
    svc.worker.stop()
    text = (rules / NAME).read_text().replace(*LOWER)
    page = root.post(f"/admin/rules/{NAME}", {"action": "check", "text": text}).get_data(as_text=True)
    address = job_address(page)
    fragment = root.post(f"{address}/cancel", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in fragment
    assert "Cancelled after 0 of 0" in fragment
    job_id = int(address.rsplit("/", 1)[1])
    job = svc.jobs.get(job_id)
    assert job is not None
    assert job.status == JobStatus.CANCELLED
    # Without htmx, back to the file's page with the job.
    response = root.post(f"{address}/cancel", {"file": NAME})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/rules/{NAME}?job={job_id}")


def test_the_embedded_worker_does_the_job_of_a_save(admin_app: Flask, root: Browser, rules: Path) -> None:
    _saved(services(admin_app), _owner(services(admin_app)), 1)
    text = (rules / NAME).read_text().replace("  en: Matching each group in each phase", "  en: Matching")
    response = root.post(f"/admin/rules/{NAME}", {"action": "save", "text": text})
    assert response.status_code == 302
    assert re.search(r"\?job=\d+$", response.headers["Location"])
    page = root.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved assessments whose plan would change: 0" in finished_job(root, page)


def test_the_api_starts_reads_and_cancels_a_job(admin_app: Flask, rules: Path) -> None:
    svc = services(admin_app)
    assert svc.worker is not None
    svc.worker.stop()
    client = admin_app.test_client()
    make_user(admin_app, "lead", "reviewer")
    tokens = {}
    for name in ("root", "lead"):
        with svc.store.session() as db:
            user = user_by_name(db, name)
            assert user is not None
            tokens[name] = {"Authorization": f"Bearer {create_token(db, user, 'tests')}"}
    _saved(svc, _owner(svc), 1)
    text = (rules / NAME).read_text().replace(*LOWER)
    refused = client.post("/api/v1/rules/impact", json={"file": NAME, "text": text}, headers=tokens["lead"])
    assert (refused.status_code, json_of(refused)["error"]["code"]) == (403, "forbidden")
    assert (
        client.post(
            "/api/v1/rules/impact", json={"file": "nope.yaml", "text": text}, headers=tokens["root"]
        ).status_code
        == 404
    )
    started = client.post("/api/v1/rules/impact", json={"file": NAME, "text": text}, headers=tokens["root"])
    assert started.status_code == 202
    job = json_of(started)
    assert (job["status"], job["done"], job["result"]) == ("queued", 0, None)
    assert started.headers["Location"] == job["links"]["self"]
    assert Worker(svc).run_once()
    done = json_of(client.get(job["links"]["self"], headers=tokens["root"]))
    assert (done["status"], done["done"], done["total"]) == ("done", 1, 1)
    ((case, lines),) = done["result"]
    assert case.endswith("(Contoso 0)")
    assert "tech_fair" in lines[0]
    assert client.get(job["links"]["self"], headers=tokens["lead"]).status_code == 403
    assert client.get("/api/v1/jobs/999999", headers=tokens["root"]).status_code == 404
    again = json_of(
        client.post("/api/v1/rules/impact", json={"file": NAME, "text": text}, headers=tokens["root"])
    )
    cancelled = client.post(again["links"]["cancel"], headers=tokens["root"])
    assert (cancelled.status_code, json_of(cancelled)["status"]) == (202, "cancelled")
    document = json_of(client.get("/api/v1/openapi.json"))
    assert {"/api/v1/rules/impact", "/api/v1/jobs/{job_id}", "/api/v1/jobs/{job_id}/cancel"} <= set(
        document["paths"]
    )


def _owner(svc: Services) -> User:
    with svc.store.session() as db:
        user = user_by_name(db, "root")
        assert user is not None
        return user


def test_the_worker_command_does_the_queued_jobs_and_stops_cleanly_on_sigterm(
    node: Services, tmp_path: Path, database_url: str, rules: Path
) -> None:
    root = _admin(node)
    _saved(node, root, PARALLEL_FROM)  # enough for the worker to plan them in a pool of processes
    job_id = _lower(node, root)
    env = {
        **os.environ,
        "ADVISOR_DATABASE_URL": database_url,
        "ADVISOR_RULES_DIR": str(rules),
        "ADVISOR_INSTANCE_DIR": str(tmp_path / "worker"),
        "ADVISOR_JOB_POLL_SECONDS": "0.1",
        "ADVISOR_IMPACT_PROCESSES": "2",  # spawned from the command's process, as a deployment's
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "advisor.cli", "worker"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        for _ in range(1200):  # until the job is done (the worker's first look finds it)
            job = node.jobs.get(job_id)
            if job is not None and job.status == JobStatus.DONE:
                break
            time.sleep(0.1)
        assert job is not None
        assert (job.status, len(job.result or [])) == (JobStatus.DONE, PARALLEL_FROM)
        worker.send_signal(signal.SIGTERM)
        _out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0
    assert "worker.stopped" in err


def test_a_warning_threshold_is_read_off_the_saved_plans_as_planning_both_sides_finds(node: Services) -> None:
    """A change of a warning rule's threshold: the job reads the saved plans' warnings out of the
    database (SQLite's and PostgreSQL's JSON paths) and finds what planning every assessment
    under both rulebooks finds."""
    root = _admin(node)
    many = copy.deepcopy(CONTOSO)
    for group in many["groups"]:
        group["devices"] = group["users"] * 3  # 300 devices per 100 users: over the threshold
    ids = [create(node, root, f"Many {i}", copy.deepcopy(many), VersionKind.EDIT, "plan") for i in range(2)]
    create(node, root, "Few", copy.deepcopy(CONTOSO), VersionKind.EDIT, "plan")
    name = "waves.yaml"
    before = (node.settings.rules_dir / name).read_text()
    after = re.sub(r"(many_devices_percent:\n    value: )\d+", r"\g<1>400", before)
    assert after != before
    job_id = start_impact(node, root, *rule_admin.impact_files(node, name, after))
    assert Worker(node).run_once()
    job = node.jobs.get(job_id)
    assert job is not None
    assert job.status == JobStatus.DONE
    old, new = (
        build_rulebook({k: v.encode() for k, v in job.parameters[side].items()})
        for side in ("before", "after")
    )
    assert Filter(old, new).warnings_only
    with node.store.session() as db:
        cases = saved_cases(db)[0]
    read = with_saved_plans(node.store, cases, warnings_only=True)
    assert all(case.plan is not None and case.plan["warnings"] for case in read)
    expected = _full(old, new, cases)
    assert {f"assessment {i} (Many {n})" for n, i in enumerate(ids)} <= {name for name, _ in expected}
    assert [list(change) for change in expected] == job.result
