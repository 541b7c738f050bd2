"""Live reload: rule files changed on disk become the running rulebook without a restart.

Each server process checks the files at most once per interval. A changed folder is loaded,
validated and linted; only a clean rulebook is swapped in (atomically: evaluations under way
finish on the old one). A bad file keeps the last good rulebook and the error is shown to
admins. Processes that share the folder converge on the same version: the version is a hash
of the files' content.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from advisor.engine import Engine
from advisor.errors import Finding, RulebookError
from advisor.rulebook import Rulebook, load_rulebook
from advisor.rulebook.files import fingerprint
from advisor.rulebook.lint import lint
from advisor.settings import Settings


@dataclass
class RuleWatcher:
    settings: Settings
    engine: Engine
    interval: float = 1.0
    error: list[Finding] = field(default_factory=list)
    _seen: tuple[tuple[str, int, int], ...] = ()
    _checked: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._seen = fingerprint(self.settings.rules_dir)

    def check(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < self.interval:
            return
        if not self._lock.acquire(blocking=False):
            return  # another request is reloading already
        try:
            self._checked = now
            current = fingerprint(self.settings.rules_dir)
            if current == self._seen and not force:
                return
            self._seen = current
            self.reload()
        finally:
            self._lock.release()

    def reload(self) -> None:
        try:
            rulebook = load_rulebook(self.settings.rules_dir)
        except RulebookError as exc:
            self.error = [f for f in exc.findings if f.severity == "error"]
            return
        errors = [f for f in lint(rulebook) if f.severity == "error"]
        if errors:
            self.error = errors
            return
        if rulebook.version != self.engine.rulebook.version:
            self.engine.reload(rulebook)
        self.error = []

    def adopt(self, rulebook: Rulebook) -> None:
        """Run a rulebook that was just checked and written here, without loading it again."""
        with self._lock:
            self._seen = fingerprint(self.settings.rules_dir)
            if rulebook.version != self.engine.rulebook.version:
                self.engine.reload(rulebook)
            self.error = []
