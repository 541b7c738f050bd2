"""What a running instance holds (settings, database, engine, rule watcher), opened in one place
for the site, the API's server and the command line alike."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from advisor.evaluate.engine import Engine
from advisor.model.errors import Finding, RulebookError
from advisor.rulebook import Rulebook
from advisor.rulebook.files import last_good, remember
from advisor.rulebook.loader import build_rulebook, read_folder
from advisor.services.live_rules import RuleWatcher
from advisor.services.logs import event
from advisor.settings import Settings
from advisor.store.database import Store
from advisor.store.jobs import JobQueue
from advisor.store.migrate import upgrade

log = logging.getLogger("advisor.reload")


class Stoppable(Protocol):
    def stop(self) -> None: ...


@dataclass
class Services:
    """The instance's parts; a web app keeps one in app.extensions["advisor"]."""

    settings: Settings
    store: Store
    engine: Engine
    watcher: RuleWatcher
    jobs: JobQueue
    # The job worker running in this process, if any (the site's embedded worker).
    worker: Stoppable | None = None

    def close(self) -> None:
        """Stop the job worker and the watching of the rules, free the engine and the database
        connections."""
        if self.worker is not None:
            self.worker.stop()
        self.watcher.stop()
        self.engine.close()
        self.store.engine.dispose()


def open_services(settings: Settings) -> Services:
    """Migrate the database and load the rules. A bad rulebook stops start-up here, never a request."""
    url = settings.resolved_database_url
    upgrade(url)
    rulebook, refused = startup_rulebook(settings)
    engine = Engine(rulebook)
    watcher = RuleWatcher(settings, engine, interval=settings.reload_interval_seconds, error=refused)
    store = Store(url)
    return Services(settings, store, engine, watcher, JobQueue(store, settings.job_lease_seconds))


def startup_rulebook(settings: Settings) -> tuple[Rulebook, list[Finding]]:
    """The folder's rulebook, kept as the last good one. If the folder does not load, the last
    good rulebook this instance ran, with the refusal for the admins: a process that starts
    while a broken file is on disk (a recycled worker) must not take the site down. With no last
    good rulebook (a first start), a broken folder stops start-up here, never a request."""
    label = str(settings.rules_dir)
    try:
        sources = read_folder(settings.rules_dir)
        rulebook = build_rulebook(sources, label=label)
    except RulebookError as exc:
        kept = last_good(settings.instance_dir)
        if kept is None:
            raise
        running = build_rulebook(kept, label=label)
        event(
            log,
            "rules.refused",
            level=logging.WARNING,
            running=running.version,
            findings=[str(f) for f in exc.errors],
            at_start=True,
        )
        return running, exc.errors
    remember(settings.instance_dir, sources)
    return rulebook, []
