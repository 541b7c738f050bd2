"""The Docker image without a Docker engine: its layout, and its start and health commands run here."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from tests.conftest import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instruction(name: str) -> list[str]:
    return [line for line in DOCKERFILE.splitlines() if line.startswith(f"{name} ")]


def test_a_build_stage_compiles_and_a_runtime_stage_runs() -> None:
    stages = _instruction("FROM")
    assert len(stages) == 2
    assert stages[0].endswith("AS build")
    assert stages[1].endswith("AS runtime")
    build, runtime = DOCKERFILE.split("AS runtime")
    assert "gcc" in build
    assert "gcc" not in runtime
    assert "--require-hashes -r requirements/main.txt" in build
    assert "advisor rules check rules" in build  # a bad rulebook fails the build


def test_the_runtime_runs_as_a_non_root_user_with_a_health_check() -> None:
    user = _instruction("USER")[-1].split()[1]
    assert user not in ("root", "0")
    assert re.search(r"useradd --system --uid \d+ .* advisor", DOCKERFILE)
    assert _instruction("HEALTHCHECK")
    assert "gunicorn" in _instruction("CMD")[-1]


def _command(name: str) -> list[str]:
    line = _instruction(name)[-1]
    return list(json.loads(line[line.index("[") :]))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_start_command_serves_the_site_and_the_health_check_follows_it(tmp_path: Path) -> None:
    port = _free_port()
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "ADVISOR_BIND": f"127.0.0.1:{port}",
        "ADVISOR_INSTANCE_DIR": str(tmp_path / "data"),
        "ADVISOR_RULES_DIR": str(ROOT / "rules"),
        "ADVISOR_WORKERS": "2",
    }
    server = subprocess.Popen(
        _command("CMD"), cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    health = _command("HEALTHCHECK")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (
                subprocess.run(health, env=env, cwd=tmp_path, capture_output=True, check=False).returncode
                == 0
            ):
                break
            time.sleep(0.3)
        else:
            raise AssertionError("the site did not become healthy")
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/plans",
            method="POST",
            data=json.dumps(yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["phases"][0]["kind"] == "limited_pilot"
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert "First start: log in as 'admin' with the password" in output
    assert output.count("First start") == 1  # once, in the master, not once per worker
    assert subprocess.run(health, env=env, cwd=tmp_path, capture_output=True, check=False).returncode == 1
