"""Serving the site on this machine: `make run` (gunicorn, as the image serves it) and `make dev`
(`python -m web`, Flask's development server) start on 127.0.0.1 and say how to log in."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

MO = "advisor/translations/sv/LC_MESSAGES/messages.mo"
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _health(port: int, process: subprocess.Popen[str]) -> tuple[int, Any]:
    deadline = time.monotonic() + 60  # a safety net for a site that never starts
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[0]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                return response.status, json.loads(response.read())
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the site did not answer")


def _recipe(target: str, env: Mapping[str, str]) -> str:
    """The command `make TARGET` runs (its prerequisites taken as built), with this virtualenv's bin."""
    dry = subprocess.run(
        ["make", "--no-print-directory", "-n", "-o", MO, target, f"BIN={BIN}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    (line,) = dry.stdout.splitlines()
    return line


def _dockerfile_cmd() -> list[str]:
    match = re.search(r"^CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert match
    return list(json.loads(match.group(1)))


def test_make_run_serves_with_gunicorn_on_loopback_as_the_image_does(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
    default = shlex.split(_recipe("run", env))
    assert default[0] == "ADVISOR_BIND=127.0.0.1:8000"  # loopback unless told otherwise
    assert [Path(default[1]).name, *default[2:]] == _dockerfile_cmd()  # the image's server and config
    port = _free_port()
    env |= {"ADVISOR_BIND": f"127.0.0.1:{port}", "ADVISOR_INSTANCE_DIR": str(tmp_path / "instance")}
    words = shlex.split(_recipe("run", env))
    assignments = dict(word.split("=", 1) for word in words if re.match(r"^[A-Z_]+=", word))
    command = [word for word in words if not re.match(r"^[A-Z_]+=", word)]
    assert assignments == {"ADVISOR_BIND": f"127.0.0.1:{port}"}
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env | assignments,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status, health = _health(port, process)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert status == 200
    assert health["database"] is True
    assert health["rules"] is True
    (first,) = [line for line in output.splitlines() if line.startswith("First start:")]
    assert "log in as 'admin' with the password " in first
    assert first.endswith(f" at http://127.0.0.1:{port}/ (shown only this once)")
    assert f"Listening at: http://127.0.0.1:{port}" in output  # gunicorn's own log line, later starts too
    assert "development server" not in output.lower()
    assert (tmp_path / "instance" / "advisor.db").exists()


def test_the_development_server_starts_and_prints_the_first_admin_password(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "ADVISOR_INSTANCE_DIR": str(tmp_path / "instance")}
    process = subprocess.Popen(
        [sys.executable, "-m", "web", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status, health = _health(port, process)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert status == 200
    assert health["database"] is True
    assert health["rules"] is True
    assert f"http://127.0.0.1:{port}/" in output
    assert "log in as 'admin' with the password" in output
    assert (tmp_path / "instance" / "advisor.db").exists()


def test_make_dev_reloads_and_opens_the_site_only_in_the_serving_process(tmp_path: Path) -> None:
    """With --reload the first process only watches; the site (and its first admin) is opened
    once, by the serving child."""
    port = _free_port()
    env = {**os.environ, "ADVISOR_INSTANCE_DIR": str(tmp_path / "instance")}
    words = shlex.split(_recipe("dev", env))
    assert words[1:] == ["-m", "web", "--reload"]
    process = subprocess.Popen(
        [*words, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the watcher and the server it started
    )
    try:
        status, _ = _health(port, process)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=10)
    assert status == 200
    assert output.count("log in as 'admin' with the password") == 1
    assert output.count(f"Rollout Advisor on http://127.0.0.1:{port}/") == 1


def test_advisor_users_creates_lists_and_disables(tmp_path: Path) -> None:
    env = {**os.environ, "ADVISOR_INSTANCE_DIR": str(tmp_path / "instance")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "advisor.cli", "users", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )

    created = run("create", "lead", "--role", "reviewer")
    assert created.returncode == 0
    assert "created lead (reviewer); password: " in created.stdout
    assert run("create", "lead").returncode == 1
    assert "already exists" in run("create", "lead").stderr
    assert run("disable", "lead").returncode == 0
    listing = run("list").stdout
    assert "lead" in listing
    assert "reviewer" in listing
    assert "disabled" in listing
    assert run("disable", "nobody").returncode == 1
