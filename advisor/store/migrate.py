"""Bring a database to the newest schema with the migrations shipped in the package: once, by one
process, however many instances start at the same moment.

Every caller (`advisor db upgrade`, the gunicorn master, each process opening the site) goes
through `upgrade`, which holds a lock around Alembic's upgrade: on PostgreSQL a session advisory
lock, on SQLite an exclusive file lock beside the database file. The second process waits for the
first, then finds the schema at head and has nothing to do."""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from advisor.settings import private_sqlite_file

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# The one PostgreSQL advisory lock every migrating process asks for (any fixed 64-bit number;
# advisory locks belong to one database, so other databases on the server are not held up).
ADVISORY_LOCK = 0x61_64_76_69_73_6F_72_31  # "advisor1"
LOCK_SUFFIX = ".migrate-lock"  # SQLite: the lock file is the database file's name with this after it

log = logging.getLogger("advisor.migrate")


@dataclass(frozen=True)
class Migration:
    """What one upgrade found and left: Alembic revisions (None: an empty database)."""

    before: str | None
    after: str | None

    @property
    def ran(self) -> bool:
        return self.before != self.after


def head() -> str | None:
    """The newest revision the package ships."""
    return ScriptDirectory.from_config(_config("sqlite://")).get_current_head()


def upgrade(url: str) -> Migration:
    """Migrate the database to head under the migration lock; what it was before and after."""
    private_sqlite_file(url)  # the first connection would create it world-readable
    with migration_lock(url):
        before = current_revision(url)
        if before != head():
            command.upgrade(_config(url), "head")
        return Migration(before, current_revision(url))


def current_revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


@contextmanager
def migration_lock(url: str) -> Iterator[None]:
    """Hold the database's migration lock for the block, waiting for whoever holds it now."""
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        with _advisory_lock(url):
            yield
    elif backend == "sqlite" and (lock_file := sqlite_lock_file(url)) and lock_file.parent.is_dir():
        with _file_lock(lock_file):
            yield
    else:  # an in-memory SQLite database belongs to one process; a missing folder SQLite reports
        yield


def sqlite_lock_file(url: str) -> Path | None:
    """The lock file of a SQLite database file (None for an in-memory database)."""
    parsed = make_url(url)
    database = parsed.database
    if not database or database == ":memory:" or parsed.query.get("mode") == "memory":
        return None
    return Path(f"{database.removeprefix('file:').split('?', 1)[0]}{LOCK_SUFFIX}")


@contextmanager
def _advisory_lock(url: str) -> Iterator[None]:
    # A session lock on a connection of its own: Alembic migrates on another connection, in its
    # own transaction, and the lock outlives that transaction until it is released here.
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK})
            if not taken.scalar():
                log.info("waiting for another process to finish migrating the database")
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK})
    finally:
        engine.dispose()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    # The file stays after the lock is released: removing it would let a third process lock a new
    # file while a second still waits on the old one. The kernel drops the lock if we die.
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("waiting for another process to finish migrating the database")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


def _config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
