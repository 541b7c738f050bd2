"""The job queue, kept entirely in the database (no broker): a job is claimed by one worker at a
time under a lease the worker renews; a worker that stops renewing it loses the job to the next
one, which resumes from the last chunk the first one saved. Cancelling is a flag the worker
reads between chunks (a job still queued is cancelled at once)."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, or_, select, update

from advisor.store.database import Store
from advisor.store.tables import Job, JobStatus, now

FINISHED = frozenset({JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED})


class Next(StrEnum):
    """What a worker does after saving a chunk."""

    GO_ON = "go_on"
    CANCEL = "cancel"  # someone asked to cancel: the worker stops and marks the job cancelled
    LOST = "lost"  # the lease expired and another worker holds the job: stop, write nothing more


class JobQueue:
    """Submit, claim, checkpoint, finish and cancel jobs in the database at `store`."""

    def __init__(self, store: Store, lease_seconds: float) -> None:
        self.store = store
        self.lease = timedelta(seconds=lease_seconds)

    def submit(
        self, kind: str, parameters: dict[str, Any], user_id: int | None = None, supersedes: str | None = None
    ) -> int:
        """Queue a job; its id. With `supersedes`, the same user's jobs of this kind still waiting
        under that key (`parameters["key"]`) that were themselves submitted superseding (a
        preview) are cancelled first: a newer check of the same file replaces the older one
        rather than queueing behind it."""
        with self.store.session() as db:
            if supersedes is not None and user_id is not None:
                waiting = db.execute(
                    select(Job.id, Job.parameters).where(
                        Job.kind == kind, Job.user_id == user_id, Job.status == JobStatus.QUEUED
                    )
                ).all()
                same = [
                    id_
                    for id_, parameters in waiting
                    if (parameters or {}).get("key") == supersedes and (parameters or {}).get("preview")
                ]
                if same:  # only while still queued: one a worker claimed meanwhile runs on
                    db.execute(
                        update(Job)
                        .where(Job.id.in_(same), Job.status == JobStatus.QUEUED)
                        .values(status=JobStatus.CANCELLED, finished_at=now(), cancel_requested=True)
                        .execution_options(synchronize_session=False)
                    )
            job = Job(kind=kind, parameters=parameters, user_id=user_id, status=JobStatus.QUEUED, done=0)
            job.cancel_requested = False
            db.add(job)
            db.flush()
            return job.id

    def get(self, job_id: int) -> Job | None:
        with self.store.session() as db:
            return db.get(Job, job_id)

    def claim(self, owner: str) -> Job | None:
        """The oldest job waiting, or running under an expired lease, now held by `owner`; None
        if there is none. Atomic on both databases: PostgreSQL skips rows another worker is
        claiming (FOR UPDATE SKIP LOCKED); on either, the UPDATE takes the row only if it is still
        claimable, so of two workers racing for one job exactly one gets it."""
        moment = now()
        claimable = or_(
            Job.status == JobStatus.QUEUED,
            and_(Job.status == JobStatus.RUNNING, Job.heartbeat < moment - self.lease),
        )
        with self.store.session() as db:
            candidates = db.scalars(
                select(Job.id).where(claimable).order_by(Job.id).limit(5).with_for_update(skip_locked=True)
            ).all()
            for job_id in candidates:
                taken = db.execute(
                    update(Job)
                    .where(Job.id == job_id, claimable)
                    .values(status=JobStatus.RUNNING, owner=owner, heartbeat=moment)
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount == 1:  # type: ignore[attr-defined]  # a DML result has a rowcount
                    job = db.get(Job, job_id)
                    assert job is not None  # noqa: S101 - just updated
                    if job.started_at is None:
                        job.started_at = moment
                    return job
        return None

    def beat(self, job_id: int, owner: str) -> bool:
        """Renew the lease; False if `owner` no longer holds the job."""
        with self.store.session() as db:
            renewed = db.execute(
                update(Job)
                .where(Job.id == job_id, Job.owner == owner, Job.status == JobStatus.RUNNING)
                .values(heartbeat=now())
                .execution_options(synchronize_session=False)
            )
            return bool(renewed.rowcount == 1)  # type: ignore[attr-defined]  # a DML result has a rowcount

    def save_chunk(
        self, job_id: int, owner: str, *, done: int, total: int, part: list[Any], state: dict[str, Any]
    ) -> Next:
        """Keep a chunk's part of the result and where the next chunk starts, in one transaction,
        if `owner` still holds the job; then say whether to go on."""
        with self.store.session() as db:
            job = db.scalars(select(Job).where(Job.id == job_id).with_for_update()).one_or_none()
            if job is None or job.owner != owner or job.status != JobStatus.RUNNING:
                return Next.LOST
            job.result = [*(job.result or []), *part]
            job.done, job.total, job.state, job.heartbeat = done, total, state, now()
            return Next.CANCEL if job.cancel_requested else Next.GO_ON

    def finish(self, job_id: int, owner: str, status: JobStatus, error: str | None = None) -> bool:
        """Mark the job done, failed or cancelled, if `owner` still holds it."""
        with self.store.session() as db:
            ended = db.execute(
                update(Job)
                .where(Job.id == job_id, Job.owner == owner, Job.status == JobStatus.RUNNING)
                .values(status=status, error=error, finished_at=now(), owner=None)
                .execution_options(synchronize_session=False)
            )
            return bool(ended.rowcount == 1)  # type: ignore[attr-defined]  # a DML result has a rowcount

    def cancel(self, job_id: int) -> Job | None:
        """Ask the job to stop: a queued job is cancelled at once, a running one between two chunks,
        a finished one stays as it ended. None if there is no such job."""
        with self.store.session() as db:
            db.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
                .values(status=JobStatus.CANCELLED, finished_at=now(), cancel_requested=True)
                .execution_options(synchronize_session=False)
            )
            db.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                .values(cancel_requested=True)
                .execution_options(synchronize_session=False)
            )
            return db.get(Job, job_id)

    def release(self, job_id: int, owner: str) -> None:
        """Put a running job back in the queue (its worker is stopping): the next worker resumes it
        from its last chunk at once, without waiting for the lease to expire."""
        with self.store.session() as db:
            db.execute(
                update(Job)
                .where(Job.id == job_id, Job.owner == owner, Job.status == JobStatus.RUNNING)
                .values(status=JobStatus.QUEUED, owner=None, heartbeat=None)
                .execution_options(synchronize_session=False)
            )
