"""The tables of directory imports on both databases: the migration there and back, one waiting
proposal per assessment (replaced by the next, gone with its assessment), mappings per person."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from flask import Flask

from advisor.model.questionnaire import empty_draft
from advisor.services.assessments import create
from advisor.store import directory
from advisor.store.accounts import user_by_name
from advisor.store.assessments import delete_assessment
from advisor.store.migrate import MIGRATIONS
from advisor.store.tables import VersionKind
from tests.web.conftest import make_user
from web.extensions import services

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def _assessment(app: Flask, username: str) -> int:
    svc = services(app)
    with svc.store.session() as db:
        user = user_by_name(db, username)
    assert user is not None
    return create(svc, user, "Åby kommun", empty_draft("Åby kommun"), VersionKind.EDIT, "organisation")


def test_the_migration_goes_down_and_up_again(app: Flask, database_url: str) -> None:
    services(app).close()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.downgrade(config, "0008")
    engine = sa.create_engine(database_url)
    try:
        assert not {"directory_proposals", "column_mappings"} & set(sa.inspect(engine).get_table_names())
        command.upgrade(config, "head")
        assert {"directory_proposals", "column_mappings"} <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_one_waiting_proposal_per_assessment_replaced_and_deleted_with_it(app: Flask) -> None:
    make_user(app, "anna")
    first, second = _assessment(app, "anna"), _assessment(app, "anna")
    store = services(app).store
    with store.session() as db:
        user = user_by_name(db, "anna")
        assert user is not None
        directory.save_pending(db, first, user.id, {"groups": 1})
        directory.save_pending(db, second, user.id, {"groups": 2})
    with store.session() as db:
        row = directory.pending(db, first)
        assert row is not None
        assert directory.set_edits(db, first, row.token, [{"op": "rename"}])
        directory.save_pending(db, first, user.id, {"groups": 3})  # a new upload: edits start over
    with store.session() as db:
        row = directory.pending(db, first)
        assert row is not None
        assert row.proposal == {"groups": 3}
        assert row.edits == []
        delete_assessment(db, second, None)
    with store.session() as db:
        assert directory.pending(db, second) is None  # gone with its assessment
        assert directory.drop_pending(db, first)
        assert not directory.drop_pending(db, first)
        assert not directory.set_edits(db, first, "any", [])


def test_a_proposal_is_changed_or_dropped_only_by_its_current_token(app: Flask) -> None:
    make_user(app, "anna")
    first = _assessment(app, "anna")
    store = services(app).store
    with store.session() as db:
        user = user_by_name(db, "anna")
        assert user is not None
        shown = directory.save_pending(db, first, user.id, {"groups": 1}).token
    with store.session() as db:
        other = directory.save_pending(db, first, user.id, {"groups": 2}).token  # another tab's upload
    assert other != shown
    with store.session() as db:
        assert directory.set_edits(db, first, shown, [{"op": "rename"}]) is None
        assert not directory.drop_pending(db, first, shown)
        edited = directory.set_edits(db, first, other, [{"op": "rename"}])
        assert edited is not None
        assert edited != other  # each edit makes the token new
        assert directory.set_edits(db, first, other, []) is None  # an earlier state of it: stale
    with store.session() as db:
        row = directory.pending(db, first)
        assert row is not None
        assert row.proposal == {"groups": 2}
        assert len(row.edits) == 1
        assert directory.drop_pending(db, first, edited)


def test_a_proposal_left_waiting_too_long_is_deleted_when_read(app: Flask) -> None:
    from datetime import timedelta

    make_user(app, "anna")
    first = _assessment(app, "anna")
    store = services(app).store
    with store.session() as db:
        user = user_by_name(db, "anna")
        assert user is not None
        row = directory.save_pending(db, first, user.id, {"executive_titles": {"Chief Executive Officer": 1}})
        row.created_at = row.created_at - timedelta(days=8)
    with store.session() as db:
        assert directory.pending(db, first, timedelta(days=9)) is not None
        assert directory.pending(db, first, timedelta(days=7)) is None
    with store.session() as db:
        assert directory.pending(db, first) is None  # deleted, not only hidden


def test_mappings_are_remembered_per_person_and_kind(app: Flask) -> None:
    make_user(app, "anna")
    make_user(app, "bo")
    store = services(app).store
    with store.session() as db:
        anna, bo = user_by_name(db, "anna"), user_by_name(db, "bo")
        assert anna is not None
        assert bo is not None
        directory.remember_mapping(db, anna.id, "users", {"department": "Avdelning"})
    with store.session() as db:
        directory.remember_mapping(db, anna.id, "users", {"upn": "E-post"})
        directory.remember_mapping(db, anna.id, "devices", {"os": "Plattform"})
    with store.session() as db:
        assert directory.remembered_mapping(db, anna.id, "users") == {
            "department": "Avdelning",
            "upn": "E-post",
        }
        assert directory.remembered_mapping(db, anna.id, "devices") == {"os": "Plattform"}
        assert directory.remembered_mapping(db, bo.id, "users") == {}
