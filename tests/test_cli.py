"""The `advisor` command: formats, languages, exit codes, and no output file after a failure."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from advisor.cli import main
from tests.conftest import FILES, ROOT, RULES

CONTOSO = str(ROOT / "examples" / "contoso.yaml")


def test_plan_prints_the_guide_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", CONTOSO]) == 0
    out = capsys.readouterr().out
    assert "Limited pilot — self-service      | IT (50 users)" in out
    assert "HR (50 users), Finance (40 users)" in out
    assert (
        "adding a slice of a business group to the pilots. (Current Microsoft docs)" in out
    )  # not the 2016 article's
    assert "confirm that they accept the pilot's risk. (The guide)" in out


def test_plan_as_json_follows_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", CONTOSO, "--format", "json", "--language", "sv"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["language"] == "sv"
    assert data["phases"][0]["title"] == "Begränsat pilottest"


def test_csv_opens_in_excel_with_swedish_intact(tmp_path: Path) -> None:
    output = tmp_path / "plan.csv"
    assert main(["plan", CONTOSO, "--format", "csv", "--language", "sv", "--output", str(output)]) == 0
    raw = output.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["rad", "fas", "nummer", "månad"]
    assert rows[1][:5] == ["placering", "Begränsat pilottest", "", "2027-07", "it"]
    assert rows[1][7] == "självbetjäning"


def test_markdown_has_the_table_and_the_rationale(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", CONTOSO, "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "| Limited pilot — self-service | IT (50 users) |" in out
    assert "### Executives" in out
    assert "assisted-for-executives" in out
    assert "Rulebook version" in out


def test_invalid_input_exits_1_with_every_problem_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\norganisation: {name: X, rollout_start: 2027-13}\n"
        "groups: [{id: a, name: A, users: 0, platforms: [ios]}]\n"
    )
    output = tmp_path / "out" / "plan.json"
    assert main(["plan", str(bad), "--format", "json", "--output", str(output)]) == 1
    err = capsys.readouterr().err
    assert "organisation.rollout_start: must be a month" in err
    assert "groups[0].users: must be at least 1" in err
    assert "Traceback" not in err
    assert not output.exists()
    assert not list(tmp_path.rglob("*.tmp"))


def test_broken_rules_exit_1_with_findings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "check", str(FILES / "rules_with_errors")]) == 1
    err = capsys.readouterr().err
    assert "unknown fact 'exectives' (did you mean 'executives'?)" in err


def test_rules_check_passes_on_the_shipped_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "check"]) == 0
    assert ": OK" in capsys.readouterr().out


def test_rules_schema_is_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"].endswith("2020-12/schema")
    assert "rules" in schema["properties"]


@pytest.mark.parametrize("argv", [[], ["plan"], ["plan", CONTOSO, "--format", "docx"], ["rules", "frob"]])
def test_bad_usage_exits_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2


def test_the_installed_command_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "advisor.cli", "plan", CONTOSO, "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert json.loads(result.stdout)["organisation"] == "Contoso"
    assert result.stderr == ""  # a command that succeeds says nothing more (no library chatter)
    checked = subprocess.run(
        [sys.executable, "-m", "advisor.cli", "rules", "check", str(ROOT / "rules")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (checked.returncode, checked.stderr) == (0, "")


def test_binary_formats_need_an_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", CONTOSO, "--format", "pdf"]) == 2
    assert "give --output PATH" in capsys.readouterr().err
    for kind, magic in (("pdf", b"%PDF"), ("xlsx", b"PK")):
        output = tmp_path / f"plan.{kind}"
        assert main(["plan", CONTOSO, "--format", kind, "--language", "sv", "--output", str(output)]) == 0
        assert output.read_bytes().startswith(magic)


def test_rules_check_refuses_an_emptied_rule_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: an empty enrollment.yaml passed the check ("23 rules ... OK")."""
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    (folder / "enrollment.yaml").write_text("")
    assert main(["rules", "check", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "enrollment.yaml:1: the file is empty" in err


def test_a_bad_setting_stops_the_command_naming_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVISOR_LOG_LEVEL", "chatty")
    assert main(["rules", "schema"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "ADVISOR_LOG_LEVEL='CHATTY'" in captured.err


def test_an_engine_error_exits_3_and_logs_its_traceback_as_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from advisor.evaluate.engine import Engine
    from advisor.model.errors import EngineError

    def broken(self: Engine) -> None:  # a defect in the engine, injected
        raise EngineError("a fact matched no pattern (the consuming rule is missing)")

    monkeypatch.setattr(Engine, "version", broken)
    assert main(["plan", str(ROOT / "examples" / "contoso.yaml")]) == 3
    err = capsys.readouterr().err.splitlines()
    (line,) = [json.loads(text) for text in err if text.startswith("{")]
    assert (line["event"], line["level"], line["error"], line["command"]) == (
        "engine.error",
        "error",
        "EngineError",
        "plan",
    )
    assert "consuming rule is missing" in line["traceback"]
    assert err[-1] == "a fact matched no pattern (the consuming rule is missing)"


def test_rules_diff_names_a_changed_list_parameter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changed = tmp_path / "rules"
    shutil.copytree(RULES, changed)
    planning = changed / "planning.yaml"
    planning.write_text(
        planning.read_text().replace("[ios, android, windows, macos]", "[macos, ios, android, windows]")
    )
    assert main(["rules", "diff", str(RULES), str(changed), "--no-saved"]) == 0
    out = capsys.readouterr().out
    assert "parameter platform_order: [ios, android, windows, macos] -> [macos, ios, android, windows]" in out


def test_rules_check_refuses_reasons_that_contradict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    source = "https://docs.microsoft.com/intune/planning-guide-rollout-plan#pilot"
    (folder / "zz.yaml").write_text(
        "stage: group\nrules:\n"
        + "".join(
            f"  - id: {code}\n    decides: warning\n    value: {code}\n"
            f"    verdicts: [{verdict}]\n    reason: {{en: Goes {verdict}., sv: Går {verdict}.}}\n"
            f"    source: {source}\n    provenance: beyond_guide\n"
            for code, verdict in (("in-pilot", "in_pilot"), ("out-of-pilot", "out_of_pilot"))
        )
    )
    assert main(["rules", "check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "zz.yaml:3 [in-pilot]: says 'in_pilot' while [out-of-pilot]" in out


def test_messages_prints_every_draft_in_the_files_language_or_the_one_asked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["messages", str(ROOT / "examples" / "contoso.yaml")]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# Messages to the users: Contoso")
    assert text.count("\n#### ") == 32  # four messages for each of 8 groups in a phase
    assert (
        main(["messages", str(ROOT / "examples" / "contoso.yaml"), "--language", "sv", "--format", "json"])
        == 0
    )
    found = json.loads(capsys.readouterr().out)
    assert len(found) == 32
    assert (
        found[0]["subject"]
        == "Dina enheter för arbetet flyttar till Microsoft Intune från och med den 1 juli 2027"
    )


def test_messages_as_a_zip_of_email_drafts_needs_an_output(tmp_path: Path) -> None:
    assert main(["messages", str(ROOT / "examples" / "contoso.yaml"), "--format", "zip"]) == 2
    target = tmp_path / "messages.zip"
    assert (
        main(
            ["messages", str(ROOT / "examples" / "contoso.yaml"), "--format", "zip", "--output", str(target)]
        )
        == 0
    )
    with zipfile.ZipFile(target) as archive:
        assert len(archive.namelist()) == 32
        assert all(name.endswith(".eml") for name in archive.namelist())


def test_the_calendar_as_ics_prints_and_writes_the_same_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from icalendar import Calendar

    assert main(["plan", CONTOSO, "--format", "ics", "--language", "sv"]) == 0
    printed = Calendar.from_ical(capsys.readouterr().out)
    output = tmp_path / "plan.ics"
    assert main(["plan", CONTOSO, "--format", "ics", "--language", "sv", "--output", str(output)]) == 0
    raw = output.read_bytes()
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n")
    written = Calendar.from_ical(raw)
    assert str(written["x-wr-calname"]) == "Distributionsplan för Contoso"

    def events(calendar: Calendar) -> list[tuple[str, str, str]]:
        return [
            (str(e["uid"]), e.decoded("dtstart").isoformat(), str(e["summary"]))
            for e in calendar.walk("VEVENT")
        ]

    assert events(printed) == events(written)
    assert len(events(written)) > 40
    assert events(written)[0][1] == "2027-06-02"  # the helpdesk's training, the first step
