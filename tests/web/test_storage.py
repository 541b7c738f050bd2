"""Storage against both databases: migrations, answers kept in order, all-or-nothing saves."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from advisor.store.accounts import user_by_name
from advisor.store.assessments import (
    StaleRevision,
    add_version,
    delete_assessment,
    lock_at_revision,
    rename_assessment,
    versions,
)
from advisor.store.database import Store
from advisor.store.migrate import upgrade
from advisor.store.tables import AssessmentRecord, User, VersionKind
from tests.web.conftest import make_user
from web.extensions import services

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

ANSWERS = {
    "version": 1,
    "organisation": {"name": "Åre & Co", "rollout_start": "2027-07"},
    "groups": [
        {"id": "b", "name": "Butik", "users": 3, "platforms": ["ios"]},
        {"id": "a", "name": "Ägare", "users": 1, "platforms": ["windows"]},
    ],
}


@dataclass
class Saved:
    """An assessment of anna's, saved through the store at revision 1 with no version yet."""

    store: Store
    owner: User
    id: int


@pytest.fixture
def saved(app: Flask) -> Saved:
    make_user(app, "anna")
    store = services(app).store
    with store.session() as db:
        owner = user_by_name(db, "anna")
        assert owner is not None
        record = AssessmentRecord(owner_id=owner.id, title="T", answers=ANSWERS)
        db.add(record)
        db.flush()
        return Saved(store, owner, record.id)


def test_migrations_create_the_schema_and_rerun_cleanly(app: Flask, database_url: str) -> None:
    upgrade(database_url)  # a second time: nothing to do
    tables = set(inspect(services(app).store.engine).get_table_names())
    assert {"users", "assessments", "login_counters", "alembic_version"} <= tables


def test_answers_come_back_exactly_as_saved(saved: Saved) -> None:
    with saved.store.session() as db:
        loaded = db.get(AssessmentRecord, saved.id)
        assert loaded is not None
        assert loaded.answers == ANSWERS
        assert loaded.updated_at.tzinfo is not None  # aware on SQLite too (UTCDateTime)
        assert list(loaded.answers["groups"][0]) == ["id", "name", "users", "platforms"]


def test_a_crash_in_the_middle_of_a_save_leaves_nothing_half_written(app: Flask) -> None:
    make_user(app, "anna")
    store = services(app).store

    def save_then_crash() -> None:
        with store.session() as db:
            owner = user_by_name(db, "anna")
            assert owner is not None
            db.add(AssessmentRecord(owner_id=owner.id, title="half", answers=ANSWERS))
            db.flush()
            raise RuntimeError("the process died here")

    with pytest.raises(RuntimeError):
        save_then_crash()
    with store.session() as db:
        assert db.query(AssessmentRecord).count() == 0


def test_the_store_reaches_the_database(app: Flask) -> None:
    assert services(app).store.ping()
    second = Store(services(app).store.url)
    try:
        assert second.ping()
    finally:
        second.engine.dispose()


def test_a_stale_revision_writes_nothing_and_says_where_the_assessment_is(saved: Saved) -> None:
    store, owner, assessment_id = saved.store, saved.owner, saved.id
    with store.session() as db:
        add_version(db, assessment_id, owner, ANSWERS, VersionKind.EDIT, None, None, expected_revision=1)
    stale_writes: list[Callable[[Session], object]] = [
        lambda db: add_version(
            db, assessment_id, owner, {}, VersionKind.EDIT, None, None, expected_revision=1
        ),
        lambda db: rename_assessment(db, assessment_id, "Other", 1),
        lambda db: delete_assessment(db, assessment_id, 1),
        lambda db: lock_at_revision(db, assessment_id, 2**40),
    ]
    for write in stale_writes:
        with pytest.raises(StaleRevision) as caught, store.session() as db:
            write(db)
        assert (caught.value.assessment_id, caught.value.current) == (assessment_id, 2)
    with store.session() as db:
        lock_at_revision(db, assessment_id, 2)  # a review action checks, and leaves the revision
        stored = db.get(AssessmentRecord, assessment_id)
        assert stored is not None
        assert (stored.revision, stored.title, stored.answers) == (2, "T", ANSWERS)
        assert [v.number for v in versions(db, assessment_id)] == [1]


def test_of_writers_racing_from_one_revision_exactly_one_wins(saved: Saved) -> None:
    """Real threads, each with its own connection, released together against the database."""
    store, owner, assessment_id = saved.store, saved.owner, saved.id
    writers, rounds = 4, 8
    outcomes: list[str] = []
    for round_ in range(rounds):
        barrier = threading.Barrier(writers)
        results: list[str] = []

        def write(
            n: int,
            revision: int = round_ + 1,
            barrier: threading.Barrier = barrier,
            results: list[str] = results,
        ) -> None:
            barrier.wait(timeout=30)
            try:
                with store.session() as db:
                    answers = {**ANSWERS, "writer": n}
                    add_version(
                        db,
                        assessment_id,
                        owner,
                        answers,
                        VersionKind.EDIT,
                        None,
                        None,
                        expected_revision=revision,
                    )
                results.append("won")
            except StaleRevision:
                results.append("stale")
            except Exception as exc:  # any other failure is what this test is about
                results.append(type(exc).__name__)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        outcomes.append(" ".join(sorted(results)))
    assert outcomes == ["stale stale stale won"] * rounds
    with store.session() as db:
        assert [v.number for v in versions(db, assessment_id)] == list(range(1, rounds + 1))
