"""Tracking enrollment on the site and through the API: an upload measured and pictured per phase,
the plan page's picture, the history of uploads as a trend, bad files refused with nothing stored
(an oversized one by its length, before it is read), and the rights."""

from __future__ import annotations

import copy
import functools
import io
import logging
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import werkzeug.test
import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from advisor.model.facts import Assessment
from advisor.output.formats import offered
from advisor.services.assessments import create
from advisor.store.accounts import create_token, user_by_name
from advisor.store.tables import Base, ProgressSnapshot, VersionKind
from tests.conftest import ROOT
from tests.progress_data import Exports, generate
from tests.web.conftest import Browser, make_user
from tests.web.helpers import json_of
from tests.web.test_api import _token
from web.extensions import services

UNDER_WAY: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
UNDER_WAY["organisation"]["rollout_start"] = "2026-03"
ASSESSMENT = Assessment.model_validate(UNDER_WAY)


@pytest.fixture(autouse=True)
def multipart_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test client writes a multipart body over 500 KB to a temporary file that it never
    closes (the site closes its own); these tests send exports of several MB, so their bodies are
    built in memory instead, and nothing is left for the garbage collector to warn about."""
    encode = werkzeug.test.stream_encode_multipart
    monkeypatch.setattr(
        werkzeug.test, "stream_encode_multipart", functools.partial(encode, use_tempfile=False)
    )


def _new(app: Flask, username: str = "anna") -> int:
    svc = services(app)
    with svc.store.session() as db:
        owner = user_by_name(db, username)
    assert owner is not None
    return create(svc, owner, "Contoso", copy.deepcopy(UNDER_WAY), VersionKind.EDIT, "plan")


def _snapshots(app: Flask) -> int:
    with services(app).store.session() as db:
        return len(list(db.scalars(select(ProgressSnapshot.id))))


@pytest.fixture(scope="module")
def exports() -> Exports:
    # Checked in "yesterday" by the server's clock: the site measures on the server's today.
    return generate(ASSESSMENT, date.today(), share={"sales-marketing": 0.5}, scale=0.2)


def _files(users: bytes, devices: bytes) -> dict[str, Any]:
    return {"users": (io.BytesIO(users), "users.csv"), "devices": (io.BytesIO(devices), "devices.csv")}


def test_an_upload_shows_each_phase_against_the_plan(app: Flask, anna: Browser, exports: Exports) -> None:
    assessment_id = _new(app)
    page = anna.get(f"/assessments/{assessment_id}/progress").get_data(as_text=True)
    assert "What is kept, and what is not" in page
    assert "Nothing measured yet." in page
    response = anna.post(
        f"/assessments/{assessment_id}/progress",
        _files(exports.users_csv, exports.devices_csv),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = anna.get(f"/assessments/{assessment_id}/progress").get_data(as_text=True)
    assert 'class="chart chart-progress"' in page
    assert "Production phase 1" in page
    assert "Behind plan" in page  # every phase's window has closed short of its 95%
    assert "disabled accounts: 7" in page
    assert re.search(r"Uploaded by anna, against version 1 of the answers", page)
    plan = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    assert 'class="chart chart-progress"' in plan
    assert "Track enrollment" in plan
    review = anna.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    gate = review[review.index('id="gate-limited_pilot"') :]
    assert re.search(r"Devices enrolled, measured on [^:]+: [\d.]+% against at least 95%\.", gate)
    for value in exports.personal:
        assert value not in page
    assert _snapshots(app) == 1


def test_two_uploads_make_a_trend(app: Flask, anna: Browser, exports: Exports) -> None:
    assessment_id = _new(app)
    later = generate(ASSESSMENT, date.today(), seed=3, share={"sales-marketing": 0.9}, scale=0.2)
    for data in (exports, later):
        response = anna.post(
            f"/assessments/{assessment_id}/progress",
            _files(data.users_csv, data.devices_csv),
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
    page = anna.get(f"/assessments/{assessment_id}/progress").get_data(as_text=True)
    assert 'class="chart chart-trend"' in page
    history = page[page.index('class="progress-history"') :]
    assert history.count("<tr>") == 3  # the header and two uploads


@pytest.mark.parametrize(
    ("users", "devices", "said"),
    [
        ("users", "users", "The devices export was refused: this looks like a users export"),
        ("devices", "devices", "The users export was refused: this looks like a devices export"),
        ("users", "text", "The devices export was refused: this is not a CSV file"),
        ("header", "devices", "The users export was refused: the file has a header line but no rows"),
        ("users", "none", "Choose the devices export."),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(
    app: Flask, anna: Browser, exports: Exports, users: str, devices: str, said: str
) -> None:
    assessment_id = _new(app)
    files = {
        "users": exports.users_csv,
        "devices": exports.devices_csv,
        "header": exports.users_csv.split(b"\r\n")[0] + b"\r\n",
        "text": b"Devices to enroll this week\nsee the attachment\n",
    }
    data: dict[str, Any] = {"users": (io.BytesIO(files[users]), "users.csv")}
    if devices != "none":
        data["devices"] = (io.BytesIO(files[devices]), "devices.csv")
    response = anna.post(f"/assessments/{assessment_id}/progress", data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert said in response.get_data(as_text=True)
    assert _snapshots(app) == 0


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252"])
def test_excel_encodings_are_read(app: Flask, anna: Browser, encoding: str) -> None:
    """UTF-16 with its byte-order mark as Excel's Unicode text saves, and Windows-1252."""
    assessment_id = _new(app)
    data = generate(ASSESSMENT, date.today(), scale=0.05)
    users = data.users_csv.decode().encode(encoding)
    response = anna.post(
        f"/assessments/{assessment_id}/progress",
        _files(users, data.devices_csv.decode().encode(encoding)),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    assert _snapshots(app) == 1


class _Unread(io.RawIOBase):
    """A 500 MB body that fails the test if anyone reads it. It can be measured (the test client
    takes its length from seeking to its end), never read."""

    SIZE = 500_000_000

    def __init__(self) -> None:
        self.at = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.at = {io.SEEK_SET: 0, io.SEEK_CUR: self.at, io.SEEK_END: self.SIZE}[whence] + offset
        return self.at

    def tell(self) -> int:
        return self.at

    def readinto(self, buffer: Any) -> int:
        raise AssertionError("the oversized upload was read")


def test_an_upload_over_the_limit_is_refused_by_its_length_before_it_is_read(
    app: Flask, anna: Browser
) -> None:
    assessment_id = _new(app)
    token = anna.token("/")
    response = anna.client.post(
        f"/assessments/{assessment_id}/progress",
        input_stream=_Unread(),
        headers={"X-CSRFToken": token},
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert _snapshots(app) == 0


def test_only_those_who_may_decide_at_the_gates_may_upload(
    app: Flask, anna: Browser, exports: Exports
) -> None:
    assessment_id = _new(app)
    make_user(app, "bert")
    other = Browser(app.test_client())
    other.login("bert")
    assert other.get(f"/assessments/{assessment_id}/progress").status_code == 404
    response = other.post(
        f"/assessments/{assessment_id}/progress",
        _files(exports.users_csv, exports.devices_csv),
        content_type="multipart/form-data",
    )
    assert response.status_code == 404
    assert _snapshots(app) == 0


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_the_api_measures_an_upload_and_lists_the_history(
    app: Flask, client: FlaskClient, exports: Exports
) -> None:
    anna = _token(app, "anna")
    assessment_id = _new(app)
    url = f"/api/v1/assessments/{assessment_id}/imports/devices"
    response = client.post(url, headers=anna, data=_files(exports.users_csv, exports.devices_csv))
    assert response.status_code == 201, response.get_data(as_text=True)
    made = json_of(response)
    assert made["by"] == "anna"
    phase = next(p for p in made["progress"]["phases"] if p["phase"] == "production" and p["number"] == 1)
    assert (phase["planned"], phase["enrolled"]) == (3000, 300)  # 20% of the devices generated, half enrolled
    assert response.headers["Location"] == f"/api/v1/assessments/{assessment_id}/progress"
    listed = json_of(client.get(f"/api/v1/assessments/{assessment_id}/progress", headers=anna))
    assert [item["id"] for item in listed["items"]] == [made["id"]]
    text = response.get_data(as_text=True)
    assert not any(value in text for value in exports.personal)


def test_the_api_refuses_bad_uploads_with_a_code(app: Flask, client: FlaskClient, exports: Exports) -> None:
    anna = _token(app, "anna")
    assessment_id = _new(app)
    url = f"/api/v1/assessments/{assessment_id}/imports/devices"
    swapped = client.post(url, headers=anna, data=_files(exports.users_csv, exports.users_csv))
    assert swapped.status_code == 422
    assert json_of(swapped)["error"]["code"] == "users_as_devices"
    one = client.post(url, headers=anna, data={"users": (io.BytesIO(exports.users_csv), "u.csv")})
    assert json_of(one)["error"]["fields"] == [{"loc": "devices", "msg": "a CSV file is required"}]
    renamed = exports.devices_csv.replace(b"Managed by", b"Hanterad av", 1)
    asked = client.post(url, headers=anna, data=_files(exports.users_csv, renamed))
    assert json_of(asked)["error"]["fields"][0]["loc"] == "map-devices-managed_by"
    mapped = client.post(
        url,
        headers=anna,
        data=_files(exports.users_csv, renamed),
        query_string={"map-devices-managed_by": "Hanterad av"},
    )
    assert mapped.status_code == 201
    body = client.post(url, headers={**anna, "Content-Type": "text/csv"}, data=exports.devices_csv)
    assert body.status_code == 415
    bert = _token(app, "bert")
    assert (
        client.post(url, headers=bert, data=_files(exports.users_csv, exports.devices_csv)).status_code == 404
    )
    assert client.get(f"/api/v1/assessments/{assessment_id}/progress", headers=bert).status_code == 404
    assert _snapshots(app) == 1  # the mapped upload only


def test_nothing_from_the_exports_reaches_the_database_the_logs_or_the_plans_exports(
    app: Flask, anna: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    """The privacy test of this path on the site: after an upload (and a refused one), no UPN,
    display name or device name is in any table, the database file, the logs, the plan in every
    format the plan page offers, or the answers' exports."""
    caplog.set_level(logging.DEBUG)
    assessment_id = _new(app)
    data = generate(ASSESSMENT, date.today(), seed=11)
    response = anna.post(
        f"/assessments/{assessment_id}/progress",
        _files(data.users_csv, data.devices_csv),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    broken = data.devices_csv.replace(b"Compliant", b"Compliant,extra", 1)
    refused = anna.post(
        f"/assessments/{assessment_id}/progress",
        _files(data.users_csv, broken),
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    pages = [
        "plan",
        "progress",
        *(f"plan.{spec.name}" for spec in offered("page")),
        "export.yaml",
        "export.json",
    ]
    responses = [anna.get(f"/assessments/{assessment_id}/{page}") for page in pages]
    assert [r.status_code for r in responses] == [200] * len(pages)
    seen = [r.get_data() for r in responses]
    rows = []
    with services(app).store.session() as db:
        for table in Base.metadata.sorted_tables:
            rows += [repr(tuple(row)) for row in db.execute(text(f"SELECT * FROM {table.name}"))]  # noqa: S608 - our own table names
    stored = "\n".join(rows)
    raw = services(app).settings.resolved_database_url.removeprefix("sqlite:///")
    database = b"".join(Path(p).read_bytes() for p in (raw, f"{raw}-wal") if Path(p).exists())
    logged = "\n".join(r.getMessage() + repr(getattr(r, "fields", "")) for r in caplog.records)
    assert "progress.recorded" in logged
    for value in data.personal:
        assert value not in stored, value
        assert value.encode() not in database, value
        assert value not in logged, value
        for body in seen:
            assert value.encode() not in body, value


def test_a_column_named_otherwise_is_mapped_on_the_form(app: Flask, anna: Browser) -> None:
    assessment_id = _new(app)
    data = generate(ASSESSMENT, date.today(), scale=0.05)
    devices = data.devices_csv.replace(b"Managed by", b"Hanterad av", 1)
    url = f"/assessments/{assessment_id}/progress"
    asked = anna.post(url, _files(data.users_csv, devices), content_type="multipart/form-data")
    assert asked.status_code == 422
    page = asked.get_data(as_text=True)
    assert '<select id="map-devices-managed_by" name="map-devices-managed_by" required>' in page
    assert '<option value="Hanterad av">Hanterad av</option>' in page
    mapped = {**_files(data.users_csv, devices), "map-devices-managed_by": "Hanterad av"}
    assert anna.post(url, mapped, content_type="multipart/form-data").status_code == 302
    assert _snapshots(app) == 1
    # Mapped once, remembered: the next upload of such an export needs no form.
    again = anna.post(url, _files(data.users_csv, devices), content_type="multipart/form-data")
    assert again.status_code == 302
    assert _snapshots(app) == 2


def test_a_mapping_that_names_a_value_is_refused_and_not_remembered(app: Flask, anna: Browser) -> None:
    assessment_id = _new(app)
    data = generate(ASSESSMENT, date.today(), scale=0.05)
    devices = data.devices_csv.replace(b"Managed by", b"Hanterad av", 1)
    url = f"/assessments/{assessment_id}/progress"
    named = {**_files(data.users_csv, devices), "map-devices-managed_by": "someone@contoso.com"}
    refused = anna.post(url, named, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "someone@contoso.com" not in refused.get_data(as_text=True)
    assert _snapshots(app) == 0
    with services(app).store.session() as db:
        assert not db.execute(text("SELECT * FROM column_mappings")).all()


def test_the_api_refuses_an_upload_over_the_limit_before_reading_it(app: Flask, client: FlaskClient) -> None:
    anna = _token(app, "anna")
    assessment_id = _new(app)
    response = client.post(
        f"/api/v1/assessments/{assessment_id}/imports/devices",
        input_stream=_Unread(),
        headers=anna,
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code == 413
    assert json_of(response)["error"]["code"] == "payload_too_large"
    assert _snapshots(app) == 0


def test_a_measure_of_few_users_placed_warns_and_gates_not_yet_due_say_so(
    app: Flask, anna: Browser, exports: Exports
) -> None:
    """Group departments that no user has (typed by hand, say): the page warns that most users are
    in no group. And the rollout lies ahead: a gate short of its criterion is not yet due."""
    answers = copy.deepcopy(UNDER_WAY)
    answers["organisation"]["rollout_start"] = f"{date.today().year + 1}-03"
    for group in answers["groups"]:
        group["department"] = f"Team {group['name']}"
    svc = services(app)
    with svc.store.session() as db:
        owner = user_by_name(db, "anna")
    assert owner is not None
    assessment_id = create(svc, owner, "Contoso", answers, VersionKind.EDIT, "plan")
    response = anna.post(
        f"/assessments/{assessment_id}/progress",
        _files(exports.users_csv, exports.devices_csv),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = anna.get(f"/assessments/{assessment_id}/progress").get_data(as_text=True)
    assert re.search(r'role="alert">Warning: \d+ of the \d+ users read are in no group', page)
    assert "Not yet due" in page
    assert "<strong>Not met</strong>" not in page
    review = anna.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    gate = review[review.index('id="gate-limited_pilot"') :]
    assert re.search(r"measured on [^:]+: (0%|–) against at least 95%\. Not yet due", gate)


class _Unread5MB(_Unread):
    SIZE = 5_000_000  # over the site's 2 MB for a request, under an import's limit


@pytest.mark.parametrize("url", ["/assessments/{id}/progress", "/api/v1/assessments/{id}/imports/devices"])
def test_an_anonymous_upload_gets_the_small_limit_and_is_not_read(
    app: Flask, anna: Browser, url: str
) -> None:
    """The larger limit of an import is for those signed in (or sending a token): an anonymous
    body past the small one is refused by its length, before the CSRF check parses it."""
    assessment_id = _new(app)  # anna's: nobody signed in here
    response = app.test_client().post(
        url.format(id=assessment_id),
        input_stream=_Unread5MB(),
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code == 413
    assert _snapshots(app) == 0


def test_a_file_without_a_header_line_echoes_none_of_its_rows(
    app: Flask, client: FlaskClient, anna: Browser, exports: Exports
) -> None:
    """A users export saved without its header line: the first row is someone's, and neither the
    API's 422 nor the page's choice of columns shows any of it."""
    headerless = exports.users_csv.split(b"\n", 1)[1]
    assessment_id = _new(app)
    with services(app).store.session() as db:
        owner = user_by_name(db, "anna")
        assert owner is not None
        token = {"Authorization": f"Bearer {create_token(db, owner, 'tests')}"}
    url = f"/api/v1/assessments/{assessment_id}/imports/devices"
    api = client.post(url, headers=token, data=_files(headerless, exports.devices_csv))
    assert api.status_code == 422
    page = anna.post(
        f"/assessments/{assessment_id}/progress",
        _files(headerless, exports.devices_csv),
        content_type="multipart/form-data",
    )
    assert page.status_code == 422
    for said in (api.get_data(as_text=True), page.get_data(as_text=True)):
        assert "column 1" in said
        shown = [value for value in exports.personal if value in said]
        assert not shown, shown
    assert _snapshots(app) == 0
