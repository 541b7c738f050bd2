"""Every registered export format is offered on each surface the registry names and on no other:
the command line's --format, the plan page's download links, the API's export route, and the
OpenAPI document's enum and response media types. A surface that lists formats by hand fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask

from advisor.cli import main
from advisor.output.formats import FORMATS, ExportFormat
from advisor.store.accounts import create_token, user_by_name
from tests.conftest import ROOT
from tests.web.conftest import Browser
from tests.web.helpers import json_of
from web.extensions import services

CONTOSO = ROOT / "examples" / "contoso.yaml"


def _assessment(app: Flask, anna: Browser) -> tuple[int, dict[str, str]]:
    """Anna's assessment of the guide's example, and her API token."""
    with services(app).store.session() as db:
        user = user_by_name(db, "anna")
        assert user is not None
        token = {"Authorization": f"Bearer {create_token(db, user, 'tests')}"}
    answers = yaml.safe_load(CONTOSO.read_text())
    response = anna.client.post("/api/v1/assessments", json={"answers": answers}, headers=token)
    assert response.status_code == 201, response.get_data(as_text=True)
    return int(json_of(response)["id"]), token


def _check_file(response: Any, spec: ExportFormat, assessment_id: int) -> None:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"] == spec.media_type
    disposition = response.headers["Content-Disposition"]
    # Named after the organisation and the day, never the database's id.
    assert re.fullmatch(
        rf'attachment; filename="rollout-plan-contoso-\d{{4}}-\d{{2}}-\d{{2}}\.{spec.extension}"', disposition
    )
    assert response.data


@pytest.mark.parametrize("spec", FORMATS.values(), ids=list(FORMATS))
def test_every_surface_offers_the_formats_the_registry_names(
    app: Flask, anna: Browser, spec: ExportFormat, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assessment_id, token = _assessment(app, anna)

    # The command line: accepted as --format, written to a file; a binary one never to a terminal.
    output = tmp_path / f"plan.{spec.extension}"
    argv = ["plan", str(CONTOSO), "--format", spec.name]
    if "cli" in spec.surfaces:
        assert main([*argv, "--output", str(output)]) == 0
        assert output.read_bytes()
        assert main(argv) == (2 if spec.binary else 0)
    else:
        with pytest.raises(SystemExit) as refused:
            main([*argv, "--output", str(output)])
        assert refused.value.code == 2
        assert not output.exists()
    capsys.readouterr()

    # The plan page: a download link with the format's label, and the link works.
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    path = f"/assessments/{assessment_id}/plan.{spec.name}"
    links = re.findall(rf'<a href="{re.escape(path)}">([^<]*)</a>', page)
    if "page" in spec.surfaces:
        assert links == [spec.label]
        _check_file(anna.get(path), spec, assessment_id)
    else:
        assert links == []
        assert anna.get(path).status_code == 404

    # The API's export route.
    answer = anna.client.get(f"/api/v1/assessments/{assessment_id}/export/{spec.name}", headers=token)
    if "api" in spec.surfaces:
        _check_file(answer, spec, assessment_id)
    else:
        assert answer.status_code == 404
        assert json_of(answer)["error"]["code"] == "not_found"

    # The OpenAPI document: the route's enum and the response's media types.
    document = anna.client.get("/api/v1/openapi.json").json
    assert document is not None
    route = document["paths"]["/api/v1/assessments/{assessment_id}/export/{kind}"]["get"]
    (kind,) = [p for p in route["parameters"] if p["name"] == "kind"]
    content = route["responses"]["200"]["content"]
    if "api" in spec.surfaces:
        assert spec.name in kind["schema"]["enum"]
        assert spec.essence in content
        binary = content[spec.essence]["schema"].get("format") == "binary"
        assert binary == spec.binary
        if not spec.binary and spec.essence == "application/json":
            assert json.loads(answer.data)["version"] == 1
    else:
        assert spec.name not in kind["schema"]["enum"]
