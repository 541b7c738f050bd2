"""The API against a real gunicorn on 127.0.0.1 (issue 9, item 9): schemathesis over HTTP, with
more examples on the public routes, and request bodies streamed without a Content-Length.

tests/web/test_contract.py runs schemathesis in-process through WSGI; this one goes through the
worker processes, sockets and both databases, as the adversarial pass did (13 × 500 and 2 worker
timeouts in 2,907 calls).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err

from tests.conftest import ROOT
from tests.live import LiveSite, call, call_chunked, gunicorn_site
from tests.web.conftest import _fresh_postgres
from tests.web.helpers import documented_refusal

EXAMPLE = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
LIMIT = 2_000_000  # ADVISOR_MAX_REQUEST_BYTES: the default, set so that the environment cannot change it


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """One gunicorn per database for the whole module (2 sync workers, as deployed)."""
    folder = tmp_path_factory.mktemp(f"live-{request.param}")
    if request.param == "postgresql":
        url = _fresh_postgres(request.getfixturevalue("postgres"))
    else:
        url = f"sqlite:///{folder / 'advisor.db'}"
    with gunicorn_site(url, folder / "instance", env={"ADVISOR_MAX_REQUEST_BYTES": str(LIMIT)}) as site:
        site.add_user("schema")
        yield site


def test_a_chunked_body_over_the_limit_gets_413(live: LiveSite) -> None:
    """Without Content-Length the limit used to apply only as the body was read, and get_data()
    stopped quietly at it: the truncated JSON was answered 422."""
    padded = json.dumps(
        {**EXAMPLE, "organisation": {**EXAMPLE["organisation"], "name": "x" * LIMIT}}
    ).encode()
    assert len(padded) > LIMIT
    reply = call_chunked(f"{live.base}/api/v1/plans", "POST", padded, {"Content-Type": "application/json"})
    assert reply.status == 413
    assert json.loads(reply.body)["error"]["code"] == "payload_too_large"
    # Under the limit, a chunked body is read whole, as if it had come with its length.
    small = call_chunked(
        f"{live.base}/api/v1/plans",
        "POST",
        json.dumps(EXAMPLE).encode(),
        {"Content-Type": "application/json"},
    )
    assert small.status == 200, small.body[:300]
    assert json.loads(small.body)["groups"]
    assert call(f"{live.base}/healthz").status == 200


def test_the_adversarial_pass_s_bodies_and_ids_get_4xx_over_http(live: LiveSite) -> None:
    """What the pass sent to the running site (500s then), through gunicorn and each database."""
    auth = {"Authorization": f"Bearer {live.token('schema')}"}
    as_json = {**auth, "Content-Type": "application/json"}
    text = json.dumps({**EXAMPLE, "groups": "HERE"})
    deep = text.replace('"HERE"', "[" * 1000 + "]" * 1000).encode()
    long = json.dumps(EXAMPLE).replace('"users": 250', '"users": ' + "9" * 5000, 1).encode()
    for path in ("/api/v1/plans", "/api/v1/assessments"):
        for body in (deep, long):
            wrapped = body if path.endswith("plans") else b'{"answers": ' + body + b"}"
            reply = call(f"{live.base}{path}", "POST", wrapped, as_json)
            assert reply.status == 422, (path, reply.status, reply.body[:200])
            assert reply.json()["error"]["code"] == "malformed_json"
    for number in (2**31, 2**63, 10**20):
        for method in ("GET", "PUT", "DELETE"):
            reply = call(f"{live.base}/api/v1/assessments/{number}", method, b"{}", as_json)
            assert reply.status == 404, (method, number, reply.status)
    assert "Traceback" not in live.log.read_text()


# Examples per operation: more on the public routes, which anyone can reach.
EXAMPLES = {
    ("POST", "/api/v1/plans"): 150,
    ("GET", "/api/v1/rules"): 20,
    ("GET", "/api/v1/ping"): 10,
}
TOKEN_EXAMPLES = 30  # each route that needs a personal token


def _explore(operation: Any, examples: int, live: LiveSite, auth: dict[str, str], problems: list[str]) -> int:
    """Run `examples` derandomized cases (positive and negative) of one operation; returns the
    number of calls made and appends every 5xx, dropped connection or contract breach."""
    key = f"{operation.method.upper()} {operation.path}"
    session = requests.Session()
    calls = 0
    cases = st.one_of(operation.as_strategy(), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        nonlocal calls
        calls += 1
        try:
            response = case.call(base_url=live.base, session=session, headers=auth, timeout=30)
        except requests.RequestException as exc:  # a worker killed mid-request, a timeout
            problems.append(f"{key}: {type(exc).__name__} for {case.as_curl_command()[:2000]}")
            return
        if response.status_code >= 500:
            problems.append(f"{key}: {response.status_code} for {case.as_curl_command()[:2000]}")
            return
        if documented_refusal(response.status_code, response.content):
            return  # documented in the OpenAPI description: JSON Schema cannot state these
        if response.status_code == 413:
            return  # a documented refusal, which schemathesis's negative-data check does not list
        try:
            case.validate_response(response)
        except (AssertionError, FailureGroup) as exc:
            problems.append(f"{key}: {str(exc)[:500]}")

    run()
    return calls


def test_the_live_api_never_answers_5xx_and_keeps_its_contract(live: LiveSite) -> None:
    token = live.token("schema")
    auth = {"Authorization": f"Bearer {token}"}
    created = call(
        f"{live.base}/api/v1/assessments",
        "POST",
        json.dumps({"answers": EXAMPLE}).encode(),
        {**auth, "Content-Type": "application/json"},
    )
    assert created.status == 201
    schema = schemathesis.openapi.from_url(f"{live.base}/api/v1/openapi.json")
    problems: list[str] = []
    calls = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # the OpenAPI document itself is broken
        operation = result.ok()
        examples = EXAMPLES.get((operation.method.upper(), operation.path), TOKEN_EXAMPLES)
        calls += _explore(operation, examples, live, auth, problems)
    assert calls >= sum(EXAMPLES.values())
    assert problems == [], "\n".join(problems[:20])
    assert call(f"{live.base}/healthz").status == 200
    assert "WORKER TIMEOUT" not in live.log.read_text()
