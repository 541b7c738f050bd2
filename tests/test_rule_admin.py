"""Rule administration in the core, without the site: checks before a save, and saves that keep
their history, refuse a stale edit and run at once."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from advisor.model.errors import NotAllowed, RulebookError
from advisor.model.facts import parse_assessment
from advisor.quality.impact import Case, impact_of
from advisor.rulebook.files import RuleFileError
from advisor.rulebook.loader import build_rulebook
from advisor.services import rule_admin
from advisor.services.assessments import create
from advisor.services.jobs import Worker, start_impact
from advisor.services.runtime import Services, open_services
from advisor.settings import Settings
from advisor.store.rules import rule_file_versions
from advisor.store.tables import AuditAction, AuditEntry, JobStatus, User, VersionKind
from tests.conftest import ROOT, account

NAME = "enrollment.yaml"
LOWER = ("  assisted_max_users:\n    value: 100", "  assisted_max_users:\n    value: 20")
RETITLE = ("  en: Matching each group in each phase", "  en: Choosing, for each group in each phase,")


@pytest.fixture
def editable(tmp_path: Path, rules: Path) -> Iterator[Services]:
    """An instance on a copy of the rules, which its admin may change."""
    settings = Settings(
        instance_dir=tmp_path / "instance", database_url=f"sqlite:///{tmp_path / 'a.db'}", rules_dir=rules
    )
    services = open_services(settings)
    yield services
    services.close()


@pytest.fixture
def root(editable: Services) -> User:
    return account(editable, "root", "admin")


def _text(services: Services) -> str:
    return rule_admin.rule_text(services, NAME)


def test_a_check_runs_the_scenarios_and_shows_the_saved_plans_it_changes(
    editable: Services, root: User, rules: Path
) -> None:
    answers = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
    answers["groups"].append(
        {"id": "reception", "name": "Reception", "users": 40, "platforms": ["ios"], "needs_help": "high"}
    )
    new_id = create(editable, root, "Contoso", copy.deepcopy(answers), VersionKind.EDIT, "plan")
    checked = rule_admin.check(editable, NAME, _text(editable).replace(*LOWER))
    assert checked.blocked  # the scenarios that document the old threshold fail
    assert checked.errors == []
    assert [o.scenario for o in checked.scenarios if not o.passed] == [
        "assisted-small-group-needing-help",
        "drivers-tech-fair-per-site",
    ]
    # The impact is a job: queued with the files before and after, done by a worker.
    job_id = start_impact(
        editable, root, *rule_admin.impact_files(editable, NAME, _text(editable).replace(*LOWER))
    )
    assert Worker(editable).run_once()
    job = editable.jobs.get(job_id)
    assert job is not None
    assert (job.status, job.done, job.total) == (JobStatus.DONE, 1, 1)
    ((case, lines),) = job.result
    assert case == f"assessment {new_id} (Contoso)"
    assert [line.split(" (now ")[0] for line in lines] == [
        "Reception: production/2 2027-09 40 assisted -> production/2 2027-09 40 tech_fair"
    ]


def test_a_broken_file_is_found_out_and_nothing_runs(editable: Services, rules: Path) -> None:
    checked = rule_admin.check(editable, NAME, "stage: placement\nrules: [\n")
    assert checked.blocked
    assert checked.rulebook is None
    assert checked.errors
    assert checked.scenarios == []


def test_a_save_stores_keeps_the_history_and_the_audit_and_runs_at_once(
    editable: Services, root: User, rules: Path
) -> None:
    before, after = _text(editable), _text(editable).replace(*RETITLE)
    running = editable.engine.rulebook.version
    checked = rule_admin.save(editable, root, NAME, after, "clearer", rule_admin.fingerprint_of(before))
    assert not checked.blocked
    assert checked.rulebook is not None
    assert _text(editable) == after
    assert editable.engine.rulebook.version == checked.rulebook.version != running
    with editable.store.session() as db:
        history = rule_file_versions(db, NAME)
        entries = db.query(AuditEntry).all()
    assert [(v.content, v.message, v.author_id) for v in history] == [
        (before, rule_admin.FIRST_VERSION, None),
        (after, "clearer", root.id),
    ]
    assert [(e.action, e.subject, e.actor_id) for e in entries] == [(AuditAction.RULES_SAVE, NAME, root.id)]


def test_a_blocked_save_writes_nothing(editable: Services, root: User, rules: Path) -> None:
    before = _text(editable)
    checked = rule_admin.save(editable, root, NAME, before.replace(*LOWER), "lower")
    assert checked.blocked
    assert not checked.stale
    assert _text(editable) == before
    with editable.store.session() as db:
        assert rule_file_versions(db, NAME) == []


def test_a_save_made_on_an_older_file_is_refused(editable: Services, root: User, rules: Path) -> None:
    seen = rule_admin.fingerprint_of(_text(editable))
    theirs = _text(editable).replace(*RETITLE)
    assert not rule_admin.save(editable, root, NAME, theirs, "theirs", seen).blocked
    mine = _text(editable).replace(
        "  tech_fair_min_users:\n    value: 50", "  tech_fair_min_users:\n    value: 40"
    )
    refused = rule_admin.save(editable, root, NAME, mine, "mine", seen)
    assert refused.stale
    assert refused.blocked
    assert refused.rulebook is None
    assert _text(editable) == theirs
    with editable.store.session() as db:
        assert [v.message for v in rule_file_versions(db, NAME)] == [rule_admin.FIRST_VERSION, "theirs"]


@pytest.mark.parametrize("name", ["../pilot.yaml", "pilot.yml", "missing.yaml"])
def test_only_files_of_the_rulebook_are_saved(editable: Services, root: User, name: str) -> None:
    with pytest.raises(RuleFileError):
        rule_admin.save(editable, root, name, "x", "m")


def test_checking_a_folder_orders_errors_first(rules: Path) -> None:
    rulebook, findings = rule_admin.check_folder(rules)
    assert rulebook.rules
    assert not [f for f in findings if f.severity == "error"]
    (rules / NAME).write_text("stage: placement\nrules: [\n")
    with pytest.raises(RulebookError):
        rule_admin.check_folder(rules)


@pytest.mark.parametrize("role", ["respondent", "reviewer"])
def test_only_an_admin_saves(editable: Services, rules: Path, role: str) -> None:
    before = _text(editable)
    with pytest.raises(NotAllowed):
        rule_admin.save(editable, account(editable, "someone", role), NAME, before.replace(*RETITLE), "m")
    assert _text(editable) == before


def test_the_impact_names_a_warning_by_its_sentence_and_group_never_its_code() -> None:
    sources = {p.name: p.read_bytes() for p in (ROOT / "rules").glob("*.yaml")}
    old = build_rulebook(sources)
    spread = b"        - {fact: production_phases, op: gt, value: 1}"
    assert spread in sources[NAME]
    new = build_rulebook(
        {**sources, NAME: sources[NAME].replace(spread, spread.replace(b"value: 1", b"value: 0"))}
    )
    contoso = parse_assessment(yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text()))
    ((_case, lines),) = impact_of(old, new, [Case("contoso", contoso)])
    added = [line for line in lines if line.startswith("new warning")]
    assert "new warning (Executives): The group's 30 users here are more than the helpdesk" in "\n".join(
        added
    )
    assert not any("group-spread-over-months" in line or "@" in line for line in lines)
