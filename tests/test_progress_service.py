"""Recording enrollment progress in the core services: who may, what is kept (figures only), the
history, and bad files refused with nothing stored."""

from __future__ import annotations

import copy
import io
import logging
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select, text

from advisor.directory.errors import FileRefused
from advisor.directory.progress import Progress
from advisor.model.errors import NotAllowed
from advisor.model.facts import Assessment
from advisor.services.assessments import AssessmentNotFound, create
from advisor.services.progress import latest_progress, progress_history, record_progress
from advisor.services.runtime import Services
from advisor.store.tables import Base, ProgressSnapshot, User, VersionKind
from tests.conftest import ROOT, account
from tests.progress_data import generate

CONTOSO: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
UNDER_WAY: dict[str, Any] = copy.deepcopy(CONTOSO)
UNDER_WAY["organisation"]["rollout_start"] = "2026-03"
TODAY = date(2026, 4, 15)


@pytest.fixture
def anna(instance: Services) -> User:
    return account(instance, "anna")


def _new(instance: Services, owner: User) -> int:
    return create(instance, owner, "Contoso", copy.deepcopy(UNDER_WAY), VersionKind.EDIT, "plan")


def _record(instance: Services, actor: User, assessment_id: int, users: bytes, devices: bytes) -> Any:
    return record_progress(
        instance, actor, assessment_id, io.BytesIO(users), io.BytesIO(devices), today=TODAY
    )


def test_an_upload_is_measured_and_kept_as_figures(instance: Services, anna: User) -> None:
    assessment_id = _new(instance, anna)
    data = generate(Assessment.model_validate(UNDER_WAY), TODAY, share={"sales-marketing": 0.6})
    made = _record(instance, anna, assessment_id, data.users_csv, data.devices_csv)
    enrolled = {g.group: g.enrolled for g in made.progress.groups}
    # The generated enrolled devices of each group (executives' have none), IT's poured into the
    # pilots.
    assert enrolled == {**{g: 0 for g in enrolled}, **dict(data.enrolled)}
    assert made.progress.unmatched.users_disabled == 7
    assert made.progress.unmatched.users_guest == 4
    assert made.progress.unmatched.users_in_no_group == 9
    assert made.progress.unmatched.devices_without_user == 5
    assert made.progress.unmatched.devices_other_platform == 1
    assert made.progress.unmatched.devices_of_left_out_users == 7  # the disabled accounts' phones
    assert made.progress.unmatched.devices_user_not_found == 0
    assert (made.by, made.version_number) == ("anna", 1)
    history = progress_history(instance, anna, assessment_id)
    assert [s.id for s in history] == [made.id]
    assert history[0].progress == made.progress


def test_the_history_keeps_every_upload_in_order(instance: Services, anna: User) -> None:
    assessment_id = _new(instance, anna)
    assessment = Assessment.model_validate(UNDER_WAY)
    first = generate(assessment, TODAY, share={"sales-marketing": 0.3})
    later = generate(assessment, TODAY, seed=2, share={"sales-marketing": 0.8})
    _record(instance, anna, assessment_id, first.users_csv, first.devices_csv)
    _record(instance, anna, assessment_id, later.users_csv, later.devices_csv)
    rates = [
        next(g.enrolled for g in s.progress.groups if g.group == "sales-marketing")
        for s in progress_history(instance, anna, assessment_id)
    ]
    assert rates == [900, 2400]


def test_the_latest_measure_reads_the_newest_upload_only(
    instance: Services, anna: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan and review pages show the newest measure: they read one row, not the history."""
    assessment_id = _new(instance, anna)
    assert latest_progress(instance, anna, assessment_id) is None
    assessment = Assessment.model_validate(UNDER_WAY)
    for seed, share in ((1, 0.3), (2, 0.5), (3, 0.8)):
        data = generate(assessment, TODAY, seed=seed, share={"sales-marketing": share})
        made = _record(instance, anna, assessment_id, data.users_csv, data.devices_csv)
    read: list[object] = []
    validate = Progress.model_validate

    def counted(value: object) -> Progress:
        read.append(value)
        return validate(value)

    monkeypatch.setattr(Progress, "model_validate", counted)
    latest = latest_progress(instance, anna, assessment_id)
    assert latest is not None
    assert (latest.id, latest.progress, latest.by) == (made.id, made.progress, "anna")
    assert len(read) == 1


def test_who_may_record_and_who_may_see(instance: Services, anna: User) -> None:
    assessment_id = _new(instance, anna)
    data = generate(Assessment.model_validate(UNDER_WAY), TODAY, scale=0.1)
    other = account(instance, "bert")
    with pytest.raises(AssessmentNotFound):
        _record(instance, other, assessment_id, data.users_csv, data.devices_csv)
    with pytest.raises(AssessmentNotFound):
        progress_history(instance, other, assessment_id)
    lead = account(instance, "lead", "reviewer")
    made = _record(instance, lead, assessment_id, data.users_csv, data.devices_csv)
    assert made.by == "lead"
    assert len(progress_history(instance, anna, assessment_id)) == 1


def test_may_record_follows_the_gate_decisions_rights(
    instance: Services, anna: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    assessment_id = _new(instance, anna)
    data = generate(Assessment.model_validate(UNDER_WAY), TODAY, scale=0.1)
    monkeypatch.setattr("advisor.services.progress.may_decide", lambda actor, record: False)
    with pytest.raises(NotAllowed):
        _record(instance, anna, assessment_id, data.users_csv, data.devices_csv)
    assert _snapshots(instance) == 0


def _snapshots(instance: Services) -> int:
    with instance.store.session() as db:
        return len(list(db.scalars(select(ProgressSnapshot.id))))


@pytest.mark.parametrize(
    ("users", "devices", "code"),
    [
        ("devices", "devices", "devices_as_users"),
        ("users", "users", "users_as_devices"),
        ("users", "empty", "empty"),
        ("header", "devices", "no_rows"),
        ("utf16", "devices", None),  # UTF-16 as Excel saves it is read, not refused
        ("users", "xlsx", "workbook"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_kept(
    instance: Services, anna: User, users: str, devices: str, code: str | None
) -> None:
    assessment_id = _new(instance, anna)
    data = generate(Assessment.model_validate(UNDER_WAY), TODAY, scale=0.1)
    files = {
        "users": data.users_csv,
        "devices": data.devices_csv,
        "empty": b"",
        "header": data.users_csv.split(b"\r\n")[0] + b"\r\n",
        "utf16": data.users_csv.decode().encode("utf-16"),
        "xlsx": b"PK\x03\x04" + bytes(200),
    }
    if code is None:
        assert _record(instance, anna, assessment_id, files[users], files[devices]).progress.users_read > 0
        return
    with pytest.raises(FileRefused) as refused:
        _record(instance, anna, assessment_id, files[users], files[devices])
    assert refused.value.code == code
    assert _snapshots(instance) == 0


def test_nothing_personal_is_stored_or_logged(
    instance: Services, anna: User, caplog: pytest.LogCaptureFixture
) -> None:
    """The privacy test of this path: after an upload, no UPN, name or device name from the
    exports is in any column of any table, in the database file's bytes, or in the logs."""
    caplog.set_level(logging.DEBUG)
    assessment_id = _new(instance, anna)
    data = generate(Assessment.model_validate(UNDER_WAY), TODAY)
    _record(instance, anna, assessment_id, data.users_csv, data.devices_csv)
    bad = data.users_csv.replace(b"True", b"True,extra", 1)  # refused at a line: its message is logged
    with pytest.raises(FileRefused) as refused:
        _record(instance, anna, assessment_id, bad, data.devices_csv)
    logging.getLogger("test").warning("refused: %s", refused.value.format_message())
    stored = []
    with instance.store.session() as db:
        for table in Base.metadata.sorted_tables:
            for row in db.execute(text(f"SELECT * FROM {table.name}")):  # noqa: S608 - our own names
                stored.append(repr(tuple(row)))
    found = "\n".join(stored)
    raw = instance.settings.resolved_database_url.removeprefix("sqlite:///")
    database = b"".join(Path(p).read_bytes() for p in (raw, f"{raw}-wal") if Path(p).exists())
    logged = "\n".join(r.getMessage() + repr(getattr(r, "fields", "")) for r in caplog.records)
    assert "progress.recorded" in logged
    assert len(data.personal) > 3000
    for value in data.personal:
        assert value not in found, value
        assert value.encode() not in database, value
        assert value not in logged, value
