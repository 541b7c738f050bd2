"""The running rulebook, from the database: every process adopts the version the database holds.

The database is the rulebook's source of truth while the site runs (rule files and scenarios, as
people name them: "calendar.yaml", "scenarios/x.yaml"); an empty database is seeded from the rule
folder on first start. Each server process polls the head row (one primary-key read) in a
background thread, never on a request's time, and on PostgreSQL also LISTENs for the NOTIFY a
change sends, to wake at once. A new version is built and swapped in atomically (evaluations
under way finish on the old one); a version that does not load keeps the last good rulebook, and
admins see what was refused and why. Every version in the database was checked (validated,
linted, its scenarios run) before its commit, so a reload only builds it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from advisor.evaluate.engine import Engine
from advisor.model.errors import EngineError, Finding, RulebookError
from advisor.quality.scenarios import scenario_files
from advisor.rulebook import Rulebook
from advisor.rulebook.files import NAME, last_good, remember
from advisor.rulebook.loader import build_rulebook, read_folder
from advisor.services.logs import event
from advisor.settings import Settings
from advisor.store.database import Store
from advisor.store.rules import CHANNEL, head, rulebook_files, seed

log = logging.getLogger("advisor.reload")
MIN_INTERVAL = 0.01  # an interval of 0 (tests) still yields the processor between looks
LABEL = "rules"  # how findings about the rulebook as a whole name it
SCENARIOS = "scenarios"


def is_rule_file(name: str) -> bool:
    return "/" not in name


def rule_sources(files: Mapping[str, str]) -> dict[str, bytes]:
    """The rule files among a rulebook's files, as the loader takes them."""
    return {name: content.encode("utf-8") for name, content in files.items() if is_rule_file(name)}


def build(files: Mapping[str, str]) -> Rulebook:
    """The rulebook of the database's files (RulebookError if it does not load)."""
    return build_rulebook(rule_sources(files), label=LABEL)


def folder_files(folder: Path) -> dict[str, str]:
    """A rule folder's files as the database keeps them: the rule files (read until they hold
    still) and the scenarios under scenarios/. RulebookError if a file is not UTF-8 text."""
    files: dict[str, str] = {}
    for where, content in read_folder(folder).items():
        files[Path(where).name] = _text(Path(where).name, content)
    for path in scenario_files(Path(folder) / SCENARIOS):
        files[f"{SCENARIOS}/{path.name}"] = _text(f"{SCENARIOS}/{path.name}", path.read_bytes())
    for name in files:
        if not NAME.match(name.rpartition("/")[2]):
            raise RulebookError(
                [Finding(name, None, None, "not a rule file name (a-z, 0-9, - and _, .yaml)")]
            )
    return files


def _text(name: str, content: bytes) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise RulebookError([Finding(name, None, None, "not UTF-8 text")]) from None


def seed_from_folder(store: Store, folder: Path) -> bool:
    """Store the folder's rulebook if the database holds none yet; True if this process did. Of
    several processes starting at once on an empty database exactly one seeds (the head row's
    key decides); a folder that does not load stops start-up here (RulebookError)."""
    with store.session() as db:
        if head(db) is not None:
            return False
    files = folder_files(folder)
    version = build(files).version
    try:
        with store.session() as db:
            seed(db, files, version)
    except IntegrityError:  # another process seeded first: its rulebook stands
        return False
    event(log, "rules.seeded", folder=str(folder), version=version, files=len(files))
    return True


def read_rulebook(store: Store) -> tuple[int, dict[str, str]]:
    """The head's serial and the files. The head is read first: the files are at least as new
    as the serial says (a save based on it is refused if it is older than the files it saw)."""
    with store.session() as db:
        current = head(db)
        if current is None:
            raise RulebookError([Finding(LABEL, None, None, "the database holds no rulebook")])
        return current.serial, rulebook_files(db)


def startup_rulebook(settings: Settings, store: Store) -> tuple[Rulebook, list[Finding], int]:
    """The database's rulebook (seeded from the rule folder if it holds none), kept as the last
    good one, with the head's serial. If it does not load, the last good rulebook this instance
    ran, with the refusal for the admins: a process that starts while a broken version is in the
    database (a recycled worker) must not take the site down. With no last good rulebook, start-up
    stops here, never a request."""
    seed_from_folder(store, settings.rules_dir)
    serial, files = read_rulebook(store)
    try:
        rulebook = build(files)
    except RulebookError as exc:
        kept = last_good(settings.instance_dir)
        if kept is None:
            raise
        running = build_rulebook(kept, label=LABEL)
        event(
            log,
            "rules.refused",
            level=logging.WARNING,
            running=running.version,
            findings=[str(f) for f in exc.errors],
            at_start=True,
        )
        return running, exc.errors, serial
    remember(settings.instance_dir, rule_sources(files))
    return rulebook, [], serial


@dataclass
class RuleWatcher:
    """Adopts the database's rulebook in this process: polls the head, and listens on PostgreSQL."""

    settings: Settings
    store: Store
    engine: Engine
    serial: int  # the head this process has adopted (or refused)
    interval: float = 0.5
    error: list[Finding] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None
    _pid: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _wake: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        """Watch from a thread of this process; cheap when it runs already. Called on each request,
        so that a forked worker starts its own (a parent's threads do not survive a fork); the
        first call in a process looks once before it returns, so that a worker that was idle
        while the rulebook changed never serves its first request on the old one."""
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            fresh = self._pid != os.getpid()
            self._pid, self._stop, self._wake = os.getpid(), threading.Event(), threading.Event()
            self._thread = threading.Thread(target=self._watch, name="rule-watcher", daemon=True)
            self._thread.start()
            if self.store.engine.dialect.name == "postgresql":
                threading.Thread(target=self._listen, name="rule-listener", daemon=True).start()
        if fresh:
            self._look()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(timeout=10)

    def _watch(self) -> None:
        stop, wake = self._stop, self._wake
        while not stop.is_set():
            wake.wait(max(self.interval, MIN_INTERVAL))
            wake.clear()
            if not stop.is_set():
                self._look()

    def _look(self) -> None:
        try:
            self.poll()
        except Exception:  # a watcher that dies would leave the process on old rules silently
            event(log, "rules.watch_failed", level=logging.ERROR, exc_info=True)

    def _listen(self) -> None:
        """Wake the watcher whenever a change is committed (PostgreSQL's NOTIFY); the poll stays
        the guarantee, so a lost connection only costs the wait until the next look."""
        import psycopg  # only on PostgreSQL

        stop, wake = self._stop, self._wake
        dsn = make_url(self.store.url).set(drivername="postgresql").render_as_string(hide_password=False)
        while not stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    while not stop.is_set():
                        for _notice in connection.notifies(timeout=1.0, stop_after=1):
                            wake.set()
            except psycopg.Error:
                event(log, "rules.listen_failed", level=logging.WARNING, exc_info=True)
                stop.wait(max(self.interval, 1.0))

    def poll(self) -> bool:
        """One look at the head; a new serial is adopted (or refused) at once. True if it was new."""
        with self._lock:
            with self.store.session() as db:
                current = head(db)
                if current is None or current.serial == self.serial:
                    return False
                files = rulebook_files(db)
            self.serial = current.serial
            sources = rule_sources(files)
            try:
                rulebook = build_rulebook(sources, label=LABEL)
            except RulebookError as exc:
                self._refuse(exc.errors)
                return True
            self._run(rulebook, sources)
            return True

    def _run(self, rulebook: Rulebook, sources: Mapping[str, bytes]) -> None:
        """Swap the rulebook in; if the engine cannot build it, keep the old one and say why."""
        if rulebook.version != self.engine.rulebook.version:
            previous = self.engine.rulebook.version
            try:
                self.engine.reload(rulebook)
            except EngineError as exc:
                event(log, "engine.error", level=logging.ERROR, exc_info=True, rulebook=rulebook.version)
                self._refuse([Finding(rulebook.label, None, None, f"the engine cannot run it: {exc}")])
                return
            event(log, "rules.reloaded", version=rulebook.version, previous=previous)
            try:  # what a process starting while the database's version is broken will run
                remember(self.settings.instance_dir, sources)
            except OSError:
                event(log, "rules.not_kept", level=logging.ERROR, exc_info=True, version=rulebook.version)
        self.error = []

    def _refuse(self, findings: list[Finding]) -> None:
        # Log before publishing: whoever waits on `error` (a health check, a test) finds the line.
        event(
            log,
            "rules.refused",
            level=logging.WARNING,
            running=self.engine.rulebook.version,
            findings=[str(f) for f in findings],
        )
        self.error = findings

    def adopt(self, rulebook: Rulebook, serial: int, files: Mapping[str, str]) -> None:
        """Run a rulebook that was just checked and committed here (as head `serial`, its rule
        files among `files`), without loading it again."""
        with self._lock:
            if serial > self.serial:
                self.serial = serial
                self._run(rulebook, rule_sources(files))
