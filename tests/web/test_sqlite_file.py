"""The SQLite database holds password and token hashes: only its owner may read it (issue 9,
item 10). It was created with the umask's mode, 0644 (world-readable), and so were -wal and -shm."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from advisor.services.accounts import create_user
from advisor.settings import Settings
from advisor.store.database import Store
from advisor.store.migrate import upgrade
from tests.web.conftest import make_user
from web import create_app
from web.extensions import services


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask of most installations (022), whatever the test runner's is."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _modes(database: Path) -> dict[str, str]:
    files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    return {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files if p.exists()}


def test_the_default_database_file_and_its_wal_are_private(tmp_path: Path) -> None:
    settings = Settings(instance_dir=tmp_path / "instance", secure_cookies=False, secret_key="k")
    app = create_app(settings, {"TESTING": True})
    try:
        make_user(app, "anna")  # a write: the -wal and -shm files exist while connections are open
        modes = _modes(tmp_path / "instance" / "advisor.db")
        assert set(modes) == {"advisor.db", "advisor.db-wal", "advisor.db-shm"}
        assert set(modes.values()) == {"0o600"}, modes
    finally:
        services(app).close()


@pytest.mark.parametrize("first", ["upgrade", "store"])
def test_a_database_file_named_in_the_url_is_created_private(tmp_path: Path, first: str) -> None:
    database = tmp_path / "named.db"
    url = f"sqlite:///{database}"
    if first == "upgrade":
        upgrade(url)
    store = Store(url)
    try:
        if first == "store":
            with store.engine.connect():
                pass
            upgrade(url)
        with store.session() as db:
            create_user(store, db, "bo", "correct horse battery", "respondent")
        modes = _modes(database)
        assert set(modes.values()) == {"0o600"}, modes
    finally:
        store.engine.dispose()


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    database = tmp_path / "shared.db"
    database.touch(mode=0o640)
    database.chmod(0o640)
    upgrade(f"sqlite:///{database}")
    assert stat.S_IMODE(database.stat().st_mode) == 0o640
