"""`advisor groups propose`: an assessment file from generated exports, the report, and exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from advisor.cli import main
from advisor.model.facts import load_assessment
from bench.directory_data import display_name, upn, write_devices, write_users


@pytest.fixture
def exports(tmp_path: Path) -> tuple[Path, Path]:
    users, devices = tmp_path / "users.csv", tmp_path / "devices.csv"
    with users.open("wb") as out:
        write_users(out, 3000, 7, encoding="utf-16", delimiter="\t")
    with devices.open("wb") as out:
        write_devices(out, 4500, 3000, 7, encoding="cp1252", delimiter=";")
    return users, devices


def test_propose_writes_a_valid_assessment_and_reports_on_stderr(
    exports: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "assessment.yaml"
    args = ["groups", "propose", str(exports[0]), "--devices", str(exports[1]), "--output", str(output)]
    assert main([*args, "--organisation", "Generated AB", "--start", "2027-03", "--language", "sv"]) == 0
    assessment = load_assessment(output)
    assert (assessment.organisation.name, assessment.organisation.rollout_start) == (
        "Generated AB",
        "2027-03",
    )
    assert not any(g.executives for g in assessment.groups)  # found by title, not confirmed
    err = capsys.readouterr().err
    assert "Lästa användare: 3000" in err
    assert "Företagsledare hittade efter befattning" in err
    assert "Stöds inte längre av Intune: iOS/iPadOS 16 (från 17)" in err
    text = output.read_text(encoding="utf-8") + err
    for index in (0, 1, 99, 2999):
        assert upn(index) not in text
        assert display_name(index) not in text


def test_confirmed_executives_stay_a_group(exports: tuple[Path, Path], tmp_path: Path) -> None:
    output = tmp_path / "assessment.yaml"
    assert main(["groups", "propose", str(exports[0]), "--output", str(output), "--confirm-executives"]) == 0
    groups = yaml.safe_load(output.read_text(encoding="utf-8"))["groups"]
    executives = [g for g in groups if g["executives"]]
    assert [g["name"] for g in executives] == ["Executives"]
    assert "devices" not in executives[0]  # no devices file: the respondent answers


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04rest", "this is an Excel workbook"),
        (b"", "the file is empty"),
        (b"userPrincipalName,department,accountEnabled,userType\r\n", "a header line but no rows"),
    ],
)
def test_a_bad_file_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    bad, output = tmp_path / "users.csv", tmp_path / "assessment.yaml"
    bad.write_bytes(content)
    assert main(["groups", "propose", str(bad), "--output", str(output)]) == 2
    assert message in capsys.readouterr().err
    assert not output.exists()


def test_the_files_given_the_wrong_way_round_are_named(
    exports: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "assessment.yaml"
    assert (
        main(["groups", "propose", str(exports[1]), "--devices", str(exports[0]), "--output", str(output)])
        == 2
    )
    assert "looks like a devices export" in capsys.readouterr().err
    assert not output.exists()


def test_a_file_that_is_not_there_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["groups", "propose", str(tmp_path / "missing.csv")]) == 1
    assert "cannot read the file" in capsys.readouterr().err


def test_columns_named_otherwise_are_mapped_once_and_remembered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users, output, remembered = (
        tmp_path / "users.csv",
        tmp_path / "assessment.yaml",
        tmp_path / "columns.json",
    )
    users.write_text(
        "Login;Avdelning;Aktiv\r\nada@x.org;Ekonomi;Sant\r\nbo@x.org;Ekonomi;Falskt\r\n", encoding="utf-8"
    )
    assert main(["groups", "propose", str(users), "--output", str(output)]) == 2
    err = capsys.readouterr().err
    assert "the file has no column for: upn, department, account_enabled" in err
    assert "the file's columns: Login, Avdelning, Aktiv" in err
    assert "--map users.upn=HEADER" in err
    mapped = [
        "--map",
        "users.upn=Login",
        "--map",
        "users.department=Avdelning",
        "--map",
        "users.account_enabled=Aktiv",
    ]
    assert (
        main(
            ["groups", "propose", str(users), "--output", str(output), "--mapping", str(remembered), *mapped]
        )
        == 0
    )
    assert yaml.safe_load(output.read_text(encoding="utf-8"))["groups"][0]["users"] == 1
    output.unlink()
    assert main(["groups", "propose", str(users), "--output", str(output), "--mapping", str(remembered)]) == 0
    assert yaml.safe_load(output.read_text(encoding="utf-8"))["groups"][0]["name"] == "Ekonomi"
    assert "ada@x.org" not in remembered.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("users.department", "write KIND.FIELD=HEADER"),
        ("people.department=Avdelning", "write KIND.FIELD=HEADER"),
        ("users.surname=Efternamn", "unknown field codes: surname"),
    ],
)
def test_a_wrong_map_exits_2_and_writes_nothing(
    exports: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, message: str
) -> None:
    output = tmp_path / "assessment.yaml"
    assert main(["groups", "propose", str(exports[0]), "--output", str(output), "--map", option]) == 2
    assert message in capsys.readouterr().err
    assert not output.exists()
