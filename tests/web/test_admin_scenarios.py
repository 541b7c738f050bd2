"""The admin's scenarios and editor: a rule change's scenario differences shown and accepted
(versioned and audited), scenarios edited in the browser, a check that finds nothing saying so,
field edits writing only what changed, findings naming files rather than server paths, line
numbers and diffs readable without colour."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest
from flask import Flask

from advisor.cli import main
from advisor.services.rule_admin import FIRST_VERSION, export_folder
from advisor.store.rules import rule_file_versions
from advisor.store.tables import AuditEntry
from tests.conftest import store_directly, stored
from tests.web.conftest import Browser
from web.extensions import services

LOWER = ("  assisted_max_users:\n    value: 100", "  assisted_max_users:\n    value: 20")
CHANGED = ("assisted-small-group-needing-help.yaml", "drivers-tech-fair-per-site.yaml")
EXECUTIVES_SV = (
    "      sv: >-\n        Företagsledare och VIP-användare får assisterad registrering, där en IT-medarbetare guidar var och\n"
    "        en genom den.\n"
)
EXECUTIVES_EN = (
    "      sv: >-\n        Executives and VIP users get assisted enrollment, with a member of IT walking each of them\n"
    "        through it.\n"
)


def _text(browser: Browser, name: str = "enrollment.yaml") -> str:
    """A file of the rulebook as the site's database holds it."""
    return stored(services(browser.client.application), name)


def _put(app: Flask, name: str, text: str) -> None:
    """A file stored by another instance (unchecked), as this one then finds it."""
    store_directly(services(app).store, {name: text})


def _changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def _seen(root: Browser, text: str) -> dict[str, str]:
    """The scenario fingerprints a check of `text` shows, as the form sends them with an accept."""
    page = root.post("/admin/rules/enrollment.yaml", {"action": "check", "text": text}).get_data(as_text=True)
    return dict(re.findall(r'<input type="hidden" name="(seen-[^"]+)" value="([^"]*)"', page))


def _swedish(browser: Browser) -> None:
    assert browser.post("/language", {"language": "sv"}).status_code == 302


def test_a_rule_change_shows_each_scenario_difference(root: Browser) -> None:
    page = root.post(
        "/admin/rules/enrollment.yaml", {"action": "check", "text": _text(root).replace(*LOWER)}
    ).get_data(as_text=True)
    # Which scenario, which group and field, expected and now; the unchanged placements unmarked.
    assert "<code>scenarios/assisted-small-group-needing-help.yaml</code>" in page
    assert "Phases of the group Reception" in page
    assert re.search(r"<del>.*removed: </span><code>production/1 2027-02 40 assisted</code></del>", page)
    assert re.search(r"<ins>.*added: </span><code>production/1 2027-02 40 tech_fair</code></ins>", page)
    assert "<li><code>production/1 2027-05 500 tech_fair @Stockholm</code></li>" in page
    assert page.count('name="accept"') == 2
    assert "a save would be refused: some scenarios no longer get the outcome they expect" in page
    assert "Not saved: fix" not in page  # a check saves nothing: it does not say a save failed
    _swedish(root)
    page = root.post(
        "/admin/rules/enrollment.yaml", {"action": "check", "text": _text(root).replace(*LOWER)}
    ).get_data(as_text=True)
    assert "Faser för gruppen Reception" in page
    assert "Scenariot förväntar sig" in page
    assert "Godta" in page or "godta" in page


def test_accepting_the_new_outcomes_updates_the_scenarios_with_history_and_audit(
    admin_app: Flask, root: Browser, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changed = _text(root).replace(*LOWER)
    before = {name: _text(root, f"scenarios/{name}") for name in CHANGED}
    seen = _seen(root, changed)
    assert sorted(seen) == [f"seen-{name}" for name in CHANGED]
    # Accepting one of the two is not enough: nothing is written.
    response = root.post(
        "/admin/rules/enrollment.yaml", {"action": "save", "text": changed, "accept": [CHANGED[0]], **seen}
    )
    assert response.status_code == 422
    assert (
        "Not saved: fix the errors and failing scenarios first. The file is unchanged."
        in response.get_data(as_text=True)
    )
    assert _text(root) != changed
    assert {name: _text(root, f"scenarios/{name}") for name in CHANGED} == before

    response = root.post(
        "/admin/rules/enrollment.yaml",
        {"action": "save", "text": changed, "message": "Assist at most 20", "accept": list(CHANGED), **seen},
    )
    assert response.status_code == 302
    assert _text(root) == changed
    # Each scenario file changes on the one line whose outcome changed, comments and wrapping kept.
    assert _changed_lines(before[CHANGED[0]], _text(root, f"scenarios/{CHANGED[0]}")) == [
        "-    - production/1 2027-02 40 assisted",
        "+    - production/1 2027-02 40 tech_fair",
    ]
    assert _changed_lines(before[CHANGED[1]], _text(root, f"scenarios/{CHANGED[1]}")) == [
        "-    - production/1 2027-05 80 assisted @Copenhagen",
        "+    - production/1 2027-05 80 tech_fair @Copenhagen",
    ]
    page = root.get("/admin/rules/enrollment.yaml").get_data(as_text=True)
    assert "The new outcome is now expected by: scenarios/assisted-small-group-needing-help.yaml" in page
    with services(admin_app).store.session() as db:
        history = rule_file_versions(db, f"scenarios/{CHANGED[0]}")
        entries = [(e.action, e.subject) for e in db.query(AuditEntry).order_by(AuditEntry.id)]
    assert [(v.message, v.content) for v in history] == [
        (FIRST_VERSION, before[CHANGED[0]]),
        ("Assist at most 20", _text(root, f"scenarios/{CHANGED[0]}")),
    ]
    assert entries == [
        ("rules.save", "enrollment.yaml"),
        *[("scenarios.save", f"scenarios/{name}") for name in CHANGED],
    ]
    history_page = root.get(f"/admin/scenarios/{CHANGED[0]}/history?a=1&b=2").get_data(as_text=True)
    assert "-    - production/1 2027-02 40 assisted</del>" in history_page
    # What the build runs agrees: the rulebook's scenarios, exported to a folder, all pass.
    export_folder(services(admin_app).store, tmp_path / "exported")
    assert main(["rules", "test", str(tmp_path / "exported")]) == 0
    assert "0 failed" in capsys.readouterr().out


def test_an_accept_is_refused_when_the_scenario_changed_since_the_check(root: Browser) -> None:
    changed = _text(root).replace(*LOWER)
    seen = _seen(root, changed)
    # Another admin (or a checkout) changes one of the scenarios after this admin's check.
    scenario = f"scenarios/{CHANGED[0]}"
    edited = _text(root, scenario) + "# checked by hand\n"
    _put(root.client.application, scenario, edited)
    response = root.post(
        "/admin/rules/enrollment.yaml", {"action": "save", "text": changed, "accept": list(CHANGED), **seen}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"Not saved: scenarios/{CHANGED[0]} was changed meanwhile" in page
    assert _text(root) != changed  # neither the rule file nor any scenario was written
    assert _text(root, scenario) == edited


def test_scenarios_are_listed_and_edited_like_rule_files(
    admin_app: Flask, root: Browser, rules: Path
) -> None:
    listing = root.get("/admin/scenarios").get_data(as_text=True)
    assert '<a href="/admin/scenarios/contoso-guide-example.yaml">Edit</a>' in listing
    name = CHANGED[0]
    path = f"/admin/scenarios/{name}"
    before = _text(root, f"scenarios/{name}")
    wrong = before.replace("40 assisted", "40 tech_fair")
    page = root.post(path, {"action": "check", "text": wrong}).get_data(as_text=True)
    assert "Phases of the group Reception" in page
    assert "a save would be refused" in page
    refused = root.post(path, {"action": "save", "text": wrong})
    assert refused.status_code == 422
    assert "The file is unchanged." in refused.get_data(as_text=True)
    assert _text(root, f"scenarios/{name}") == before
    retitled = before.replace("name: assisted-small-group-needing-help", "name: small-group-assisted")
    page = root.post(path, {"action": "check", "text": retitled}).get_data(as_text=True)
    assert "No problems found; not saved yet." in page
    assert root.post(path, {"action": "save", "text": retitled, "message": "shorter"}).status_code == 302
    assert _text(root, f"scenarios/{name}") == retitled
    with services(admin_app).store.session() as db:
        assert [v.message for v in rule_file_versions(db, f"scenarios/{name}")] == [
            FIRST_VERSION,
            "shorter",
        ]
        assert [(e.action, e.subject) for e in db.query(AuditEntry)] == [
            ("scenarios.save", f"scenarios/{name}")
        ]
    assert root.post(f"{path}/rollback/1").status_code == 302
    assert _text(root, f"scenarios/{name}") == before
    broken = root.post(path, {"action": "check", "text": "name: [\n"}).get_data(as_text=True)
    assert "scenarios/assisted-small-group-needing-help.yaml: " in broken
    assert str(rules) not in broken
    _swedish(root)
    page = root.post(path, {"action": "check", "text": before}).get_data(as_text=True)
    assert "Inga problem hittades; inte sparat än." in page
    assert root.get("/admin/scenarios/..%2Fenrollment.yaml").status_code == 404
    assert root.get("/admin/scenarios/missing.yaml").status_code == 404


def test_a_check_that_finds_nothing_says_so_and_lists_its_warnings(root: Browser) -> None:
    page = root.post("/admin/rules/enrollment.yaml", {"action": "check", "text": _text(root)}).get_data(
        as_text=True
    )
    assert "No problems found; not saved yet." in page
    assert "Not saved" not in page
    assert "Warnings (they do not stop a save)" not in page
    untranslated = _text(root).replace(EXECUTIVES_SV, EXECUTIVES_EN)
    assert untranslated != _text(root)
    page = root.post("/admin/rules/enrollment.yaml", {"action": "check", "text": untranslated}).get_data(
        as_text=True
    )
    assert "No problems found; not saved yet." in page
    assert "Warnings (they do not stop a save): 1" in page
    assert "the Swedish reason is the same as the English one" in page
    fields = root.post(
        "/admin/rules/enrollment.yaml", {"action": "fields-check", "param-tech_fair_min_users": "50"}
    ).get_data(as_text=True)
    assert "No problems found; not saved yet." in fields
    _swedish(root)
    page = root.post("/admin/rules/enrollment.yaml", {"action": "check", "text": untranslated}).get_data(
        as_text=True
    )
    assert "Inga problem hittades; inte sparat än." in page
    assert "Varningar (de hindrar inte en sparning): 1" in page


def _form_fields(page: str) -> dict[str, str]:
    """The field-by-field form's inputs as the page renders them (what a browser sends back)."""
    fields = dict(re.findall(r'<input id="((?:param|priority)-[^"]+)" name="[^"]+" value="([^"]*)"', page))
    tables = re.findall(r'<textarea id="(param-[^"]+)" name="[^"]+"[^>]*>([^<]*)</textarea>', page)
    return {**fields, **{key: value for key, value in tables}}


@pytest.mark.parametrize("name", ["enrollment.yaml", "organisation.yaml", "pilot.yaml", "waves.yaml"])
def test_a_field_by_field_edit_changes_exactly_the_one_line(root: Browser, name: str) -> None:
    before = _text(root, name)
    page = root.get(f"/admin/rules/{name}").get_data(as_text=True)
    fields = _form_fields(page)
    priority = next(key for key in fields if key.startswith("priority-"))
    fields[priority] = str(int(fields[priority]) + 1)  # one field changed; every other sent unchanged
    response = root.post(f"/admin/rules/{name}", {**fields, "action": "fields", "message": "one field"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    changed = _changed_lines(before, _text(root, name))
    assert [line[0] for line in changed] == ["-", "+"], changed  # one line out, one line in
    assert all("priority: " in line for line in changed)


def test_a_field_edit_keeps_a_layout_the_round_trip_would_restyle(root: Browser) -> None:
    odd = (
        _text(root)
        .replace("stage: placement", "stage:    placement")
        .replace("    value: 100", "    value:   100")
    )
    _put(root.client.application, "enrollment.yaml", odd)
    fields = _form_fields(root.get("/admin/rules/enrollment.yaml").get_data(as_text=True))
    response = root.post(
        "/admin/rules/enrollment.yaml",
        {**fields, "param-tech_fair_min_users": "60", "action": "fields", "message": "one field"},
    )
    assert response.status_code == 302
    assert _changed_lines(odd, _text(root)) == ["-    value: 50", "+    value: 60"]


def test_findings_name_the_file_never_the_servers_path(admin_app: Flask, root: Browser, rules: Path) -> None:
    broken = root.post("/admin/rules/calendar.yaml", {"action": "check", "text": "rules: [\n"}).get_data(
        as_text=True
    )
    assert "calendar.yaml:2: not valid YAML" in broken
    assert str(rules) not in broken
    assert str(rules.resolve()) not in broken
    # A broken file stored: the running rulebook stays, and the rulebook page says why by name.
    calendar = _text(root, "calendar.yaml")
    _put(admin_app, "calendar.yaml", "rules: [\n")
    watcher = services(admin_app).watcher
    watcher.poll()
    assert watcher.error
    page = root.get("/admin").get_data(as_text=True)
    assert "calendar.yaml:2: not valid YAML" in page
    assert str(rules) not in page
    assert str(rules.resolve()) not in page
    # A broken scenario stored is named as people name it when a rule change is checked.
    _put(admin_app, "scenarios/zz-broken.yaml", "name: [\n")
    _put(admin_app, "calendar.yaml", calendar)
    page = root.post("/admin/rules/enrollment.yaml", {"action": "check", "text": _text(root)}).get_data(
        as_text=True
    )
    assert "scenarios/zz-broken.yaml: " in page
    assert str(rules) not in page
    assert str(rules.resolve()) not in page


def test_the_editor_has_line_numbers_and_diffs_read_without_colour(root: Browser) -> None:
    page = root.get("/admin/rules/enrollment.yaml").get_data(as_text=True)
    assert (
        '<textarea id="text" name="text" rows="30" spellcheck="false" class="code" data-line-numbers' in page
    )
    assert 'src="/static/editor.js"' in page
    broken = _text(root).replace(
        "{fact: executives, op: eq, value: true}", "{fact: exectives, op: eq, value: true}"
    )
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "exectives" in text)
    page = root.post("/admin/rules/enrollment.yaml", {"action": "check", "text": broken}).get_data(
        as_text=True
    )
    assert f'<a href="#text" class="to-line" data-line="{line}"><code>enrollment.yaml:{line} [' in page
    raised = _text(root).replace("priority: 50\n", "priority: 60\n", 1)
    assert root.post("/admin/rules/enrollment.yaml", {"action": "save", "text": raised}).status_code == 302
    diff = root.get("/admin/rules/enrollment.yaml/history?a=1&b=2").get_data(as_text=True)
    assert '<del><span class="visually-hidden">removed: </span>-    priority: 50</del>' in diff
    assert '<ins><span class="visually-hidden">added: </span>+    priority: 60</ins>' in diff
    _swedish(root)
    diff = root.get("/admin/rules/enrollment.yaml/history?a=1&b=2").get_data(as_text=True)
    assert '<del><span class="visually-hidden">borttaget: </span>-    priority: 50</del>' in diff
