"""Live reload: rule files changed on disk become the running rulebook without a restart.

Each server process watches the folder in a background thread, never on a request's time: a
reload validates and lints the whole rulebook, which takes most of a second. A change is taken
only once it has held still for a whole interval (two looks agree) and the folder reads the same
twice (`read_folder`), so a file being rewritten in place is never run half-written. Only a
clean rulebook is swapped in (atomically: evaluations under way finish on the old one); a
refused folder keeps the last good rulebook, and admins see what was refused and why. Processes
that share the folder converge on the same version: the version is a hash of the content.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field

from advisor.evaluate.engine import Engine
from advisor.model.errors import EngineError, Finding, RulebookError
from advisor.quality.lint import lint
from advisor.rulebook import Rulebook, load_rulebook
from advisor.rulebook.files import fingerprint, remember
from advisor.rulebook.loader import read_folder, version_of
from advisor.services.logs import event
from advisor.settings import Settings

log = logging.getLogger("advisor.reload")
Fingerprint = tuple[tuple[str, int, int], ...]
MIN_INTERVAL = 0.01  # an interval of 0 (tests) still yields the processor between looks


@dataclass
class RuleWatcher:
    settings: Settings
    engine: Engine
    interval: float = 1.0
    error: list[Finding] = field(default_factory=list)
    _seen: Fingerprint = ()
    _pending: Fingerprint | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None
    _pid: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._seen = fingerprint(self.settings.rules_dir)

    def start(self) -> None:
        """Watch from a thread of this process; cheap when it runs already. Called on each request,
        so that a forked worker starts its own (a parent's threads do not survive a fork)."""
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            self._pid, self._stop = os.getpid(), threading.Event()
            self._thread = threading.Thread(target=self._watch, name="rule-watcher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(timeout=10)

    def _watch(self) -> None:
        while not self._stop.wait(max(self.interval, MIN_INTERVAL)):
            try:
                self.poll()
            except Exception:  # a watcher that dies would leave the process on old rules silently
                event(
                    log,
                    "rules.watch_failed",
                    level=logging.ERROR,
                    exc_info=True,
                    folder=self.settings.rules_dir,
                )

    def poll(self) -> bool:
        """One look at the folder; a change is reloaded once two looks in a row agree on it."""
        with self._lock:
            current = fingerprint(self.settings.rules_dir)
            if current == self._seen:
                self._pending = None
                return False
            if current != self._pending:  # still changing, or just changed: look again later
                self._pending = current
                return False
            self._seen, self._pending = current, None
            self._reload()
            return True

    def _reload(self) -> None:
        try:
            rulebook = load_rulebook(self.settings.rules_dir)
        except RulebookError as exc:
            self._refuse(exc.errors)
            return
        errors = [f for f in lint(rulebook) if f.severity == "error"]
        if errors:
            self._refuse(errors)
            return
        self._run(rulebook)

    def _run(self, rulebook: Rulebook) -> None:
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
            try:  # what a process starting while the folder is broken will run
                sources = read_folder(self.settings.rules_dir)
                if version_of(sources) == rulebook.version:  # not changed again meanwhile
                    remember(self.settings.instance_dir, sources)
            except (OSError, RulebookError):
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

    def adopt(self, rulebook: Rulebook) -> None:
        """Run a rulebook that was just checked and written here, without loading it again."""
        with self._lock:
            self._seen, self._pending = fingerprint(self.settings.rules_dir), None
            self._run(rulebook)
