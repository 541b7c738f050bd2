"""List benchmark: the assessments list page at 10,000 assessments against 20, side by side.

Each size gets a temporary SQLite database migrated as the site migrates it, filled in bulk
(the guide's example answers in every row and a first version each, the organisation's name and
the searched text as the store writes them), then read through the Flask test client as a reviewer
(who sees every assessment) and as the author of them all: time (best of RUNS) and bytes of the
first page, a page deep in the list, a search, the waiting view and the API's page. Targets: the
first page at 10,000 no more than 1.5 times as slow as at 20, and at most 100 KB. Last, SQLite's
query plan of each list query at 10,000 rows (`python -m bench.lists --plans` prints only those).
"""

from __future__ import annotations

import copy
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from advisor.model.facts import load_document
from advisor.services.accounts import create_user
from advisor.settings import Settings
from advisor.store.accounts import create_token, user_by_name
from advisor.store.assessments import organisation_name, search_text
from advisor.store.listing import Cursor, ListQuery, Sort, page_statement
from advisor.store.tables import (
    AssessmentRecord,
    AssessmentVersion,
    ReviewStatus,
    User,
    VersionKind,
)
from web import create_app
from web.extensions import services

ROOT = Path(__file__).resolve().parent.parent
SIZES = (20, 10_000)
RUNS = 15
PASSWORD = "correct horse battery staple"  # noqa: S105 - the benchmark's own throwaway accounts
STATUSES = (
    ReviewStatus.DRAFT,
    ReviewStatus.IN_REVIEW,
    ReviewStatus.CHANGES_REQUESTED,
    ReviewStatus.SIGNED_OFF,
)


def _fill(app: Flask, count: int) -> None:
    """`count` assessments of anna, in one transaction: a quarter of them in each review status."""
    answers = load_document((ROOT / "examples" / "contoso.yaml").read_bytes(), "contoso.yaml")
    store = services(app).store
    with store.session() as db:
        anna = create_user(store, db, "anna", PASSWORD, "respondent")
        create_user(store, db, "lead", PASSWORD, "reviewer")
        start = datetime(2026, 1, 1, tzinfo=UTC)
        rows, versions = [], []
        for i in range(count):
            mine = copy.deepcopy(answers)
            mine["organisation"]["name"] = f"Organisation {i}"
            title = f"Rollout {i}"
            changed = start + timedelta(minutes=i)
            rows.append(
                {
                    "id": i + 1,
                    "owner_id": anna.id,
                    "title": title,
                    "answers": mine,
                    "step": "plan",
                    "plan": None,
                    "revision": 1,
                    "status": STATUSES[i % 4],
                    "created_at": changed,
                    "updated_at": changed,
                    "organisation": organisation_name(mine),
                    "search_text": search_text(title, organisation_name(mine)),
                }
            )
            versions.append(
                {
                    "assessment_id": i + 1,
                    "number": 1,
                    "kind": VersionKind.IMPORT,
                    "author_id": anna.id,
                    "answers": mine,
                    "plans": None,
                    "created_at": changed,
                }
            )
        db.execute(insert(cast(Table, AssessmentRecord.__table__)), rows)
        db.execute(insert(cast(Table, AssessmentVersion.__table__)), versions)
    with store.engine.connect() as connection:
        connection.execute(text("ANALYZE"))


def _client(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return client


def _measure(gets: list[Callable[[], Any]]) -> list[tuple[float, int]]:
    """Each request's best time of RUNS and its body's size: the requests take turns (one to
    warm up first), so that a busy moment of the machine weighs on all of them alike."""
    sizes = []
    for get in gets:
        response = get()
        assert response.status_code == 200, response.status_code
        sizes.append(len(response.get_data()))
    best = [float("inf")] * len(gets)
    for _ in range(RUNS):
        for index, get in enumerate(gets):
            start = time.perf_counter()
            get().get_data()
            best[index] = min(best[index], time.perf_counter() - start)
    return list(zip(best, sizes, strict=True))


def _deep_cursor(app: Flask, position: int) -> str:
    """The cursor after the row at `position` in the default order: a page deep in the list."""
    with services(app).store.session() as db:
        row = db.execute(
            select(AssessmentRecord.updated_at, AssessmentRecord.id)
            .order_by(AssessmentRecord.updated_at.desc(), AssessmentRecord.id.desc())
            .offset(position)
            .limit(1)
        ).one()
    return Cursor(Sort.CHANGED, False, row[0], row[1]).encode()


Requests = dict[str, Callable[[], Any]]


def _site(count: int, folder: Path, page_size: int | None = None) -> tuple[Flask, Requests]:
    """A site on a new database of `count` assessments, and the requests measured on it."""
    settings = Settings(
        instance_dir=folder / "instance",
        database_url=f"sqlite:///{folder / 'advisor.db'}",
        secure_cookies=False,
        secret_key="bench-secret-key",  # noqa: S106 - a throwaway site's, for its test client
    )
    if page_size is not None:
        settings = settings.model_copy(update={"page_size": page_size})
    app = create_app(settings, {"TESTING": True})
    _fill(app, count)
    lead, anna = _client(app, "lead"), _client(app, "anna")
    with services(app).store.session() as db:
        user = user_by_name(db, "lead")
        assert user is not None
        bearer = {"Authorization": f"Bearer {create_token(db, user, 'bench')}"}
    deep = _deep_cursor(app, count * 9 // 10)
    api = app.test_client()
    return app, {
        "first page, reviewer": lambda: lead.get("/"),
        "first page, author": lambda: anna.get("/"),
        "a page 90 % in": lambda: lead.get(f"/?page={deep}"),
        "search 'organisation 1'": lambda: lead.get("/?q=organisation+1"),
        "waiting view": lambda: lead.get("/?waiting=1"),
        "by title": lambda: lead.get("/?sort=title"),
        "API first page": lambda: api.get("/api/v1/assessments", headers=bearer),
    }


def _plans(app: Flask) -> None:
    """SQLite's plan of each list query (the page and its count) as a reviewer and an author."""
    with services(app).store.session() as db:
        lead = db.scalar(select(User).where(User.username == "lead"))
        anna = db.scalar(select(User).where(User.username == "anna"))
        assert lead is not None
        assert anna is not None
        some = Cursor(Sort.CHANGED, False, datetime(2026, 1, 3, tzinfo=UTC), 5000)
        queries = {
            "reviewer, changed": (lead, ListQuery()),
            "reviewer, changed, after a cursor": (lead, ListQuery(page=some)),
            "reviewer, created": (lead, ListQuery(sort=Sort.CREATED)),
            "reviewer, title": (lead, ListQuery(sort=Sort.TITLE)),
            "reviewer, status": (lead, ListQuery(status=ReviewStatus.IN_REVIEW)),
            "reviewer, waiting": (lead, ListQuery(waiting=True)),
            "reviewer, search": (lead, ListQuery(q="organisation 1")),
            "author, changed": (anna, ListQuery()),
        }
        for name, (user, query) in queries.items():
            statement = page_statement(user, query, 50)
            print(f"  {name}:")
            for line in _explain(db, statement):
                print(f"      {line}")


def _explain(db: Session, statement: Any) -> list[str]:
    compiled = statement.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
    rows = db.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    return [str(row[-1]) for row in rows]


def main() -> None:
    apps: list[Flask] = []
    folders: list[Path] = []
    try:
        sites = {}
        # Both sizes with the default page size, and the larger with 50 a page beside them.
        for count, page_size in ((SIZES[0], None), (SIZES[1], None), (SIZES[1], 50)):
            folders.append(Path(tempfile.mkdtemp(prefix=f"advisor-list-{count}-")))
            app, requests = _site(count, folders[-1], page_size)
            apps.append(app)
            sites[(count, page_size)] = requests
        if "--plans" not in sys.argv:
            _table(sites)
        print(f"\nquery plans at {SIZES[-1]:,} rows (SQLite)")
        _plans(apps[1])
    finally:
        for app in apps:
            services(app).close()
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


def _table(sites: dict[tuple[int, int | None], Requests]) -> None:
    small, large = SIZES
    default = Settings.model_fields["page_size"].default
    keys = list(sites)
    print(f"\nassessments list (SQLite, test client, best of {RUNS}, the sites taking turns)")
    print(f"  {'':26}{small:>7,} rows         {large:>7,} rows         ratio   {large:,} rows, 50 a page")
    figures = {}
    for name in sites[keys[0]]:
        measured = _measure([sites[key][name] for key in keys])
        figures[name] = measured
        (t1, s1), (t2, s2), (t3, s3) = measured
        print(
            f"  {name:26}{t1 * 1e3:6.1f} ms {s1 / 1024:5.1f} KB   {t2 * 1e3:6.1f} ms {s2 / 1024:5.1f} KB  "
            f"{t2 / t1:5.2f}   {t3 * 1e3:6.1f} ms {s3 / 1024:5.1f} KB"
        )
    (t1, _s1), (t2, s2), _wide = figures["first page, reviewer"]
    met = t2 / t1 <= 1.5 and s2 <= 100 * 1024
    print(
        f"  target: the first page at {large:,} vs {small} ({default} a page) at most 1.5x and 100 KB -> "
        f"{'met' if met else 'NOT met'} ({t2 / t1:.2f}x, {s2 / 1024:.1f} KB)"
    )


if __name__ == "__main__":
    main()
