"""Groups from the organisation's own exports on the site and through the API: the upload, the
mapping of columns named otherwise (remembered), the preview's edits, applying (answers kept on a
re-import, what changed shown), every bad file refused with its reason and nothing changed, an
oversized upload refused by its size before it is read, and no name or address from an upload
anywhere afterwards (database, logs, exports)."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from advisor.output.formats import offered
from advisor.store import directory as pending_store
from advisor.store.reviews import review_events
from advisor.store.tables import AssessmentRecord, DirectoryProposal, ReviewAction, VersionKind
from bench.directory_data import devices_csv, display_name, upn, users_csv
from tests.web.conftest import Browser, site_app
from tests.web.helpers import CHOSEN, json_of
from tests.web.test_api import _token
from web.extensions import services

ORGANISATION = {"name": "Åby kommun", "rollout_start": "2027-03", "language": "en"}


def _text(page: str) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))


def _new_assessment(site: Browser) -> int:
    response = site.post("/assessments", {"title": "Åby"})
    assessment_id = int(response.headers["Location"].split("/")[2])
    answered = site.post(f"/assessments/{assessment_id}/organisation", ORGANISATION)
    assert answered.status_code == 302, answered.get_data(as_text=True)[:500]
    return assessment_id


def _record(app: Flask, assessment_id: int) -> AssessmentRecord:
    with services(app).store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        return record


def _upload(
    site: Browser,
    assessment_id: int,
    users: bytes,
    devices: bytes | None = None,
    fields: dict[str, str] | None = None,
) -> Any:
    """Send the exports as the upload form does. The body is encoded here, in memory: the test
    client would spool a large one to a temporary file of its own and leave it open."""
    values: dict[str, Any] = {"csrf_token": site.token("/"), **(fields or {})}
    values["users"] = FileStorage(io.BytesIO(users), "users.csv", content_type="text/csv")
    if devices is not None:
        values["devices"] = FileStorage(io.BytesIO(devices), "devices.csv", content_type="text/csv")
    boundary, body = encode_multipart(values)
    return site.client.post(
        f"/assessments/{assessment_id}/import-groups",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _pending(app: Flask, assessment_id: int) -> dict[str, Any] | None:
    with services(app).store.session() as db:
        row = pending_store.pending(db, assessment_id)
        return None if row is None else row.proposal


def _token_of(app: Flask, assessment_id: int) -> str:
    with services(app).store.session() as db:
        row = pending_store.pending(db, assessment_id)
        assert row is not None
        return row.token


def _shown_token(page: str) -> str:
    """The proposal token the preview's forms carry (every form the same)."""
    tokens = set(re.findall(r'name="proposal" value="([^"]+)"', page))
    assert len(tokens) == 1, tokens
    return str(tokens.pop())


def _apply(site: Browser, app: Flask, org: int, **kwargs: Any) -> Any:
    """Apply as the preview's form does, with the proposal as it is now."""
    return site.post(f"/assessments/{org}/import-groups/apply", {"proposal": _token_of(app, org)}, **kwargs)


def _edit(site: Browser, app: Flask, org: int, form: dict[str, Any], **kwargs: Any) -> Any:
    """An edit as the preview's forms send it, on the proposal as it is now."""
    return site.post(
        f"/assessments/{org}/import-groups/preview", {**form, "proposal": _token_of(app, org)}, **kwargs
    )


@pytest.fixture
def org(anna: Browser) -> int:
    return _new_assessment(anna)


USERS, TRUTH = users_csv(600, seed=16)
DEVICES, DEVICE_TRUTH = devices_csv(800, users=600, seed=16)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_upload_preview_and_apply(app: Flask, anna: Browser, org: int) -> None:
    before = _record(app, org)
    response = _upload(anna, org, USERS, DEVICES)
    assert response.status_code == 303, _text(response.get_data(as_text=True))[:800]
    assert _record(app, org).revision == before.revision  # nothing in the assessment changed yet
    page = _text(anna.get(f"/assessments/{org}/import-groups/preview").get_data(as_text=True))
    assert "Sales" in page
    assert "Produktion" in page
    assert f"{TRUTH.disabled} disabled accounts left out" in page
    assert f"{TRUTH.guests} guest accounts left out" in page
    assert f"{TRUTH.unassigned} users have no department" in page
    assert "“SALES”" in page  # a spelling variant, listed with its count
    assert "no longer supports" in page  # old OS versions flagged
    applied = _apply(anna, app, org)
    assert applied.status_code == 302
    assert applied.headers["Location"].endswith(f"/assessments/{org}/groups")
    record = _record(app, org)
    groups = record.answers["groups"]
    names = {g["name"] for g in groups}
    assert {"Sales", "Produktion", "IT"} <= names
    it = next(g for g in groups if g["name"] == "IT")
    assert it["it_department"] is True
    for group in groups:  # the discussion points no data answers are left for the respondent
        assert group["change_readiness"] is None
        assert group["business_risk"] is None
    assert sum(g["users"] for g in groups) + TRUTH.disabled + TRUTH.guests == TRUTH.rows
    assert _pending(app, org) is None
    with services(app).store.session() as db:
        events = review_events(db, org)
    assert [e.action for e in events][-1] == ReviewAction.GROUPS_IMPORTED
    groups_page = _text(anna.get(f"/assessments/{org}/groups").get_data(as_text=True))
    assert "Needs answers" in groups_page
    history = _text(anna.get(f"/assessments/{org}/history").get_data(as_text=True))
    assert "Groups counted from the exports" in history


def test_the_executives_are_shown_for_confirmation_never_assumed(app: Flask, anna: Browser, org: int) -> None:
    _upload(anna, org, USERS)
    page = anna.get(f"/assessments/{org}/import-groups/preview").get_data(as_text=True)
    assert "Confirm executives" in page
    _apply(anna, app, org)
    groups = _record(app, org).answers["groups"]
    assert not any(g.get("executives") for g in groups)  # not confirmed: back in their departments
    assert sum(g["users"] for g in groups) + TRUTH.disabled + TRUTH.guests == TRUTH.rows


def _group_id(app: Flask, org: int, name: str) -> str:
    proposal = _pending(app, org)
    assert proposal is not None
    return str(next(g["id"] for g in proposal["groups"] if g["name"] == name))


def test_the_preview_edits(app: Flask, anna: Browser, org: int) -> None:
    _upload(anna, org, USERS, DEVICES)
    sales, hr, it = (_group_id(app, org, n) for n in ("Sales", "Human Resources", "IT"))
    edit = f"/assessments/{org}/import-groups/preview"
    assert _edit(anna, app, org, {"op": "rename", "group": it, "name": "IT-avdelningen"}).status_code == 303
    merged = _edit(anna, app, org, {"op": "merge", "group": [sales, hr], "name": "Sales and HR"})
    assert merged.status_code == 303
    proposal = _pending(app, org)
    assert proposal is not None
    executives = next(g["id"] for g in proposal["groups"] if g.get("executives"))
    titles = list(proposal["report"]["executive_titles"])
    _edit(anna, app, org, {"op": "confirm_executives", "group": executives, "title": titles})
    produktion = _group_id(app, org, "Produktion")
    _edit(anna, app, org, {"op": "split", "group": produktion})
    _edit(anna, app, org, {"op": "exclude", "group": _group_id(app, org, "Ekonomi")})
    ledning = _group_id(app, org, "Ledning")
    _edit(anna, app, org, {"op": "exclude", "group": ledning})
    _edit(anna, app, org, {"op": "include", "group": ledning})  # taken back
    raw = anna.get(edit).get_data(as_text=True)
    assert 'value="IT-avdelningen"' in raw
    assert 'value="Sales and HR"' in raw
    assert 'value="Ledning"' in raw
    assert 'value="Ekonomi"' not in raw
    page = _text(raw)
    assert "Left out Ekonomi" in page
    refused = _text(
        _edit(anna, app, org, {"op": "merge", "group": [sales], "name": "X"}, follow_redirects=True).get_data(
            as_text=True
        )
    )
    assert "tick at least two groups to merge" in refused
    gone = _text(
        _edit(anna, app, org, {"op": "rename", "group": hr, "name": "Y"}, follow_redirects=True).get_data(
            as_text=True
        )
    )
    assert f"there is no group {hr}" in gone  # merged into another already
    _apply(anna, app, org)
    groups = _record(app, org).answers["groups"]
    names = [g["name"] for g in groups]
    assert "IT-avdelningen" in names
    assert "Sales and HR" in names
    assert "Ekonomi" not in names
    assert "Ledning" in names
    assert any(g.get("executives") for g in groups)
    assert sum(1 for n in names if n.startswith("Produktion")) > 1  # one group per site


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_reimport_updates_counts_keeps_answers_and_shows_what_changed(
    app: Flask, anna: Browser, org: int
) -> None:
    _upload(anna, org, USERS, DEVICES)
    _apply(anna, app, org)
    record = _record(app, org)
    answers = record.answers
    sales = next(g for g in answers["groups"] if g["name"] == "Sales")
    sales.update(change_readiness="high", feedback=True, needs_help="low", business_risk="low")
    with services(app).store.session() as db:
        from advisor.store.accounts import user_by_name
        from advisor.store.assessments import add_version

        user = user_by_name(db, "anna")
        assert user is not None
        add_version(db, org, user, answers, VersionKind.EDIT, None, None)
    more, truth = users_csv(900, seed=16)
    _upload(anna, org, more, devices_csv(1200, users=900, seed=16)[0])
    page = _text(anna.get(f"/assessments/{org}/import-groups/preview").get_data(as_text=True))
    assert "What applying changes in the assessment" in page
    assert f"Sales: users {sales['users']} → {truth.members['Sales']}" in page
    applied = _apply(anna, app, org, follow_redirects=True)
    said = _text(applied.get_data(as_text=True))
    assert f"Sales: users {sales['users']} → {truth.members['Sales']}" in said  # shown after, too
    after = next(g for g in _record(app, org).answers["groups"] if g["name"] == "Sales")
    assert after["change_readiness"] == "high"
    assert after["feedback"] is True
    assert after["needs_help"] == "low"
    assert after["users"] == truth.members["Sales"]
    assert after["users"] != sales["users"]


def _users_with(header: str, rows: list[str], encoding: str = "utf-8") -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode(encoding)


RENAMED = "userPrincipalName,displayName,userType,Avdelning,accountEnabled,city"
RENAMED_ROWS = [
    f"{upn(i)},{display_name(i)},Member,{('Ekonomi', 'IT', 'Sales')[i % 3]},True,Umeå" for i in range(60)
]


def test_missing_columns_are_mapped_once_and_remembered(app: Flask, anna: Browser, org: int) -> None:
    content = _users_with(RENAMED, RENAMED_ROWS)
    response = _upload(anna, org, content)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'name="map-users-department"' in page
    assert '<option value="Avdelning">' in page
    assert _pending(app, org) is None
    response = _upload(anna, org, content, fields={"map-users-department": "Avdelning"})
    assert response.status_code == 303, _text(response.get_data(as_text=True))[:500]
    anna.post(f"/assessments/{org}/import-groups/discard")
    assert _upload(anna, org, content).status_code == 303  # remembered: no question the second time


def _utf8_then_broken() -> bytes:
    good = _users_with(
        "userPrincipalName,userType,department,accountEnabled",
        [f"{upn(i)},Member,Försäljning,True" for i in range(3000)],
    )
    return good + f"{upn(9999)},Member,\xe9conomie,True\r\n".encode("cp1252")


BAD_FILES: list[tuple[str, bytes, bytes | None, str]] = [
    ("not_csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, None, "not a text file"),
    ("workbook", b"PK\x03\x04" + b"\x00" * 400, None, "Excel workbook"),
    ("empty", b"", None, "the file is empty"),
    ("no_rows", USERS.split(b"\r\n")[0] + b"\r\n", None, "no rows"),
    ("devices_as_users", DEVICES, None, "looks like a devices export"),
    ("users_as_devices", USERS, USERS, "looks like a users export"),
    ("broken_utf8", _utf8_then_broken(), None, "line 3002 is not UTF-8"),
]


@pytest.mark.parametrize(("name", "users", "devices", "said"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_is_refused_with_its_reason_and_changes_nothing(
    app: Flask, anna: Browser, org: int, name: str, users: bytes, devices: bytes | None, said: str
) -> None:
    before = _record(app, org)
    response = _upload(anna, org, users, devices)
    assert response.status_code == 422
    page = _text(response.get_data(as_text=True))
    assert "nothing was changed" in page
    assert said in page, page[:1500]
    assert _pending(app, org) is None
    after = _record(app, org)
    assert (after.revision, after.answers) == (before.revision, before.answers)


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("utf-16", "\t"), ("cp1252", ";"), ("utf-8-sig", ",")], ids=str
)
def test_excel_encodings_are_read_right(
    app: Flask, anna: Browser, org: int, encoding: str, delimiter: str
) -> None:
    """UTF-16 with a tab as Excel's Unicode text saves it, Windows-1252 with semicolons as Swedish
    Excel's CSV: the departments come out with their å, ä and ö."""
    content, truth = users_csv(300, seed=3, encoding=encoding, delimiter=delimiter)
    response = _upload(anna, org, content)
    assert response.status_code == 303, _text(response.get_data(as_text=True))[:800]
    proposal = _pending(app, org)
    assert proposal is not None
    names = {g["name"] for g in proposal["groups"]}
    assert "Försäljning" in names
    assert proposal["report"]["users_read"] == truth.rows


class _Unread(io.RawIOBase):
    """A body of `size` bytes that fails the test if anything reads it (the test client measures
    it by seeking to its end, which reads nothing)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size, self.position = size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = self.size if whence == io.SEEK_END else offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: Any) -> int:
        raise AssertionError("the oversized upload was read")


def test_an_oversized_upload_is_refused_by_its_size_before_it_is_read(
    app: Flask, anna: Browser, org: int
) -> None:
    size = 500 * 1024 * 1024
    token = anna.token("/")
    response = anna.client.post(
        f"/assessments/{org}/import-groups",
        input_stream=_Unread(size),
        headers={"X-CSRFToken": token},
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code == 413
    assert "200 MB" in _text(response.get_data(as_text=True))
    api = _token(app, "bo")
    created = app.test_client().post("/api/v1/assessments", json={"answers": _contoso()}, headers=api)
    assessment_id = json_of(created)["id"]
    response = app.test_client().post(
        f"/api/v1/assessments/{assessment_id}/imports/users",
        input_stream=_Unread(size),
        headers=api,
        content_type="text/csv",
    )
    assert response.status_code == 413
    assert json_of(response)["error"]["code"] == "payload_too_large"
    assert _pending(app, assessment_id) is None


def test_the_site_wide_limit_still_holds_elsewhere(app: Flask, anna: Browser, org: int) -> None:
    response = anna.client.post(
        f"/assessments/{org}/organisation",
        input_stream=_Unread(50 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413


def _contoso() -> dict[str, Any]:
    import yaml

    from tests.conftest import ROOT

    return dict(yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text()))


def test_the_api_proposes_edits_and_applies(app: Flask) -> None:
    headers = _token(app, "bo")
    client = app.test_client()
    created = json_of(client.post("/api/v1/assessments", json={"answers": _contoso()}, headers=headers))
    base = f"/api/v1/assessments/{created['id']}/imports/users"
    response = client.post(
        base,
        data={"users": (io.BytesIO(USERS), "u.csv"), "devices": (io.BytesIO(DEVICES), "d.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_data(as_text=True)[:500]
    proposal = json_of(response)
    assert proposal["report"]["users_read"] == TRUTH.rows
    assert proposal["has_devices"] is True
    sales = next(g for g in proposal["groups"] if g["name"] == "Sales")
    assert sales["answers"]["devices_by_platform"]
    assert json_of(client.get(base, headers=headers)) == proposal
    body = client.post(base, data=USERS, headers=headers, content_type="text/csv")  # a CSV body
    assert body.status_code == 201
    assert json_of(body)["has_devices"] is False
    applied = client.post(
        f"{base}/apply",
        json={
            "revision": created["revision"],
            "token": json_of(body)["token"],
            "edits": [{"op": "rename", "group": sales["id"], "name": "Sälj"}],
        },
        headers=headers,
    )
    assert applied.status_code == 200, applied.get_data(as_text=True)[:500]
    result = json_of(applied)
    names = [g["name"] for g in result["assessment"]["answers"]["groups"]]
    assert "Sälj" in names
    assert "IT" in names  # the guide's example's own IT group, matched by department and kept
    assert result["changes"]
    assert client.get(base, headers=headers).status_code == 404
    stale = client.post(
        f"{base}/apply",
        json={"revision": created["revision"], "token": json_of(body)["token"]},
        headers=headers,
    )
    assert stale.status_code == 404  # nothing waits any more
    refused = client.post(base, data=DEVICES, headers=headers, content_type="text/csv")
    assert refused.status_code == 422
    assert json_of(refused)["error"]["code"] == "devices_as_users"
    missing = client.post(
        base, data=_users_with(RENAMED, RENAMED_ROWS), headers=headers, content_type="text/csv"
    )
    assert json_of(missing)["error"]["code"] == "missing_columns"
    assert [f["loc"] for f in json_of(missing)["error"]["fields"]] == ["map-users-department"]
    mapped = client.post(
        f"{base}?map-users-department=Avdelning",
        data=_users_with(RENAMED, RENAMED_ROWS),
        headers=headers,
        content_type="text/csv",
    )
    assert mapped.status_code == 201


def test_someone_elses_assessment_cannot_be_imported_into(app: Flask, anna: Browser, org: int) -> None:
    headers = _token(app, "bo")
    response = app.test_client().post(
        f"/api/v1/assessments/{org}/imports/users", data=USERS, headers=headers, content_type="text/csv"
    )
    assert response.status_code == 404
    assert _pending(app, org) is None


# The privacy test --------------------------------------------------------------------------------


@pytest.fixture
def logged_app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    with site_app(tmp_path, database_url, log_level="DEBUG") as made:
        yield made


def test_no_name_or_address_from_an_upload_is_kept_logged_or_exported(
    logged_app: Flask, tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from tests.web.conftest import make_user

    app = logged_app
    make_user(app, "anna")
    site = Browser(app.test_client())
    site.login("anna")
    org = _new_assessment(site)
    users, truth = users_csv(2000, seed=99)
    devices, _ = devices_csv(2500, users=2000, seed=99)
    assert _upload(site, org, users, devices).status_code == 303
    site.get(f"/assessments/{org}/import-groups/preview")
    # A refused upload too: its messages must name positions, never values.
    _upload(site, org, devices)
    assert _upload(site, org, users, devices).status_code == 303
    waiting = _pending(app, org)
    assert waiting is not None
    # Kept while it waits, as the page says; gone once applied (but for those that are the
    # rulebook's own patterns, such as "CEO", which the database holds as the rulebook).
    from tests.conftest import ROOT

    patterns = (ROOT / "rules" / "directory.yaml").read_text(encoding="utf-8")
    titles = [
        t for t in waiting["report"]["executive_titles"] if not re.search(rf"\b{re.escape(t)}\b", patterns)
    ]
    assert titles
    _apply(site, app, org)
    record = _record(app, org)
    # Answer the rest so that there is a plan to export.
    answers = record.answers
    for group in answers["groups"]:
        group.update({name: chosen for name, chosen in CHOSEN.items() if group.get(name) is None})
    with services(app).store.session() as db:
        from advisor.services.assessments import plans_for
        from advisor.store.accounts import user_by_name
        from advisor.store.assessments import add_version

        user = user_by_name(db, "anna")
        assert user is not None
    plans, version = plans_for(services(app), answers)
    assert plans is not None
    with services(app).store.session() as db:
        add_version(db, org, user, answers, VersionKind.EDIT, plans, version)
    exported = [site.get(f"/assessments/{org}/export.{kind}").get_data() for kind in ("yaml", "json")]
    for spec in offered("page"):
        response = site.get(f"/assessments/{org}/plan.{spec.name}")
        assert response.status_code == 200, spec.name
        exported.append(response.get_data())
    secrets = _personal_values(truth.rows)
    # Every column of every table, and the raw SQLite file (with its write-ahead log).
    engine = services(app).store.engine
    seen: list[str] = []
    with engine.connect() as connection:
        metadata = sa.MetaData()
        metadata.reflect(bind=connection)
        for table in metadata.sorted_tables:
            for row in connection.execute(sa.select(table)):
                seen.extend(str(value) for value in row)
    database_text = "\n".join(seen).casefold()
    for title in titles:  # gone with the applied proposal ("CIO" as a word, not inside "social")
        assert not re.search(rf"\b{re.escape(title)}\b", "\n".join(seen)), title
    url = engine.url.database
    assert url is not None
    raw = b"".join(Path(p).read_bytes() for p in (url, url + "-wal") if Path(p).exists())
    logs = capsys.readouterr().err + "\n".join(r.getMessage() for r in caplog.records)
    for value in secrets:
        folded = value.casefold()
        assert folded not in database_text, value
        assert value.encode() not in raw, value
        assert value.encode("utf-16-le") not in raw, value
        assert folded not in logs.casefold(), value
        for body in exported:
            assert value.encode() not in body, value
    assert not any(Path(tmp_path).rglob("*.csv"))  # no upload left on disk


def _personal_values(rows: int) -> list[str]:
    """Every address and display name the generator wrote (display names are few and repeat, so
    only those unlike a department or a site: a first and last name together)."""
    names = {display_name(i) for i in range(rows)}
    return [upn(i) for i in range(0, rows, 7)] + sorted(names)


def test_an_edit_or_a_revision_refused_through_the_api_applies_nothing(app: Flask) -> None:
    headers = _token(app, "bo")
    client = app.test_client()
    created = json_of(client.post("/api/v1/assessments", json={"answers": _contoso()}, headers=headers))
    base = f"/api/v1/assessments/{created['id']}/imports/users"
    uploaded = client.post(base, data=USERS, headers=headers, content_type="text/csv")
    assert uploaded.status_code == 201
    token = json_of(uploaded)["token"]
    before = _record(app, created["id"])
    cases = [
        (
            {
                "revision": created["revision"],
                "edits": [{"op": "rename", "group": "no-such-group", "name": "X"}],
            },
            422,
        ),
        ({"revision": created["revision"], "edits": [{"op": "merge", "groups": ["it"], "name": "X"}]}, 422),
        ({"revision": created["revision"], "edits": [{"op": "explode", "group": "it"}]}, 422),
        ({"revision": created["revision"] + 1}, 409),
    ]
    for body, status in cases:
        response = client.post(f"{base}/apply", json={**body, "token": token}, headers=headers)
        assert response.status_code == status, response.get_data(as_text=True)
        if status == 422:
            error = json_of(response)["error"]
            assert error["code"] == "edit_refused"
            assert [f["loc"] for f in error["fields"]] == ["edits[0]"]
    after = _record(app, created["id"])
    assert (after.revision, after.answers) == (before.revision, before.answers)
    assert json_of(client.get(base, headers=headers))["edits"] == []  # nothing kept of them


def test_patterns_that_cannot_be_used_are_refused(app: Flask, anna: Browser, org: int) -> None:
    response = _upload(anna, org, USERS, fields={"it_department": "IT\nin*side"})
    assert response.status_code == 422
    assert "The IT department's patterns cannot be used" in _text(response.get_data(as_text=True))
    assert _pending(app, org) is None
    mine = _upload(anna, org, USERS, fields={"it_department": "ekonomi", "executive_titles": "Analyst"})
    assert mine.status_code == 303
    proposal = _pending(app, org)
    assert proposal is not None
    assert [g["name"] for g in proposal["groups"] if g["it_department"]] == ["Ekonomi"]
    assert "Analyst" in proposal["report"]["executive_titles"]


def test_applying_on_a_stale_page_is_refused_and_keeps_the_proposal(
    app: Flask, anna: Browser, org: int
) -> None:
    _upload(anna, org, USERS)
    seen = _record(app, org).revision
    anna.post(f"/assessments/{org}/organisation", {**ORGANISATION, "name": "Åby kommun (ny)"})
    response = anna.post(
        f"/assessments/{org}/import-groups/apply",
        {"revision": str(seen), "version": "1", "proposal": _token_of(app, org)},
    )
    assert response.status_code == 409
    assert _pending(app, org) is not None
    assert "groups" not in _record(app, org).answers or not _record(app, org).answers["groups"]


def test_the_columns_of_both_files_are_asked_for_at_once(app: Flask, anna: Browser, org: int) -> None:
    users = _users_with(RENAMED, RENAMED_ROWS)
    devices = DEVICES.replace(b",OS,OS version,", b",System,OS version,", 1)
    response = _upload(anna, org, users, devices)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'name="map-users-department"' in page
    assert 'name="map-devices-os"' in page
    assert '<option value="System">' in page
    mapped = {"map-users-department": "Avdelning", "map-devices-os": "System"}
    assert _upload(anna, org, users, devices, fields=mapped).status_code == 303
    proposal = _pending(app, org)
    assert proposal is not None
    assert proposal["has_devices"] is True


# Two tabs, stale pages and the token of the proposal ----------------------------------------------

OTHER_USERS = _users_with(RENAMED, RENAMED_ROWS)  # other departments than USERS: Ekonomi, IT, Sales


def test_a_page_of_a_replaced_proposal_neither_applies_nor_edits_the_new_one(
    app: Flask, anna: Browser, org: int
) -> None:
    _upload(anna, org, USERS)
    tab_a = anna.get(f"/assessments/{org}/import-groups/preview").get_data(as_text=True)
    seen = _shown_token(tab_a)
    produktion = _group_id(app, org, "Produktion")
    # Tab B uploads another file: its proposal replaces the one tab A shows.
    assert _upload(anna, org, OTHER_USERS, fields={"map-users-department": "Avdelning"}).status_code == 303
    replaced = _pending(app, org)
    before = _record(app, org)
    edited = anna.post(
        f"/assessments/{org}/import-groups/preview",
        {"op": "rename", "group": produktion, "name": "Fabriken", "proposal": seen},
        follow_redirects=True,
    )
    assert "the preview changed since your page was shown" in _text(edited.get_data(as_text=True))
    applied = anna.post(
        f"/assessments/{org}/import-groups/apply",
        {"revision": str(before.revision), "version": "1", "proposal": seen},
    )
    assert applied.status_code == 409
    assert "The preview changed since your page was shown" in _text(applied.get_data(as_text=True))
    discarded = anna.post(f"/assessments/{org}/import-groups/discard", {"proposal": seen})
    assert discarded.status_code == 409
    assert _pending(app, org) == replaced  # tab B's proposal waits, unedited
    after = _record(app, org)
    assert (after.revision, after.answers) == (before.revision, before.answers)
    assert _apply(anna, app, org).status_code == 302  # the page as it is now applies
    assert {g["name"] for g in _record(app, org).answers["groups"]} >= {"Ekonomi", "Sales"}


def test_two_edits_from_one_page_never_lose_either(app: Flask, anna: Browser, org: int) -> None:
    _upload(anna, org, USERS)
    seen = _shown_token(anna.get(f"/assessments/{org}/import-groups/preview").get_data(as_text=True))
    sales, hr = _group_id(app, org, "Sales"), _group_id(app, org, "Human Resources")
    edit = f"/assessments/{org}/import-groups/preview"
    assert (
        anna.post(edit, {"op": "rename", "group": sales, "name": "Sälj", "proposal": seen}).status_code == 303
    )
    second = anna.post(
        edit, {"op": "rename", "group": hr, "name": "HR", "proposal": seen}, follow_redirects=True
    )  # the same page again (another tab, or sent twice): made on a state that is gone
    assert "the preview changed since your page was shown" in _text(second.get_data(as_text=True))
    with services(app).store.session() as db:
        row = pending_store.pending(db, org)
        assert row is not None
        assert row.edits == [{"op": "rename", "group": sales, "name": "Sälj"}]
    page = anna.get(edit).get_data(as_text=True)
    assert _shown_token(page) == _token_of(app, org)


def test_the_api_refuses_to_apply_a_proposal_it_has_not_read(app: Flask) -> None:
    headers = _token(app, "bo")
    client = app.test_client()
    created = json_of(client.post("/api/v1/assessments", json={"answers": _contoso()}, headers=headers))
    base = f"/api/v1/assessments/{created['id']}/imports/users"
    first = json_of(client.post(base, data=USERS, headers=headers, content_type="text/csv"))
    mapped = client.post(
        f"{base}?map-users-department=Avdelning", data=OTHER_USERS, headers=headers, content_type="text/csv"
    )
    assert mapped.status_code == 201
    response = client.post(
        f"{base}/apply", json={"revision": created["revision"], "token": first["token"]}, headers=headers
    )
    assert response.status_code == 409, response.get_data(as_text=True)
    assert json_of(response)["error"]["code"] == "stale_import"
    assert json_of(client.get(base, headers=headers))["token"] == json_of(mapped)["token"]
    assert _record(app, created["id"]).revision == created["revision"]
    missing = client.post(f"{base}/apply", json={"revision": created["revision"]}, headers=headers)
    assert missing.status_code == 422  # the token is required


# Edits refused with their own reason ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"op": "rename", "name": "x\x07y"}, "a group's name cannot hold a control character"),
        ({"op": "rename", "name": "x" * 300}, "a group's name is at most 200 characters"),
        ({"op": "rename", "name": "   "}, "give the group a name"),
        ({"op": "exclude", "group": "Bad Id!"}, "the page named a group that is not in the preview"),
    ],
    ids=["control", "long", "blank", "bad-id"],
)
def test_an_edit_refused_says_what_is_wrong_with_it(
    app: Flask, anna: Browser, org: int, form: dict[str, str], said: str
) -> None:
    _upload(anna, org, USERS)
    group = _group_id(app, org, "Sales")
    response = _edit(anna, app, org, {"group": group, **form}, follow_redirects=True)
    page = _text(response.get_data(as_text=True))
    assert said in page
    assert "tick at least two groups" not in page
    proposal = _pending(app, org)
    assert proposal is not None
    with services(app).store.session() as db:
        row = pending_store.pending(db, org)
        assert row is not None
        assert row.edits == []


def test_an_edit_refused_is_said_in_swedish(app: Flask, anna: Browser, org: int) -> None:
    _upload(anna, org, USERS)
    anna.post("/language", {"language": "sv"})
    group = _group_id(app, org, "Sales")
    response = _edit(
        anna, app, org, {"op": "rename", "group": group, "name": "x\x07y"}, follow_redirects=True
    )
    assert "kontrolltecken" in _text(response.get_data(as_text=True))


# The API's edits, columns and mappings -------------------------------------------------------------


def test_the_api_documents_the_edits_it_takes_and_takes_them(app: Flask) -> None:
    document = json_of(app.test_client().get("/api/v1/openapi.json"))
    text = str(document)
    schema = document["components"]["schemas"]
    assert "ConfirmExecutives" in schema
    assert "titles" in schema["ConfirmExecutives"]["properties"]
    assert "reject_executives" not in text
    assert "exclude|include" not in text
    headers = _token(app, "bo")
    client = app.test_client()
    created = json_of(client.post("/api/v1/assessments", json={"answers": _contoso()}, headers=headers))
    base = f"/api/v1/assessments/{created['id']}/imports/users"
    proposal = json_of(client.post(base, data=USERS, headers=headers, content_type="text/csv"))
    executives = next(g for g in proposal["groups"] if g["executives"])
    title = next(iter(proposal["report"]["executive_titles"]))
    applied = client.post(
        f"{base}/apply",
        json={
            "revision": created["revision"],
            "token": proposal["token"],
            "edits": [{"op": "confirm_executives", "group": executives["id"], "titles": [title]}],
        },
        headers=headers,
    )
    assert applied.status_code == 200, applied.get_data(as_text=True)
    groups = json_of(applied)["assessment"]["answers"]["groups"]
    assert any(g.get("executives") for g in groups)


def test_the_api_names_the_missing_columns_of_both_files(app: Flask) -> None:
    headers = _token(app, "bo")
    client = app.test_client()
    created = json_of(client.post("/api/v1/assessments", json={"answers": _contoso()}, headers=headers))
    devices = DEVICES.replace(b",OS,OS version,", b",System,OS version,", 1)
    response = client.post(
        f"/api/v1/assessments/{created['id']}/imports/users",
        data={"users": (io.BytesIO(OTHER_USERS), "u.csv"), "devices": (io.BytesIO(devices), "d.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    error = json_of(response)["error"]
    assert error["code"] == "missing_columns"
    assert [f["loc"] for f in error["fields"]] == ["map-users-department", "map-devices-os"]


def test_only_headers_the_file_has_are_remembered(app: Flask) -> None:
    headers = _token(app, "bo")
    client = app.test_client()
    created = json_of(client.post("/api/v1/assessments", json={"answers": _contoso()}, headers=headers))
    base = f"/api/v1/assessments/{created['id']}/imports/users"
    address = client.post(
        f"{base}?map-users-upn={upn(0)}", data=USERS, headers=headers, content_type="text/csv"
    )
    assert address.status_code == 422
    error = json_of(address)["error"]
    assert error["code"] == "invalid_mapping"
    assert [f["loc"] for f in error["fields"]] == ["map-users-upn"]
    assert upn(0) not in address.get_data(as_text=True)
    made = client.post(
        f"{base}?map-users-department=Avdelning&map-users-city=Not+a+column",
        data=OTHER_USERS,
        headers=headers,
        content_type="text/csv",
    )
    assert made.status_code == 201
    from advisor.store.accounts import user_by_name

    with services(app).store.session() as db:
        user = user_by_name(db, "bo")
        assert user is not None
        assert pending_store.remembered_mapping(db, user.id, "users") == {"department": "Avdelning"}


def test_the_size_refusal_says_how_the_upload_was_refused(app: Flask) -> None:
    from web.directory import too_large

    with app.test_request_context("/", method="POST", content_length=500_000_000):
        page = str(too_large(None)[0])  # type: ignore[index]
    assert "refused before it was read" in page
    with app.test_request_context("/", method="POST", headers={"Transfer-Encoding": "chunked"}):
        page = str(too_large(None)[0])  # type: ignore[index]
    assert "refused before it was read" not in page
    assert "refused when it passed that size" in page


# What is kept, and how the preview reads -----------------------------------------------------------


def test_the_pages_say_what_is_kept_and_a_waiting_proposal_expires(
    app: Flask, anna: Browser, org: int
) -> None:
    page = _text(anna.get(f"/assessments/{org}/import-groups").get_data(as_text=True))
    assert "job titles taken for executives" in page
    assert "longer than 7 days" in page
    _upload(anna, org, USERS)
    with services(app).store.session() as db:
        row = pending_store.pending(db, org)
        assert row is not None
        assert row.proposal["report"]["executive_titles"]  # kept while it waits, as the page says
        row.created_at = row.created_at - timedelta(days=8)
    response = anna.get(f"/assessments/{org}/import-groups/preview")
    assert response.status_code == 302  # nothing waits any more
    with services(app).store.session() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(DirectoryProposal)) == 0


def test_the_preview_shows_full_names_formatted_numbers_and_no_os_given(
    app: Flask, anna: Browser, org: int
) -> None:
    users, _truth = users_csv(2400, seed=7)
    devices, _ = devices_csv(2600, users=2400, seed=7)
    lines = devices.decode("utf-8").splitlines()
    header = lines[0].split(",")
    os_at = header.index("OS")
    blanked = [lines[0]] + [
        ",".join("" if i == os_at and n % 50 == 0 else v for i, v in enumerate(line.split(",")))
        for n, line in enumerate(lines[1:])
    ]
    assert _upload(anna, org, users, "\n".join(blanked).encode()).status_code == 303
    raw = anna.get(f"/assessments/{org}/import-groups/preview").get_data(as_text=True)
    page = _text(raw)
    assert "2,400 users read" in page
    assert "No operating system given" in page
    assert "Unknown operating system “”" not in page
    parts = re.findall(r'<span class="group-name">([^<]+)</span>', raw)
    assert "Sales – Göteborg" in [html.unescape(p) for p in parts]  # a department split by site: in full
    anna.post("/language", {"language": "sv"})
    swedish = anna.get(f"/assessments/{org}/import-groups/preview").get_data(as_text=True)
    assert "2\u00a0400" in swedish  # Swedish groups thousands with a (no-break) space


def test_the_api_previews_edits_before_applying_them(app: Flask) -> None:
    headers = _token(app, "bo")
    client = app.test_client()
    created = json_of(client.post("/api/v1/assessments", json={"answers": _contoso()}, headers=headers))
    base = f"/api/v1/assessments/{created['id']}/imports/users"
    proposal = json_of(client.post(base, data=USERS, headers=headers, content_type="text/csv"))
    sales = next(g for g in proposal["groups"] if g["name"] == "Sales")
    ekonomi = next(g for g in proposal["groups"] if g["name"] == "Ekonomi")
    edits = [
        {"op": "rename", "group": sales["id"], "name": "Sälj"},
        {"op": "exclude", "group": ekonomi["id"]},
        {"op": "include", "group": ekonomi["id"]},
    ]
    edited = client.patch(base, json={"token": proposal["token"], "edits": edits}, headers=headers)
    assert edited.status_code == 200, edited.get_data(as_text=True)
    shown = json_of(edited)
    assert "Sälj" in [g["name"] for g in shown["groups"]]
    assert "Ekonomi" in [g["name"] for g in shown["groups"]]
    assert shown["token"] != proposal["token"]
    again = client.patch(base, json={"token": proposal["token"], "edits": edits[:1]}, headers=headers)
    assert again.status_code == 409  # made on the proposal before the edits: stale
    bad = client.patch(
        base,
        json={
            "token": shown["token"],
            "edits": [edits[0], {"op": "rename", "group": sales["id"], "name": ""}],
        },
        headers=headers,
    )
    assert bad.status_code == 422
    assert [f["loc"] for f in json_of(bad)["error"]["fields"]] == ["edits[1]"]
    assert json_of(client.get(base, headers=headers)) == shown  # all or none: nothing of it kept
    applied = client.post(
        f"{base}/apply", json={"revision": created["revision"], "token": shown["token"]}, headers=headers
    )
    assert applied.status_code == 200
    assert "Sälj" in [g["name"] for g in json_of(applied)["assessment"]["answers"]["groups"]]
