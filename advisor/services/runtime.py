"""What a running instance holds (settings, database, engine, rule watcher), opened in one place
for the site, the API's server and the command line alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from advisor.evaluate.engine import Engine
from advisor.services.live_rules import RuleWatcher, startup_rulebook
from advisor.settings import Settings
from advisor.store.database import Store
from advisor.store.jobs import JobQueue
from advisor.store.migrate import upgrade


class Stoppable(Protocol):
    def stop(self) -> None: ...


@dataclass
class Services:
    """The instance's parts; a web app keeps one in app.extensions["advisor"]. The rulebook's
    source is the database (`store`); `watcher` keeps `engine` on the version it holds."""

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
    """Migrate the database, seed its rulebook from the rule folder if it holds none, and load
    the rules. A bad rulebook stops start-up here, never a request."""
    url = settings.resolved_database_url
    upgrade(url)
    store = Store(url)
    rulebook, refused, serial = startup_rulebook(settings, store)
    engine = Engine(rulebook)
    watcher = RuleWatcher(
        settings, store, engine, serial, interval=settings.reload_interval_seconds, error=refused
    )
    return Services(settings, store, engine, watcher, JobQueue(store, settings.job_lease_seconds))
