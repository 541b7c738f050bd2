"""Rule administration: safe edits with checks, history and rollback, live reload, admin only."""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
import yaml
from flask import Flask

from advisor.model.errors import EngineError
from advisor.quality.scenarios import scenario_files
from advisor.rulebook import Rulebook
from advisor.rulebook.loader import build_rulebook
from advisor.services import live_rules
from advisor.services.rule_admin import FIRST_VERSION
from advisor.store.rules import Head, head, rule_file_versions
from advisor.store.tables import AuditEntry
from tests.conftest import ROOT, store_directly, stored
from tests.web.conftest import Browser, make_user, rules_app
from tests.web.helpers import fill, finished_job
from web.extensions import services

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

CONTOSO = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
LOWER = ("  assisted_max_users:\n    value: 100", "  assisted_max_users:\n    value: 20")
# A change every scenario still passes: the file's description.
RETITLE = ("  en: Matching each group in each phase", "  en: Choosing, for each group in each phase,")


def _text(browser: Browser, name: str = "enrollment.yaml") -> str:
    """A file of the rulebook as the site's database holds it."""
    return stored(services(browser.client.application), name)


def _put(app: Flask, name: str, text: str) -> None:
    """A new version of a file stored by another instance (unchecked): this one adopts or refuses it."""
    store_directly(services(app).store, {name: text})


def test_only_admins_reach_the_admin_area(admin_app: Flask) -> None:
    make_user(admin_app, "lead", "reviewer")
    lead = Browser(admin_app.test_client())
    lead.login("lead")
    for path in (
        "/admin",
        "/admin/rules/enrollment.yaml",
        "/admin/rules/enrollment.yaml/history",
        "/admin/audit",
    ):
        assert lead.get(path).status_code == 403, path
    assert lead.post("/admin/rules/enrollment.yaml", {"action": "save", "text": "x"}).status_code == 403


def test_the_rulebook_is_rendered_for_people(root: Browser) -> None:
    page = root.get("/admin").get_data(as_text=True)
    assert "help needed to enroll: high and users of the group in this phase: at most 100" in page
    assert "Executives and VIP users get assisted enrollment" in page
    assert "Företagsledare och VIP-användare får assisterad registrering" in page
    assert "User-assisted enrollment</a>" in page


def test_a_threshold_change_shows_its_effect_is_saved_and_changes_plans(
    admin_app: Flask, root: Browser, rules: Path
) -> None:
    fill(
        root,
        {
            **CONTOSO,
            "groups": [
                *CONTOSO["groups"],
                {
                    "id": "reception",
                    "name": "Reception",
                    "users": 40,
                    "platforms": ["ios"],
                    "needs_help": "high",
                },
            ],
        },
    )
    changed = _text(root).replace(*LOWER)
    page = root.post("/admin/rules/enrollment.yaml", {"action": "check", "text": changed}).get_data(
        as_text=True
    )
    # Every scenario runs against the edit and only the two that document the old threshold fail.
    assert f"{len(scenario_files(rules / 'scenarios')) - 2} passed, 2 failed" in page
    assert "assisted-small-group-needing-help" in page
    assert "drivers-tech-fair-per-site" in page
    # The impact on the saved assessments is a job: the page polls it until the worker is done.
    result = finished_job(root, page)
    assert "Saved assessments whose plan would change: 1" in result
    assert "Reception: production/2 2027-09 40 assisted -&gt; production/2 2027-09 40 tech_fair" in result
    assert _text(root) != changed  # checking saves nothing

    # The scenario that documents the old threshold fails, so saving is refused...
    assert root.post("/admin/rules/enrollment.yaml", {"action": "save", "text": changed}).status_code == 422
    # ...until the scenarios are updated to the new practice.
    scenario = "scenarios/assisted-small-group-needing-help.yaml"
    _put(admin_app, scenario, _text(root, scenario).replace("40 assisted", "40 tech_fair"))
    scenario = "scenarios/drivers-tech-fair-per-site.yaml"
    _put(
        admin_app,
        scenario,
        _text(root, scenario).replace("80 assisted @Copenhagen", "80 tech_fair @Copenhagen"),
    )
    old_version = services(admin_app).engine.rulebook.version
    response = root.post(
        "/admin/rules/enrollment.yaml",
        {"action": "save", "text": changed, "message": "Assist at most 20 at a time"},
    )
    assert response.status_code == 302
    assert _text(root) == changed
    assert services(admin_app).engine.rulebook.version != old_version  # live, without a restart
    assessment_id = fill(
        root,
        {
            **CONTOSO,
            "groups": [
                {
                    "id": "reception",
                    "name": "Reception",
                    "users": 40,
                    "platforms": ["ios"],
                    "needs_help": "high",
                }
            ],
        },
    )
    plan = root.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    assert "Reception (40 users)" in plan
    assert "IT tech fair" in plan
    with services(admin_app).store.session() as db:
        versions = rule_file_versions(db, "enrollment.yaml")
        entries = db.query(AuditEntry).all()
    assert [v.message for v in versions] == [FIRST_VERSION, "Assist at most 20 at a time"]
    assert [(e.action, e.subject) for e in entries] == [("rules.save", "enrollment.yaml")]


def test_a_broken_edit_shows_errors_with_line_numbers_and_changes_nothing(
    admin_app: Flask, root: Browser
) -> None:
    before = _text(root)
    broken = before.replace(
        "{fact: executives, op: eq, value: true}", "{fact: exectives, op: eq, value: true}", 1
    )
    response = root.post("/admin/rules/enrollment.yaml", {"action": "save", "text": broken})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    line = broken.splitlines().index(next(x for x in broken.splitlines() if "exectives" in x)) + 1
    assert f"enrollment.yaml:{line} [" in page
    assert "unknown fact &#39;exectives&#39; (did you mean &#39;executives&#39;?)" in page
    assert "The file is unchanged." in page
    assert _text(root) == before
    with services(admin_app).store.session() as db:
        assert rule_file_versions(db, "enrollment.yaml") == []
    bad_yaml = root.post("/admin/rules/enrollment.yaml", {"action": "save", "text": "rules: [\n"})
    assert bad_yaml.status_code == 422
    assert "not valid YAML" in bad_yaml.get_data(as_text=True)


def test_rollback_restores_the_previous_behaviour(admin_app: Flask, root: Browser) -> None:
    original = _text(root)
    raised = original.replace("priority: 50\n", "priority: 60\n", 1)
    root.post("/admin/rules/enrollment.yaml", {"action": "save", "text": raised, "message": "raise"})
    assert _text(root) == raised
    root.post("/admin/rules/enrollment.yaml/rollback/1")
    assert _text(root) == original
    with services(admin_app).store.session() as db:
        assert [v.number for v in rule_file_versions(db, "enrollment.yaml")] == [1, 2, 3]
    assert services(admin_app).engine.rulebook.rule("assisted-for-executives").rule.priority == 50
    page = root.get("/admin/rules/enrollment.yaml/history?a=1&b=2").get_data(as_text=True)
    assert "-    priority: 50" in page
    assert "+    priority: 60" in page
    assert "<td>root</td>" in root.get("/admin/rules/enrollment.yaml/history").get_data(as_text=True)
    assert "<td>root</td>" in root.get("/admin/audit").get_data(as_text=True)


def test_a_field_by_field_edit_keeps_comments_and_order(root: Browser) -> None:
    before = _text(root)
    root.post(
        "/admin/rules/enrollment.yaml",
        {"action": "fields", "param-tech_fair_min_users": "60", "priority-assisted-for-executives": "50"},
    )
    after = _text(root)
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert changed == [("    value: 50", "    value: 60")]
    assert after.startswith("# yaml-language-server")


@pytest.mark.parametrize("name", ["..%2Fpilot.yaml", "pilot.yml", "..", "%2Fetc%2Fpasswd", "missing.yaml"])
def test_file_names_cannot_leave_the_rules_folder(root: Browser, name: str) -> None:
    assert root.get(f"/admin/rules/{name}").status_code == 404
    assert root.post(f"/admin/rules/{name}", {"action": "save", "text": "x"}).status_code == 404


def test_a_crash_in_the_middle_of_a_save_leaves_the_file_and_history_intact(
    admin_app: Flask, root: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _text(root)
    serial = services(admin_app).watcher.serial

    def crash(*args: object) -> None:
        raise OSError("connection lost")

    monkeypatch.setattr("advisor.services.rule_admin.audit", crash)
    with pytest.raises(OSError, match="connection lost"):
        root.post(
            "/admin/rules/enrollment.yaml",
            {"action": "save", "text": before.replace("priority: 50\n", "priority: 60\n", 1)},
        )
    assert _text(root) == before
    with services(admin_app).store.session() as db:
        assert rule_file_versions(db, "enrollment.yaml") == []
        assert head(db) == Head(serial, services(admin_app).engine.rulebook.version)


def _until(condition: Callable[[], bool], seconds: float = 20) -> None:
    """Wait for the watcher thread (bounded); the assertion is on the outcome, never the time."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the rule watcher did not act"
        time.sleep(0.02)


def test_versions_stored_by_another_instance_are_picked_up_and_bad_ones_refused(
    admin_app: Flask, root: Browser
) -> None:
    engine = services(admin_app).engine
    start = engine.rulebook.version
    root.get("/healthz")  # the first request starts the watcher
    _put(admin_app, "enrollment.yaml", _text(root).replace(*LOWER))
    _until(lambda: engine.rulebook.version != start)
    changed = engine.rulebook.version
    _put(admin_app, "enrollment.yaml", "stage: placement\nrules: [\n")  # broken, stored unchecked
    _until(lambda: bool(services(admin_app).watcher.error))
    assert engine.rulebook.version == changed  # the last good rulebook stays
    page = root.get("/admin").get_data(as_text=True)
    assert "the last good rulebook stays in use" in page
    assert "enrollment.yaml:3" in page or "enrollment.yaml:2" in page


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("", "the file is empty"),
        ("# emptied\nstage: placement\n", "neither rules nor parameters"),
    ],
)
def test_an_emptied_rule_file_never_goes_live(
    admin_app: Flask, root: Browser, content: str, why: str
) -> None:
    """Before: an empty enrollment.yaml was adopted and executives lost assisted enrollment."""
    engine = services(admin_app).engine
    start = engine.rulebook.version
    root.get("/healthz")
    _put(admin_app, "enrollment.yaml", content)
    _until(lambda: bool(services(admin_app).watcher.error))
    assert engine.rulebook.version == start
    assert any(why in str(f) for f in services(admin_app).watcher.error)
    page = root.get("/admin").get_data(as_text=True)
    assert why in page


def test_reloading_happens_off_the_request_path(
    admin_app: Flask, root: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request never loads or lints rules: the watcher thread does, once per change."""
    watcher = services(admin_app).watcher
    root.get("/healthz")
    assert watcher._thread is not None
    assert watcher._thread.is_alive()
    loads: list[str] = []
    real = build_rulebook

    def counted(sources: Mapping[str, bytes], label: str) -> Rulebook:  # the real one, noting its thread
        loads.append(threading.current_thread().name)
        return real(sources, label=label)

    monkeypatch.setattr(live_rules, "build_rulebook", counted)
    _put(admin_app, "enrollment.yaml", _text(root).replace(*LOWER))
    _until(lambda: services(admin_app).engine.rulebook.parameters["assisted_max_users"] == 20)
    for _ in range(5):
        root.get("/healthz")
    assert loads == ["rule-watcher"]


def _runs_lowered_threshold(app: Flask) -> bool:
    return services(app).engine.rulebook.parameters["assisted_max_users"] == 20


def test_two_processes_converge_on_the_same_rulebook(tmp_path: Path, rules: Path, database_url: str) -> None:
    first, second = (
        rules_app(tmp_path / "a", rules, database_url),
        rules_app(tmp_path / "b", rules, database_url),
    )
    try:
        first.test_client().get("/healthz")
        second.test_client().get("/healthz")
        _put(first, "enrollment.yaml", stored(services(first), "enrollment.yaml").replace(*LOWER))
        for app in (first, second):
            _until(functools.partial(_runs_lowered_threshold, app))
        assert services(first).engine.rulebook.version == services(second).engine.rulebook.version
    finally:
        for app in (first, second):
            services(app).close()


@pytest.mark.parametrize("reason", ["{users:d}", "{users:>20000000}"])
@pytest.mark.parametrize("action", ["check", "save"])
def test_a_format_specification_in_a_reason_is_refused_by_line(
    admin_app: Flask, root: Browser, reason: str, action: str
) -> None:
    """Before: the check and the save answered a bare 500 ({users:d}) or passed ({users:>20000000})."""
    before = _text(root)
    start = before.index("      en: ", before.index("    reason:"))
    end = before.index("\n", start)
    edited = before[:start] + f'      en: "{reason}"' + before[end:]
    response = root.post("/admin/rules/enrollment.yaml", {"action": action, "text": edited})
    assert response.status_code == (200 if action == "check" else 422)  # a check only shows findings
    page = response.get_data(as_text=True)
    assert f"enrollment.yaml:{before[:start].count(chr(10)) + 1} [" in page
    assert "a placeholder is a fact or parameter name in braces" in page
    assert _text(root) == before


def _fingerprint(browser: Browser, name: str = "enrollment.yaml") -> str:
    page = browser.get(f"/admin/rules/{name}").get_data(as_text=True)
    match = re.search(r'name="based_on" value="([0-9a-f]+)"', page)
    assert match, page[:300]
    return match.group(1)


def test_a_save_made_on_an_older_file_never_undoes_another(admin_app: Flask, root: Browser) -> None:
    """Before: an admin who had the file open saved over a colleague's save without a word."""
    make_user(admin_app, "root2", "admin")
    other = Browser(admin_app.test_client())
    other.login("root2")
    seen = _fingerprint(root)
    theirs = _text(root).replace(*RETITLE)
    saved = other.post(
        "/admin/rules/enrollment.yaml",
        {"action": "save", "text": theirs, "message": "m", "based_on": _fingerprint(other)},
    )
    assert saved.status_code == 302
    mine = _text(root).replace(
        "  tech_fair_min_users:\n    value: 50", "  tech_fair_min_users:\n    value: 40"
    )
    refused = root.post(
        "/admin/rules/enrollment.yaml", {"action": "save", "text": mine, "message": "m", "based_on": seen}
    )
    assert refused.status_code == 422
    assert "was changed meanwhile" in refused.get_data(as_text=True)
    assert _text(root) == theirs
    with services(admin_app).store.session() as db:
        assert [v.message for v in rule_file_versions(db, "enrollment.yaml")] == [FIRST_VERSION, "m"]


def test_two_saves_at_once_have_one_winner_and_no_500(admin_app: Flask, root: Browser) -> None:
    """Before: the second save failed on the version number (500) and its clean-up put the old
    file back over the first, which had been reported saved."""
    make_user(admin_app, "root2", "admin")
    other = Browser(admin_app.test_client())
    other.login("root2")
    texts = {
        "root": _text(root).replace(*RETITLE),
        "root2": _text(root).replace(
            "  tech_fair_min_users:\n    value: 50", "  tech_fair_min_users:\n    value: 40"
        ),
    }
    start = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def save(name: str, browser: Browser) -> None:
        fields = {"action": "save", "text": texts[name], "message": name, "based_on": _fingerprint(browser)}
        token = browser.token("/")
        start.wait()
        response = browser.client.post("/admin/rules/enrollment.yaml", data={**fields, "csrf_token": token})
        statuses[name] = response.status_code

    threads = [threading.Thread(target=save, args=pair) for pair in (("root", root), ("root2", other))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses.values()) == [302, 422], statuses
    (winner,) = [name for name, status in statuses.items() if status == 302]
    assert _text(root) == texts[winner]
    with services(admin_app).store.session() as db:
        assert rule_file_versions(db, "enrollment.yaml")[-1].message == winner


def test_a_rulebook_the_engine_cannot_run_is_refused_and_shown(
    admin_app: Flask, root: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An engine failure while swapping rulebooks keeps the old one and tells the admins (before:
    the watcher logged a traceback, never tried that folder again, and showed nothing)."""
    engine = services(admin_app).engine
    start = engine.rulebook.version

    def refuses(rulebook: Rulebook) -> None:  # a defect in the engine, injected
        raise EngineError("the rules engine refused the compiled rulebook: injected")

    monkeypatch.setattr(engine, "reload", refuses)
    root.get("/healthz")
    _put(admin_app, "enrollment.yaml", _text(root).replace(*LOWER))
    _until(lambda: bool(services(admin_app).watcher.error))
    assert engine.rulebook.version == start
    assert "the engine cannot run it" in root.get("/admin").get_data(as_text=True)


def test_the_rulebook_can_be_read_one_provenance_at_a_time(root: Browser, admin_app: Flask) -> None:
    rulebook = services(admin_app).engine.rulebook
    everything = root.get("/admin").get_data(as_text=True)
    assert everything.count('class="rule-card"') == len(rulebook.rules)
    for provenance in ("guide", "guide_example", "beyond_guide", "current_practice"):
        page = root.get(f"/admin?provenance={provenance}").get_data(as_text=True)
        shown = set(re.findall(r'id="rule-([a-z0-9-]+)"', page))
        assert shown == {info.id for info in rulebook.rules if info.rule.provenance == provenance}
    ours = root.get("/admin?provenance=beyond_guide").get_data(as_text=True)
    assert "provenance-beyond_guide" in ours
    assert "Our judgement, not the guide&#39;s:" in ours  # each threshold of ours says why
    unknown = root.get("/admin?provenance=<x>").get_data(as_text=True)
    assert unknown.count('class="rule-card"') == len(rulebook.rules)  # an unknown filter shows all


def _planning(browser: Browser) -> str:
    return _text(browser, "planning.yaml")


def test_the_rulebook_view_shows_list_and_table_parameters(root: Browser) -> None:
    page = root.get("/admin").get_data(as_text=True)
    row = page[page.index('id="parameter-platform_order"') :]
    row = row[: row.index("</tr>")]
    assert "<code>ios</code>, <code>android</code>, <code>windows</code>, <code>macos</code>" in row
    assert "macOS last is our judgement" in row
    table = page[page.index('id="parameter-quiet_months"') :]
    table = table[: table.index("</tr>")]
    assert "<dt><code>SE</code></dt><dd><code>07</code>, <code>12</code></dd>" in table
    assert "provenance-beyond_guide" in table


def test_a_broken_platform_order_is_refused_with_its_line(root: Browser) -> None:
    before = _planning(root)
    broken = before.replace("[ios, android, windows, macos]", "[ios, android, windows, ios]", 1)
    response = root.post("/admin/rules/planning.yaml", {"action": "save", "text": broken})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    line = broken.splitlines().index("    value: [ios, android, windows, ios]") + 1
    assert f"planning.yaml:{line}: platform_order: &#39;ios&#39; is listed twice" in page
    assert f"planning.yaml:{line}: platform_order misses macos" in page
    assert "The file is unchanged." in page
    assert _planning(root) == before


def test_lists_and_tables_are_edited_field_by_field(admin_app: Flask, root: Browser) -> None:
    form = root.get("/admin/rules/planning.yaml").get_data(as_text=True)
    assert 'name="param-platform_order" value="ios, android, windows, macos"' in form
    assert "default: 12\nSE: 07, 12\nNO: 07, 12\nDK: 07, 12\nFI: 07, 12</textarea>" in form
    before = _planning(root)
    checked = root.post(
        "/admin/rules/planning.yaml",
        {"action": "fields-check", "param-platform_order": "macos, ios, android, windows"},
    ).get_data(as_text=True)
    assert "Parameters whose value would change: 1" in checked
    assert (
        "parameter platform_order: [ios, android, windows, macos] -&gt; [macos, ios, android, windows]"
        in checked
    )
    # the planner splits by platform in this order: the scenarios that document it fail
    assert "<code>scenarios/platform-split.yaml</code>" in checked
    assert _planning(root) == before  # checking saves nothing
    response = root.post(
        "/admin/rules/planning.yaml",
        {
            "action": "fields",
            "param-platform_order": "ios, android, windows, macos",  # as it is: the line is kept
            "param-quiet_months": "default: 12\nSE: 07, 12\nNO: 07, 12\nDK: 07, 12\nFI: 07, 12\nIS: 07",
            "message": "Iceland's July",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    after = _planning(root)
    assert "    value: [ios, android, windows, macos]\n" in after
    assert '      FI: ["07", "12"]\n      IS: ["07"]\n    provenance: beyond_guide' in after
    rulebook = services(admin_app).engine.rulebook
    assert rulebook.tables["quiet_months"]["IS"] == ("07",)
    assert rulebook.tables["quiet_months"]["NO"] == ("07", "12")

    refused = root.post(
        "/admin/rules/planning.yaml", {"action": "fields", "param-platform_order": "windows, macos, ios"}
    )
    assert refused.status_code == 422
    assert "platform_order misses android" in refused.get_data(as_text=True)
    assert _planning(root) == after


def test_reasons_that_contradict_are_shown_by_the_check_and_block_the_save(
    admin_app: Flask, root: Browser
) -> None:
    """Two warnings for one placement, one saying the group goes early and one that it goes late."""
    before = _text(root)
    source = "https://docs.microsoft.com/intune/planning-guide-rollout-plan#it-tech-fair"
    added = "".join(
        f"\n  - id: says-{verdict}\n    decides: warning\n    value: says-{verdict}\n"
        f"    when: {{all: [{{fact: phase_number, op: eq, value: 1}}]}}\n    verdicts: [{verdict}]\n"
        f"    reason: {{en: Goes {verdict}., sv: Går {verdict}.}}\n    source: {source}\n"
        "    provenance: beyond_guide\n"
        for verdict in ("early", "late")
    )
    edited = before.rstrip("\n") + "\n" + added
    line = edited.splitlines().index("  - id: says-early") + 1
    expected = f"enrollment.yaml:{line} [says-early]: says &#39;early&#39; while [says-late]"
    check = root.post("/admin/rules/enrollment.yaml", {"action": "check", "text": edited})
    assert check.status_code == 200
    assert expected in check.get_data(as_text=True)
    assert "for the same group, e.g. phase_number=1" in check.get_data(as_text=True)
    save = root.post("/admin/rules/enrollment.yaml", {"action": "save", "text": edited})
    assert save.status_code == 422
    assert expected in save.get_data(as_text=True)
    assert "The file is unchanged." in save.get_data(as_text=True)
    assert _text(root) == before
