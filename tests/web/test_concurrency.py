"""Lost updates: writers racing on one assessment under a real gunicorn, on both databases.

Each race uses real threads released together by a barrier; exactly one writer of a given revision
wins and every other gets 409 with the stale-revision answer, never a 500 and never a silent
overwrite.
"""

from __future__ import annotations

import copy
import html
import json
import re
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import requests
import yaml

from advisor.model.questionnaire import GROUP, asked
from advisor.store.assessments import versions
from advisor.store.database import Store
from advisor.store.tables import AssessmentRecord
from tests.conftest import ROOT
from tests.live import PASSWORD, LiveSite, call
from tests.web.helpers import form_values

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

CONTOSO: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
PAIRS = 20
ROUNDS = 12
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def _race(*actions: Callable[[], Any]) -> list[Any]:
    """Run the actions in threads released at the same moment; their results in order."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(index: int) -> None:
        barrier.wait(timeout=60)
        try:
            results[index] = actions[index]()
        except Exception as exc:  # a failed request is a result to report
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _stored(site: LiveSite, assessment_id: int) -> tuple[dict[str, Any], list[int]]:
    """The current answers and the version numbers, read from the database itself."""
    store = Store(site.database_url)
    try:
        with store.session() as db:
            record = db.get(AssessmentRecord, assessment_id)
            assert record is not None
            return record.answers, [v.number for v in versions(db, assessment_id)]
    finally:
        store.engine.dispose()


def test_simultaneous_puts_of_one_revision_have_one_winner(gunicorn: LiveSite) -> None:
    gunicorn.add_user("anna")
    headers = {"Authorization": f"Bearer {gunicorn.token('anna')}", "Content-Type": "application/json"}
    created = call(
        f"{gunicorn.base}/api/v1/assessments", "POST", json.dumps({"answers": CONTOSO}).encode(), headers
    )
    assert created.status == 201, created.body
    url = f"{gunicorn.base}/api/v1/assessments/{created.json()['id']}"

    outcomes: Counter[str] = Counter()
    winners_applied = 0
    for pair in range(PAIRS):
        revision = call(url, headers=headers).json()["revision"]
        bodies = []
        for side in (0, 1):
            answers = copy.deepcopy(CONTOSO)
            answers["groups"][0]["users"] = 1000 + pair * 10 + side
            bodies.append(answers)

        def put(side: int, revision: int = revision, bodies: list[Any] = bodies) -> Any:
            body = {"revision": revision, "answers": bodies[side]}
            return call(url, "PUT", json.dumps(body).encode(), headers)

        replies = _race(lambda: put(0), lambda: put(1))
        statuses = sorted(r.status if not isinstance(r, Exception) else 0 for r in replies)
        outcomes[" ".join(map(str, statuses))] += 1
        if statuses == [200, 409]:
            winner = next(i for i, r in enumerate(replies) if r.status == 200)
            loser = replies[1 - winner]
            assert loser.json()["error"]["code"] == "stale_revision"
            if (
                call(url, headers=headers).json()["answers"]["groups"][0]["users"]
                == (bodies[winner]["groups"][0]["users"])
            ):
                winners_applied += 1

    answers, numbers = _stored(gunicorn, created.json()["id"])
    summary = f"{dict(outcomes)}, winner's answers kept in {winners_applied}, versions {numbers}"
    assert outcomes == Counter({"200 409": PAIRS}), summary
    assert winners_applied == PAIRS, summary
    assert numbers == list(range(1, PAIRS + 2)), summary


class _Person:
    """A logged-in browser session over HTTP: cookies, CSRF tokens and the forms' hidden fields."""

    def __init__(self, site: LiveSite, username: str) -> None:
        self.base = site.base
        self.http = requests.Session()
        fields = self.form("/login")
        reply = self.http.post(
            f"{self.base}/login",
            data={**fields, "username": username, "password": PASSWORD},
            allow_redirects=False,
            timeout=30,
        )
        assert reply.status_code == 302, reply.text[:500]

    def form(self, path: str) -> dict[str, str]:
        """The hidden fields of the form on a page, as a browser would send them back."""
        page = self.http.get(f"{self.base}{path}", timeout=30)
        assert page.status_code == 200, page.text[:500]
        return {name: html.unescape(value) for name, value in _HIDDEN.findall(page.text)}

    def post(self, path: str, data: dict[str, Any]) -> requests.Response:
        return self.http.post(f"{self.base}{path}", data=data, allow_redirects=False, timeout=60)


def _new_assessment(person: _Person) -> int:
    reply = person.post("/assessments", {**person.form("/"), "title": "Race"})
    assert reply.status_code == 302, reply.text[:500]
    return int(reply.headers["Location"].split("/")[2])


def _group(name: str) -> dict[str, Any]:
    # As a browser with its script sends it: every question these answers ask was shown (marked
    # `asked`), so the form saves and moves on instead of showing the questions it did not show.
    answers = {**CONTOSO["groups"][0], "name": name}
    shown = [q.name for q in GROUP if q.shown_when and asked(q, answers)]
    return {**form_values(answers), "asked": shown, "then": "list"}


def test_two_sessions_adding_groups_lose_nothing(gunicorn: LiveSite) -> None:
    gunicorn.add_user("anna")
    tabs = [_Person(gunicorn, "anna"), _Person(gunicorn, "anna")]
    assessment_id = _new_assessment(tabs[0])
    path = f"/assessments/{assessment_id}/groups/new"

    acknowledged: list[str] = []
    outcomes: Counter[int] = Counter()
    unexplained = 0
    for round_ in range(ROUNDS):
        forms = [tab.form(path) for tab in tabs]  # both rendered before either saves
        names = [f"Round {round_} tab {side}" for side in (0, 1)]

        def add(side: int, forms: list[dict[str, str]] = forms, names: list[str] = names) -> Any:
            return tabs[side].post(path, {**forms[side], **_group(names[side])})

        replies = _race(lambda: add(0), lambda: add(1))
        for name, reply in zip(names, replies, strict=True):
            status = 0 if isinstance(reply, Exception) else reply.status_code
            outcomes[status] += 1
            if status == 302:
                acknowledged.append(name)
            elif status != 409 or "changed by someone else meanwhile" not in reply.text:
                unexplained += 1

    answers, numbers = _stored(gunicorn, assessment_id)
    present = {group["name"] for group in answers.get("groups", [])}
    lost = [name for name in acknowledged if name not in present]
    summary = f"statuses {dict(outcomes)}, lost {len(lost)} of {len(acknowledged)} acknowledged"
    assert not lost, summary
    assert outcomes == Counter({302: ROUNDS, 409: ROUNDS}), summary  # one winner per round
    assert unexplained == 0, summary
    assert len(present) == len(acknowledged), summary
    assert numbers == list(range(1, len(numbers) + 1)), summary


def test_a_double_submitted_group_form_adds_one_group(gunicorn: LiveSite) -> None:
    gunicorn.add_user("anna")
    anna = _Person(gunicorn, "anna")
    assessment_id = _new_assessment(anna)
    path = f"/assessments/{assessment_id}/groups/new"
    form = {**anna.form(path), **_group("Clicked twice")}

    replies = _race(lambda: anna.post(path, form), lambda: anna.post(path, form))
    statuses = sorted(0 if isinstance(r, Exception) else r.status_code for r in replies)
    answers, _ = _stored(gunicorn, assessment_id)
    names = [group["name"] for group in answers.get("groups", [])]
    assert (statuses, names) == ([302, 409], ["Clicked twice"])
