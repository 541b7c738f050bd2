"""Storage against both databases: migrations, answers kept in order, all-or-nothing saves."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import inspect

from advisor.migrate import upgrade
from advisor.store import AssessmentRecord, Store
from tests.web.conftest import make_user
from web import services

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

ANSWERS = {
    "version": 1,
    "organisation": {"name": "Åre & Co", "rollout_start": "2027-07"},
    "groups": [
        {"id": "b", "name": "Butik", "users": 3, "platforms": ["ios"]},
        {"id": "a", "name": "Ägare", "users": 1, "platforms": ["windows"]},
    ],
}


def test_migrations_create_the_schema_and_rerun_cleanly(app: Flask, database_url: str) -> None:
    upgrade(database_url)  # a second time: nothing to do
    tables = set(inspect(services(app).store.engine).get_table_names())
    assert {"users", "assessments", "login_counters", "alembic_version"} <= tables


def test_answers_come_back_exactly_as_saved(app: Flask) -> None:
    make_user(app, "anna")
    store = services(app).store
    with store.session() as db:
        owner = store.user_by_name(db, "anna")
        assert owner is not None
        record = AssessmentRecord(owner_id=owner.id, title="Å", answers=ANSWERS)
        db.add(record)
        db.flush()
        record_id = record.id
    with store.session() as db:
        loaded = db.get(AssessmentRecord, record_id)
        assert loaded is not None
        assert loaded.answers == ANSWERS
        assert loaded.updated_at.tzinfo is not None  # aware on SQLite too (UTCDateTime)
        assert list(loaded.answers["groups"][0]) == ["id", "name", "users", "platforms"]


def test_a_crash_in_the_middle_of_a_save_leaves_nothing_half_written(app: Flask) -> None:
    make_user(app, "anna")
    store = services(app).store

    def save_then_crash() -> None:
        with store.session() as db:
            owner = store.user_by_name(db, "anna")
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
