"""The rulebook in the database, on SQLite and PostgreSQL: seeded once from the rule folder, saved
in one transaction that bumps the head, adopted by every instance on the database (a broken
version keeps the last good rulebook), and imported from and exported to a folder byte for byte."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from advisor.cli import main
from advisor.services import rule_admin
from advisor.services.live_rules import build, folder_files, read_rulebook, seed_from_folder
from advisor.services.runtime import Services, open_services
from advisor.settings import Settings
from advisor.store.database import Store
from advisor.store.rules import change_files, head, rule_file_versions
from advisor.store.tables import AuditAction, AuditEntry
from tests.conftest import RULES, account, store_directly, stored

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

LOWER = ("  assisted_max_users:\n    value: 100", "  assisted_max_users:\n    value: 20")
RETITLE = ("  en: Matching each group in each phase", "  en: Choosing, for each group in each phase,")


def _open(tmp_path: Path, database_url: str, name: str, rules: Path = RULES) -> Services:
    """One instance (its own instance folder) on the shared database."""
    return open_services(
        Settings(
            instance_dir=tmp_path / name,
            database_url=database_url,
            rules_dir=rules,
            reload_interval_seconds=0.05,
        )
    )


@pytest.fixture
def pair(tmp_path: Path, database_url: str) -> Iterator[tuple[Services, Services]]:
    first = _open(tmp_path, database_url, "a")
    second = _open(tmp_path, database_url, "b")
    yield first, second
    first.close()
    second.close()


def _until(condition: Callable[[], bool], seconds: float = 20) -> None:
    """Wait for a watcher thread (bounded); the assertion is on the outcome, never the time."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the rule watcher did not act"
        time.sleep(0.01)


def test_the_first_start_seeds_the_database_from_the_folder_once(tmp_path: Path, database_url: str) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    first = _open(tmp_path, database_url, "a", rules)
    try:
        serial, files = read_rulebook(first.store)
        assert (serial, files) == (1, folder_files(RULES))
        assert "scenarios/contoso-guide-example.yaml" in files
        (rules / "enrollment.yaml").write_text("stage: placement\nrules: [\n")  # the folder no longer counts
        second = _open(tmp_path, database_url, "b", rules)
        assert second.engine.rulebook.version == first.engine.rulebook.version
        assert read_rulebook(second.store)[0] == 1
        second.close()
    finally:
        first.close()


def test_of_instances_starting_at_once_on_an_empty_database_exactly_one_seeds(database_url: str) -> None:
    stores = [Store(database_url) for _ in range(4)]
    seeded: list[bool] = []
    start = threading.Barrier(len(stores))

    def seed(store: Store) -> None:
        start.wait()
        seeded.append(seed_from_folder(store, RULES))

    threads = [threading.Thread(target=seed, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seeded) == [False, False, False, True]
    assert read_rulebook(stores[0]) == (1, folder_files(RULES))
    for store in stores:
        store.engine.dispose()


def test_a_change_commits_only_on_the_head_it_was_checked_on(pair: tuple[Services, Services]) -> None:
    first, _second = pair
    serial, files = read_rulebook(first.store)
    with first.store.session() as db:
        assert (
            change_files(db, {"enrollment.yaml": files["enrollment.yaml"] + "\n"}, "v", serial) == serial + 1
        )
    with first.store.session() as db:
        assert (
            change_files(db, {"enrollment.yaml": "overtaken"}, "w", serial) is None
        )  # based on the old head
    assert stored(first, "enrollment.yaml") == files["enrollment.yaml"] + "\n"


def test_a_save_on_one_instance_is_adopted_by_the_other_in_its_poll(pair: tuple[Services, Services]) -> None:
    first, second = pair
    root = account(first, "root", "admin")
    before = stored(first, "enrollment.yaml")
    checked = rule_admin.save(first, root, "enrollment.yaml", before.replace(*RETITLE), "clearer")
    assert not checked.blocked
    assert checked.rulebook is not None
    version = checked.rulebook.version
    assert first.engine.rulebook.version == version  # the saving instance at once
    with first.store.session() as db:
        current = head(db)
        assert current is not None
        assert (current.serial, current.version) == (2, version)
        assert [v.message for v in rule_file_versions(db, "enrollment.yaml")] == [
            rule_admin.FIRST_VERSION,
            "clearer",
        ]
    second.watcher.start()  # its thread polls the head (and listens, on PostgreSQL)
    _until(lambda: second.engine.rulebook.version == version)
    assert second.watcher.error == []


def test_an_edit_based_on_another_instances_older_file_is_refused(pair: tuple[Services, Services]) -> None:
    first, second = pair
    root, other = account(first, "root", "admin"), account(first, "other", "admin")
    before = stored(second, "enrollment.yaml")
    seen = rule_admin.fingerprint_of(before)
    theirs = before.replace(*RETITLE)
    assert not rule_admin.save(first, root, "enrollment.yaml", theirs, "theirs", seen).blocked
    mine = before.replace("value: 50", "value: 40", 1)
    refused = rule_admin.save(second, other, "enrollment.yaml", mine, "mine", seen)
    assert refused.stale
    assert stored(second, "enrollment.yaml") == theirs


def test_a_broken_version_keeps_the_last_good_rulebook(pair: tuple[Services, Services]) -> None:
    first, second = pair
    running = second.engine.rulebook.version
    store_directly(first.store, {"enrollment.yaml": "stage: placement\nrules: [\n"})
    assert second.watcher.poll()
    assert second.engine.rulebook.version == running
    assert any("enrollment.yaml" in str(f) for f in second.watcher.error)
    assert not second.watcher.poll()  # refused once, not tried again and again
    fixed = folder_files(RULES)["enrollment.yaml"].replace(*LOWER)
    store_directly(first.store, {"enrollment.yaml": fixed})
    assert second.watcher.poll()
    assert second.engine.rulebook.parameters["assisted_max_users"] == 20
    assert second.watcher.error == []


def test_import_then_export_gives_every_file_back_byte_for_byte(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ADVISOR_DATABASE_URL", database_url)
    monkeypatch.setenv("ADVISOR_INSTANCE_DIR", str(tmp_path / "instance"))
    assert main(["rules", "import", str(RULES)]) == 0
    assert main(["rules", "export", str(tmp_path / "out")]) == 0
    expected = sorted(p.relative_to(RULES) for p in [*RULES.glob("*.yaml"), *RULES.glob("scenarios/*.yaml")])
    written = sorted(p.relative_to(tmp_path / "out") for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert written == expected
    for name in expected:
        assert (tmp_path / "out" / name).read_bytes() == (RULES / name).read_bytes(), name
    capsys.readouterr()


def test_an_import_is_checked_versioned_audited_and_adopted(
    tmp_path: Path, pair: tuple[Services, Services], capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = pair
    folder = tmp_path / "edited"
    shutil.copytree(RULES, folder)
    lowered = (folder / "enrollment.yaml").read_text().replace(*LOWER)
    (folder / "enrollment.yaml").write_text(lowered)  # two scenarios document the old threshold
    refused = rule_admin.import_folder(first.store, folder)
    assert sorted({f.file for f in refused}) == [
        "scenarios/assisted-small-group-needing-help.yaml",
        "scenarios/drivers-tech-fair-per-site.yaml",
    ]
    assert read_rulebook(first.store)[0] == 1  # nothing stored
    (folder / "enrollment.yaml").write_text((RULES / "enrollment.yaml").read_text().replace(*RETITLE))
    (folder / "scenarios" / "drivers-tech-fair-per-site.yaml").unlink()
    assert rule_admin.import_folder(first.store, folder) == []
    files = read_rulebook(first.store)[1]
    assert files == folder_files(folder)
    with first.store.session() as db:
        entries = [(e.action, e.subject) for e in db.scalars(select(AuditEntry))]
        assert [v.message for v in rule_file_versions(db, "enrollment.yaml")] == [
            rule_admin.FIRST_VERSION,
            "imported from edited",
        ]
    assert entries == [
        (AuditAction.RULES_IMPORT, "enrollment.yaml"),
        (AuditAction.RULES_IMPORT, "scenarios/drivers-tech-fair-per-site.yaml"),
    ]
    assert second.watcher.poll()
    assert second.engine.rulebook.version == build(folder_files(folder)).version
    assert stored(second, "enrollment.yaml") == files["enrollment.yaml"]
    assert rule_admin.import_folder(first.store, folder) == []  # the same again: nothing changes
    assert read_rulebook(first.store)[0] == 2


def test_an_export_into_a_folder_removes_the_files_the_database_no_longer_holds(
    tmp_path: Path, pair: tuple[Services, Services]
) -> None:
    """Exported over a checkout that still has a file an import dropped, the folder becomes the
    database's rulebook: importing it back changes nothing (the file does not return)."""
    first, _second = pair
    folder = tmp_path / "checkout"
    shutil.copytree(RULES, folder)
    dropped = folder / "scenarios" / "drivers-tech-fair-per-site.yaml"
    edited = tmp_path / "edited"
    shutil.copytree(RULES, edited)
    (edited / "scenarios" / dropped.name).unlink()
    assert rule_admin.import_folder(first.store, edited) == []
    serial = read_rulebook(first.store)[0]
    rule_admin.export_folder(first.store, folder)
    assert not dropped.exists()
    assert folder_files(folder) == read_rulebook(first.store)[1]
    assert rule_admin.import_folder(first.store, folder) == []
    assert read_rulebook(first.store)[0] == serial  # nothing to import: the same rulebook


def test_a_scenario_is_checked_against_the_databases_rulebook_not_this_processs(
    pair: tuple[Services, Services],
) -> None:
    """Instance B has yet to adopt A's save: a scenario saved on B is checked against the rulebook
    the save commits on (the database's), so it cannot store one that fails under it."""
    first, second = pair
    root = account(first, "root", "admin")
    name = "drivers-tech-fair-per-site.yaml"
    scenario = stored(first, f"scenarios/{name}")
    running = second.engine.rulebook.version
    lowered = stored(first, "enrollment.yaml").replace(*LOWER)
    both = [name, "assisted-small-group-needing-help.yaml"]  # the two that document the old threshold
    assert not rule_admin.save(first, root, "enrollment.yaml", lowered, "lower", accept=both).blocked
    assert second.engine.rulebook.version == running  # B has not polled yet
    checked = rule_admin.save_scenario(second, root, name, scenario, "the old expectation again")
    assert checked.blocked
    assert checked.outcome is not None
    assert not checked.outcome.passed
    assert stored(first, f"scenarios/{name}") != scenario  # the accepted outcome stays
