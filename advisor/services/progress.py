"""Enrollment progress: the users and devices exports measured against the assessment's plan, and
kept as figures so that the trend shows.

Rights: recording an upload is the rollout under way, as a go/no-go decision is: the author, or a
reviewer or admin who sees the assessment (`may_decide`). The history is shown to anyone who may
see the assessment. The exports are read as streams while the request runs and dropped when it
ends: only the `Progress` (counts per phase, group and gate) is stored, with who uploaded it, when,
and the version of the answers whose plan it was measured against. A refused file raises the
reader's FileRefused (or MissingColumns) before anything is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import BinaryIO

from sqlalchemy import delete, select

from advisor.directory.errors import KINDS, Kind
from advisor.directory.progress import Progress, ProgressSettings, measure
from advisor.directory.reading import read_devices, read_users
from advisor.model.errors import NotAllowed
from advisor.model.facts import Assessment
from advisor.model.plan import Plan
from advisor.services.assessments import stored_plan, visible
from advisor.services.directory import check_mapping, remembered, to_remember
from advisor.services.gates import may_decide
from advisor.services.logs import event
from advisor.services.review import Incomplete, Missing
from advisor.services.runtime import Services
from advisor.store.assessments import latest_version
from advisor.store.directory import remember_mapping
from advisor.store.tables import AssessmentRecord, ProgressSnapshot, User

log = logging.getLogger("advisor.progress")
MAX_SNAPSHOTS = 1000  # the history an assessment keeps; the oldest go first past it


@dataclass(frozen=True)
class Snapshot:
    """One upload's figures, as the history shows them."""

    id: int
    created_at: datetime
    by: str | None  # the user name of whoever uploaded it (None: that account is gone)
    version_number: int
    progress: Progress


def may_record(actor: User, record: AssessmentRecord) -> bool:
    return may_decide(actor, record)


def current_plan(record: AssessmentRecord) -> tuple[Assessment, Plan]:
    """The answers and the plan accepted with them; Incomplete when there is no plan yet."""
    plans = record.plan or {}
    language = "en" if "en" in plans else next(iter(plans), "en")
    plan = stored_plan(plans, language)
    if plan is None:
        raise Incomplete(Missing.PLAN)
    return Assessment.model_validate(record.answers), plan


def record_progress(
    services: Services,
    actor: User,
    assessment_id: int,
    users: BinaryIO,
    devices: BinaryIO,
    *,
    today: date | None = None,
    users_mapping: Mapping[str, str] | None = None,
    devices_mapping: Mapping[str, str] | None = None,
) -> Snapshot:
    """Measure the uploaded exports against the current plan and keep the figures. `today`: the
    day enrollment is judged on (the server's date, in UTC, unless given)."""
    record = visible(services, actor, assessment_id)
    if not may_record(actor, record):
        raise NotAllowed(f"you may not record enrollment progress for assessment {assessment_id}")
    assessment, plan = current_plan(record)
    day = today or datetime.now(UTC).date()
    # Columns mapped now, over those this person mapped before (for an import or a measure: the
    # exports are the same); remembered once the measure succeeds, as the import remembers them.
    given: dict[Kind, dict[str, str]] = {
        "users": {k: v for k, v in (users_mapping or {}).items() if v},
        "devices": {k: v for k, v in (devices_mapping or {}).items() if v},
    }
    check_mapping(given)
    before = remembered(services, actor)
    headers: dict[Kind, list[str]] = {kind: [] for kind in KINDS}
    progress = measure(
        assessment,
        plan,
        read_users(users, {**before["users"], **given["users"]}, "users file", headers["users"]),
        read_devices(devices, {**before["devices"], **given["devices"]}, "devices file", headers["devices"]),
        today=day,
        settings=ProgressSettings.from_rulebook(services.engine.rulebook),
    )
    with services.store.session() as db:
        for kind in KINDS:
            kept = to_remember(given[kind], headers[kind])
            if kept:
                remember_mapping(db, actor.id, kind, kept)
        latest = latest_version(db, assessment_id)
        snapshot = ProgressSnapshot(
            assessment_id=assessment_id,
            user_id=actor.id,
            version_number=latest.number if latest else 0,
            rulebook_version=record.rulebook_version,
            measured_on=progress.measured_on,
            progress=progress.model_dump(mode="json"),
        )
        db.add(snapshot)
        db.flush()
        oldest = list(
            db.scalars(
                select(ProgressSnapshot.id)
                .where(ProgressSnapshot.assessment_id == assessment_id)
                .order_by(ProgressSnapshot.id.desc())
                .offset(MAX_SNAPSHOTS)
            )
        )
        if oldest:
            db.execute(delete(ProgressSnapshot).where(ProgressSnapshot.id.in_(oldest)))
        made = Snapshot(snapshot.id, snapshot.created_at, actor.username, snapshot.version_number, progress)
    event(
        log,
        "progress.recorded",
        assessment_id=assessment_id,
        snapshot=made.id,
        users_read=progress.users_read,
        devices_read=progress.devices_read,
        enrolled=progress.enrolled,
        behind=len(progress.behind),
        user_id=actor.id,
    )
    return made


def latest_progress(services: Services, actor: User, assessment_id: int) -> Snapshot | None:
    """The newest upload's figures (the plan's and the review's pages show it): one row read."""
    visible(services, actor, assessment_id)
    with services.store.session() as db:
        row = db.execute(
            select(ProgressSnapshot, User.username)
            .outerjoin(User, User.id == ProgressSnapshot.user_id)
            .where(ProgressSnapshot.assessment_id == assessment_id)
            .order_by(ProgressSnapshot.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        s, name = row
        return Snapshot(s.id, s.created_at, name, s.version_number, Progress.model_validate(s.progress))


def progress_history(services: Services, actor: User, assessment_id: int) -> list[Snapshot]:
    """Every upload's figures, oldest first."""
    visible(services, actor, assessment_id)
    with services.store.session() as db:
        rows = db.execute(
            select(ProgressSnapshot, User.username)
            .outerjoin(User, User.id == ProgressSnapshot.user_id)
            .where(ProgressSnapshot.assessment_id == assessment_id)
            .order_by(ProgressSnapshot.id)
        ).all()
        return [
            Snapshot(s.id, s.created_at, name, s.version_number, Progress.model_validate(s.progress))
            for s, name in rows
        ]
