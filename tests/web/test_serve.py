"""The main-job command: `python -m web` starts the site on 127.0.0.1 and says how to log in."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import ROOT


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_site_starts_and_prints_the_first_admin_password(tmp_path: Path) -> None:
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
        deadline = time.monotonic() + 30
        health = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    health = (response.status, json.loads(response.read()))
                    break
            except OSError:
                time.sleep(0.2)
        assert health is not None
        assert health[0] == 200
        assert health[1]["database"] is True
        assert health[1]["rules"] is True
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/" in output
    assert "log in as 'admin' with the password" in output
    assert (tmp_path / "instance" / "advisor.db").exists()


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
