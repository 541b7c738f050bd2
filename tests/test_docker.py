"""The Docker image without a Docker engine: the commands the Dockerfile runs, run here the way
the image runs them. (No Docker daemon on the test machines, so the image itself is not built:
what it relies on is tested instead — its build step refuses a bad rulebook, its start command
serves the site from the runtime stage's environment, its health check follows the site.)"""

from __future__ import annotations

import http.client
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, RULES
from web.healthcheck import SocketConnection

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instructions() -> list[tuple[str, str]]:
    """(instruction, arguments) in order, continuation lines joined, comments left out."""
    found: list[tuple[str, str]] = []
    joined = DOCKERFILE.replace("\\\n", " ")
    for line in joined.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, rest = line.strip().partition(" ")
            found.append((name, rest.strip()))
    return found


def _runtime_stage() -> list[tuple[str, str]]:
    """The instructions of the last stage: the image that runs."""
    steps = _instructions()
    start = max(i for i, (name, _) in enumerate(steps) if name == "FROM")
    return steps[start:]


def _exec_form(arguments: str) -> list[str]:
    return list(json.loads(arguments[arguments.index("[") :]))


def _runtime_environment() -> dict[str, str]:
    environment: dict[str, str] = {}
    for name, rest in _runtime_stage():
        if name == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                environment[key] = value
    return environment


def _path() -> str:
    """The virtualenv's bin first, as /opt/venv/bin is in the image."""
    return f"{Path(sys.executable).parent}:{os.environ['PATH']}"


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def test_the_build_step_passes_the_shipped_rules_and_stops_on_a_bad_rulebook(tmp_path: Path) -> None:
    """The build stage's rulebook step, run as the build runs it (a shell in the source folder):
    a rulebook that fails its checks or its scenarios must fail the step, and so the build."""
    (step,) = [rest for name, rest in _instructions() if name == "RUN" and rest.startswith("advisor ")]
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    env = {**os.environ, "PATH": _path()}

    def build() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["sh", "-c", step], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
        )

    assert build().returncode == 0, build().stderr
    enrollment = rules / "enrollment.yaml"
    shipped = enrollment.read_text()
    # A rule file that does not load: the check fails.
    enrollment.write_text("")
    assert build().returncode != 0
    # A rulebook that loads but no longer plans as its scenarios document: the scenarios fail.
    enrollment.write_text(
        shipped.replace("  assisted_max_users:\n    value: 100", "  assisted_max_users:\n    value: 20")
    )
    failed = build()
    assert failed.returncode != 0
    assert "assisted-small-group-needing-help" in failed.stdout + failed.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("listen", ["port", "socket"])
def test_the_start_command_serves_the_site_and_the_health_check_follows_it(
    tmp_path: Path, listen: str
) -> None:
    """CMD and HEALTHCHECK as the image runs them: the runtime stage's environment, the working
    folder its data volume, the rules elsewhere (root's in the image, so never written to); on a
    port, or on a Unix socket behind a proxy (ADVISOR_BIND=unix:PATH)."""
    stage = _runtime_stage()
    image_env = _runtime_environment()
    workdir = Path(next(rest for name, rest in stage if name == "WORKDIR"))
    assert image_env["ADVISOR_INSTANCE_DIR"] == str(workdir)  # the volume is the instance folder
    data, rules, port = tmp_path / "data", tmp_path / "rules", _free_port()
    data.mkdir()
    shutil.copytree(RULES, rules)
    before = _snapshot(rules)
    env = {
        **os.environ,
        **image_env,
        "PATH": _path(),
        # The image binds 0.0.0.0; tests stay on loopback, or on a socket in the test's folder.
        "ADVISOR_BIND": f"127.0.0.1:{port}" if listen == "port" else f"unix:{tmp_path / 'advisor.sock'}",
        "ADVISOR_INSTANCE_DIR": str(data),
        "ADVISOR_RULES_DIR": str(rules),
        "ADVISOR_WORKERS": "2",
    }
    env.pop("ADVISOR_DATABASE_URL", None)  # the image's default: SQLite in the instance folder
    command = _exec_form(next(rest for name, rest in stage if name == "CMD"))
    health = _exec_form(next(rest for name, rest in stage if name == "HEALTHCHECK"))
    server = subprocess.Popen(
        command, cwd=data, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if subprocess.run(health, env=env, cwd=data, capture_output=True, check=False).returncode == 0:
                break
            time.sleep(0.3)
        else:
            raise AssertionError("the site did not become healthy")
        connection = (
            http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            if listen == "port"
            else SocketConnection(str(tmp_path / "advisor.sock"))
        )
        body = json.dumps(yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text()))
        connection.request("POST", "/api/v1/plans", body, {"Content-Type": "application/json"})
        assert json.loads(connection.getresponse().read())["phases"][0]["kind"] == "limited_pilot"
        connection.close()
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert "First start: log in as 'admin' with the password" in output
    assert output.count("First start") == 1  # once, in the master, not once per worker
    assert (data / "advisor.db").exists()  # the data lives on the volume
    assert _snapshot(rules) == before
    assert subprocess.run(health, env=env, cwd=data, capture_output=True, check=False).returncode == 1
