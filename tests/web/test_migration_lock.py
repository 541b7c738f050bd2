"""Migrations run once, by one process, when two instances start at once (`advisor db upgrade`,
the gunicorn master and each site process all take the migration lock around Alembic)."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from advisor.store.migrate import head, migration_lock, sqlite_lock_file, upgrade
from advisor.store.tables import Base
from tests.conftest import ROOT

_numbers = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all, as a first deployment finds it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'advisor.db'}"
        return
    server: str = request.getfixturevalue("postgres")
    name = f"advisor_empty_{os.getpid()}_{next(_numbers)}"
    admin = create_engine(server.format(db="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield server.format(db=name)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _waiting(url: str, pids: set[int]) -> int:
    """How many of these processes are blocked on the migration lock right now."""
    if make_url(url).get_backend_name() == "postgresql":
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                return int(
                    connection.execute(
                        text(
                            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                        )
                    ).scalar_one()
                )
        finally:
            engine.dispose()
    lock_file = sqlite_lock_file(url)
    assert lock_file is not None
    inode = lock_file.stat().st_ino
    blocked = 0
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "->" in fields:  # a request waiting behind the lock's holder
            pid, device = int(fields[5]), fields[6]
            if pid in pids and int(device.rsplit(":", 1)[1]) == inode:
                blocked += 1
    return blocked


def _start_upgrade(url: str, tmp_path: Path, number: int) -> subprocess.Popen[str]:
    env = {**os.environ, "ADVISOR_DATABASE_URL": url, "ADVISOR_INSTANCE_DIR": str(tmp_path / f"i{number}")}
    return subprocess.Popen(
        [sys.executable, "-m", "advisor.cli", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_upgrading_a_fresh_database_at_once_migrate_it_once(
    empty_database: str, tmp_path: Path
) -> None:
    """Both processes are made to wait on the lock (the test holds it), then let go at the same
    moment: one migrates, the other finds the schema at head; both succeed."""
    url = empty_database
    with migration_lock(url):
        processes = [_start_upgrade(url, tmp_path, number) for number in (1, 2)]
        pids = {process.pid for process in processes}
        deadline = time.monotonic() + 120  # a safety net for a broken run, not a measurement
        while _waiting(url, pids) < 2:
            assert all(process.poll() is None for process in processes), [p.communicate() for p in processes]
            assert time.monotonic() < deadline, "the two upgrades never both waited for the lock"
            time.sleep(0.1)
    results = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], results
    target = head()
    firsts = sorted(out.splitlines()[0] for out, _ in results)
    assert firsts == [
        f"database already at {target}: nothing to do",
        f"database migrated from empty to {target}",
    ]
    # Then each makes sure someone can log in: one of them creates the first admin.
    assert sum("First start: log in as 'admin' with the password " in out for out, _ in results) == 1
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [
                target
            ]
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()


def test_two_processes_starting_together_both_succeed(empty_database: str, tmp_path: Path) -> None:
    """No one holds the lock first: whichever comes first migrates."""
    processes = [_start_upgrade(empty_database, tmp_path, number) for number in (1, 2)]
    results = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], results
    assert sum("migrated from empty" in out for out, _ in results) == 1
    assert sum("First start" in out for out, _ in results) == 1  # one first admin, whoever made it
    assert upgrade(empty_database).ran is False  # already at head
