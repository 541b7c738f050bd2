"""Shared fixtures: the shipped rulebook, one engine for the session, the guide's example."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from advisor.evaluate.engine import Engine
from advisor.model.facts import Assessment, load_assessment
from advisor.rulebook import Rulebook, RuleInfo, load_rulebook
from advisor.rulebook.loader import version_of
from advisor.services.accounts import create_user
from advisor.services.live_rules import read_rulebook, rule_sources
from advisor.services.runtime import Services, open_services
from advisor.settings import Settings
from advisor.store.database import Store
from advisor.store.rules import change_files
from advisor.store.tables import User

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
FILES = Path(__file__).resolve().parent / "files"


def without_rules(rulebook: Rulebook, dropped: Callable[[RuleInfo], bool]) -> Rulebook:
    """A loaded rulebook less some rules: one that loading itself would refuse (for the second
    lines of defence, the lint's gap check and the planner's fallback)."""
    return Rulebook(
        label=rulebook.label,
        rules=tuple(info for info in rulebook.rules if not dropped(info)),
        parameters=rulebook.parameters,
        parameter_texts=rulebook.parameter_texts,
        parameter_provenance=rulebook.parameter_provenance,
        lists=rulebook.lists,
        tables=rulebook.tables,
        version=f"{rulebook.version}-less",
    )


@pytest.fixture(scope="session")
def rulebook() -> Rulebook:
    return load_rulebook(RULES)


@pytest.fixture(scope="session")
def engine(rulebook: Rulebook) -> Iterator[Engine]:
    engine = Engine(rulebook)
    yield engine
    engine.close()


@pytest.fixture
def contoso() -> Assessment:
    return load_assessment(ROOT / "examples" / "contoso.yaml")


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[Services]:
    """A running instance without the site: a fresh SQLite database and the shipped rules, for
    the core services (what the site, the API and the command line call)."""
    settings = Settings(
        instance_dir=tmp_path / "instance",
        database_url=f"sqlite:///{tmp_path / 'advisor.db'}",
        rules_dir=RULES,
    )
    services = open_services(settings)
    yield services
    services.close()


def account(services: Services, username: str, role: str = "respondent") -> User:
    with services.store.session() as db:
        return create_user(services.store, db, username, "correct horse battery", role)


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """A copy of the shipped rules that a test (or its admin) may change."""
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    return folder


def stored(services: Services, name: str) -> str:
    """A file of the database's rulebook ("enrollment.yaml", "scenarios/x.yaml")."""
    return read_rulebook(services.store)[1][name]


def store_directly(store: Store, changes: Mapping[str, str | None]) -> None:
    """Change the database's rulebook as another instance's save (or an import) does, but without
    any check: what every process then adopts, or refuses."""
    serial, files = read_rulebook(store)
    updated = {name: text for name, text in {**files, **changes}.items() if text is not None}
    with store.session() as db:
        assert change_files(db, changes, version_of(rule_sources(updated)), serial) is not None
