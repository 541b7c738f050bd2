"""The live-server fixture itself: gunicorn on 127.0.0.1 with either database, users and tokens."""

from __future__ import annotations

import json

import pytest

from tests.live import LiveSite, call

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def test_gunicorn_serves_the_site_with_two_workers(gunicorn: LiveSite) -> None:
    health = call(f"{gunicorn.base}/healthz")
    assert health.status == 200
    assert health.json()["database"] is True
    assert len(gunicorn.worker_rss_kib()) == 2

    gunicorn.add_user("ida")
    token = gunicorn.token("ida")
    listed = call(f"{gunicorn.base}/api/v1/assessments", headers={"Authorization": f"Bearer {token}"})
    assert listed.status == 200
    assert json.loads(listed.body) == {"items": [], "count": 0, "next": None, "prev": None}
