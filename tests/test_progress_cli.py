"""`advisor progress`: an assessment file planned and measured against generated exports."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from advisor.cli import main
from advisor.model.facts import Assessment
from tests.conftest import ROOT
from tests.progress_data import generate

ANSWERS: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
ANSWERS = copy.deepcopy(ANSWERS)
ANSWERS["organisation"]["rollout_start"] = "2026-03"
TODAY = date(2026, 4, 15)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path, set[str]]:
    assessment = tmp_path / "assessment.yaml"
    assessment.write_text(yaml.safe_dump(ANSWERS, allow_unicode=True))
    data = generate(Assessment.model_validate(ANSWERS), TODAY, share={"sales-marketing": 0.5})
    users, devices = tmp_path / "users.csv", tmp_path / "devices.csv"
    users.write_bytes(data.users_csv)
    devices.write_bytes(data.devices_csv)
    return assessment, users, devices, data.personal


def test_progress_prints_each_phase_and_gate(
    files: tuple[Path, Path, Path, set[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    assessment, users, devices, personal = files
    assert main(["progress", str(assessment), str(users), str(devices), "--today", "2026-04-15"]) == 0
    out = capsys.readouterr().out
    assert "Enrollment on 2026-04-15: devices managed by Intune that checked in within 30 days" in out
    assert "Production phase 1 (2026-04): 1500 of 3000 (50%); by today 67.9% expected – BEHIND PLAN" in out
    assert "Go/no-go review after Limited pilot on 2026-03-12:" in out
    assert "disabled accounts: 7" in out
    assert not any(value in out for value in personal)


def test_progress_as_json_in_swedish_words_too(
    files: tuple[Path, Path, Path, set[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    assessment, users, devices, _ = files
    args = ["progress", str(assessment), str(users), str(devices), "--today", "2026-04-15"]
    assert main([*args, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    phase = next(p for p in data["phases"] if p["phase"] == "production" and p["number"] == 1)
    assert (phase["enrolled"], phase["planned"], phase["behind"]) == (1500, 3000, True)
    assert main([*args, "--language", "sv"]) == 0
    assert "Registrering den 2026-04-15" in capsys.readouterr().out


def test_a_users_file_given_as_the_devices_file_exits_2_naming_it(
    files: tuple[Path, Path, Path, set[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    assessment, users, _, _ = files
    assert main(["progress", str(assessment), str(users), str(users)]) == 2  # as every refused export
    err = capsys.readouterr().err
    assert f"{users}: this looks like a users export (from Microsoft Entra ID)" in err


def test_a_column_named_otherwise_is_mapped_once_and_remembered(
    files: tuple[Path, Path, Path, set[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assessment, users, devices, _ = files
    renamed = tmp_path / "enheter.csv"
    renamed.write_bytes(devices.read_bytes().replace(b"Managed by", b"Hanterad av", 1))
    remembered = tmp_path / "columns.json"
    args = ["progress", str(assessment), str(users), str(renamed), "--today", "2026-04-15"]
    assert main([*args, "--mapping", str(remembered)]) == 2
    err = capsys.readouterr().err
    assert "--map devices.managed_by=HEADER" in err
    assert not remembered.exists()
    assert main([*args, "--map", "devices.managed_by=Hanterad av", "--mapping", str(remembered)]) == 0
    first = capsys.readouterr().out
    assert "1500 of 3000 (50%)" in first
    assert json.loads(remembered.read_text())["devices"] == {"managed_by": "Hanterad av"}
    assert main([*args, "--mapping", str(remembered)]) == 0  # no --map this time
    assert capsys.readouterr().out == first
    assert main([*args, "--map", "managed_by=Hanterad av"]) == 2
    assert (
        "advisor progress: --map managed_by=Hanterad av: write KIND.FIELD=HEADER" in capsys.readouterr().err
    )
