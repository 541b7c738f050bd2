"""Jobs' work: the worker that claims jobs from the queue in the database and runs them (as the
`advisor worker` command, or a thread in each site process), and the one kind of job there is so
far, the impact of a rule change over the saved assessments."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sqlalchemy import func, select

from advisor.quality.impact import Change, Saved, impact_in_chunks, saved_rows
from advisor.rulebook.loader import build_rulebook
from advisor.services.logs import event
from advisor.services.runtime import Services
from advisor.store.jobs import JobQueue, Next
from advisor.store.tables import AssessmentRecord, Job, JobStatus, User

log = logging.getLogger("advisor.jobs")

IMPACT = "impact"
# Saved assessments read, planned and checkpointed at a time: a worker that takes a job over
# redoes at most this many.
CHUNK = 500


def start_impact(
    services: Services,
    user: User | None,
    before: Mapping[str, str],
    after: Mapping[str, str],
    *,
    preview: bool = False,
) -> int:
    """Queue the impact of replacing the rule files `before` by `after` (file name → text) on
    every saved assessment; the job's id. A `preview` (an admin's check of an edit: each check
    starts one, and only the latest matters) cancels the user's preview of the same files still
    waiting; the impact of a save, or one asked for through the API, stands on its own."""
    key = ",".join(sorted(name for name in {*before, *after} if before.get(name) != after.get(name)))
    parameters = {"before": dict(before), "after": dict(after), "key": key, "preview": preview}
    return services.jobs.submit(
        IMPACT, parameters, user.id if user else None, supersedes=key if preview else None
    )


class Stopped(Exception):
    """The worker is stopping: the job goes back to the queue, to resume where it was."""


def _impact(services: Services, job: Job, owner: str, stopping: threading.Event) -> JobStatus | None:
    """Run an impact job from its last checkpoint; the status it ends in (None: the lease was lost)."""
    sources = tuple(
        {name: text.encode("utf-8") for name, text in job.parameters[side].items()}
        for side in ("before", "after")
    )
    old, new = (build_rulebook(files, label="rules") for files in sources)
    after_id = int((job.state or {}).get("after_id", 0))
    done = job.done
    with services.store.session() as db:
        total = (
            job.total if job.total is not None else db.scalar(select(func.count(AssessmentRecord.id))) or 0
        )
    last = [after_id]
    outcome: list[Next] = []

    def chunks() -> Iterator[list[Saved]]:
        while True:
            with services.store.session() as db:
                rows, read_to = saved_rows(db, last[0], CHUNK)
            if read_to == last[0]:
                return
            last.append(read_to)
            yield rows

    def keep(_count: int, changes: list[Change]) -> bool:
        nonlocal done
        with services.store.session() as db:
            done = min(total, done + _rows(db, last[-2], last[-1]))
        last[:] = [last[-1]]
        part = [[name, lines] for name, lines in changes]
        outcome.append(
            services.jobs.save_chunk(
                job.id, owner, done=done, total=total, part=part, state={"after_id": last[0]}
            )
        )
        if stopping.is_set():
            raise Stopped
        return outcome[-1] == Next.GO_ON

    processes = services.settings.impact_processes or None
    impact_in_chunks(
        old,
        new,
        chunks(),
        keep,
        max_months=services.settings.max_rollout_months,
        sources=(sources[0], sources[1]),
        processes=processes,
        saved_plans=services.store.url,
    )
    if not outcome or outcome[-1] == Next.GO_ON:
        if not outcome:  # nothing (left) to read: no saved assessment, or the last chunk was saved
            services.jobs.save_chunk(
                job.id, owner, done=done, total=total, part=[], state={"after_id": after_id}
            )
        return JobStatus.DONE
    return JobStatus.CANCELLED if outcome[-1] == Next.CANCEL else None


def _rows(db: Any, after_id: int, to_id: int) -> int:
    """How many assessment rows lie in (after_id, to_id]: the progress a chunk made."""
    query = select(func.count(AssessmentRecord.id)).where(
        AssessmentRecord.id > after_id, AssessmentRecord.id <= to_id
    )
    return int(db.scalar(query) or 0)


Handler = Callable[[Services, Job, str, threading.Event], JobStatus | None]
HANDLERS: dict[str, Handler] = {IMPACT: _impact}


class Worker:
    """Claims jobs and runs them, one at a time, until stopped; renews each job's lease while it runs."""

    def __init__(self, services: Services, queue: JobQueue | None = None) -> None:
        self.services = services
        self.queue = queue or services.jobs
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> bool:
        """Claim one job and run it; False if there was none."""
        job = self.queue.claim(self.owner)
        if job is None:
            return False
        self._run(job)
        return True

    def _run(self, job: Job) -> None:
        event(log, "job.started", job=job.id, kind=job.kind, owner=self.owner, resumed_at=job.done)
        beating = threading.Event()
        beat = threading.Thread(
            target=self._beat, args=(job.id, beating), name=f"job-{job.id}-lease", daemon=True
        )
        beat.start()
        try:
            handler = HANDLERS.get(job.kind)
            if handler is None:
                raise ValueError(f"no worker knows the job kind {job.kind!r}")
            status = handler(self.services, job, self.owner, self.stopping)
        except Stopped:
            self.queue.release(job.id, self.owner)
            event(log, "job.released", job=job.id, owner=self.owner)
            return
        except Exception as exc:
            log.exception("job %s failed", job.id)
            self.queue.finish(job.id, self.owner, JobStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000])
            return
        finally:
            beating.set()
            beat.join()
        if status is not None:
            self.queue.finish(job.id, self.owner, status)
        event(log, "job.ended", job=job.id, status=status or "lost", owner=self.owner)

    def _beat(self, job_id: int, done: threading.Event) -> None:
        interval = self.queue.lease.total_seconds() / 3
        while not done.wait(interval):
            try:
                if not self.queue.beat(job_id, self.owner):
                    return
            except Exception:
                log.warning("could not renew the lease of job %s", job_id, exc_info=True)

    def run(self) -> None:
        """Work until `stop()`; a job under way when stopping goes back to the queue at its next chunk."""
        while not self.stopping.is_set():
            try:
                if self.run_once():
                    continue
            except Exception:
                log.warning("the job worker could not reach the queue", exc_info=True)
            self.stopping.wait(self.services.settings.job_poll_seconds)

    def start(self) -> Worker:
        """Run in a thread of this process (the site's embedded worker)."""
        self._thread = threading.Thread(target=self.run, name="advisor-job-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
