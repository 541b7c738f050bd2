"""The Docker image without a Docker engine: the commands the Dockerfile runs, run here the way
the image runs them. (No Docker daemon on the test machines, so the image itself is not built:
what it relies on is tested instead — its build step refuses a bad rulebook, its start command
serves the site from the runtime stage's environment, its health check follows the site.)"""

from __future__ import annotations

import http.client
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from advisor.rulebook.files import LAST_GOOD
from tests.conftest import ROOT, RULES
from tests.live import LiveBrowser, call
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


def _unused_uid() -> int:
    """A user id no account and no file here has: whatever it owns afterwards, the server wrote."""
    taken = {entry.pw_uid for entry in pwd.getpwall()}
    return next(uid for uid in range(20000 + os.getpid() % 30000, 60000) if uid not in taken)


def _as_user(uid: int, command: list[str], env: dict[str, str]) -> list[str]:
    """The command run as this unprivileged user (and group), without root's groups. Where the
    interpreter lives in a folder only root may enter (pyenv under /root), the user is given
    CAP_DAC_READ_SEARCH: it may then read and traverse any folder, but writes nothing more."""
    switch = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    probe = [*switch, sys.executable, "-c", "import advisor, web"]
    if subprocess.run(probe, env=env, cwd="/", capture_output=True, check=False).returncode != 0:
        switch += ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
    return [*switch, *command]


def _owned_by(uid: int, *places: Path, depth: int | None = None) -> list[str]:
    limit = [] if depth is None else ["-maxdepth", str(depth)]
    found = subprocess.run(
        ["find", *map(str, places), "-xdev", *limit, "-uid", str(uid)],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.split()


def test_the_image_user_owns_only_the_data_volume() -> None:
    """The runtime stage: a non-root user whose home, working folder and volume are the instance
    folder, and the rules and the code copied as root's (no --chown): read-only to that user."""
    stage = _runtime_stage()
    env = _runtime_environment()
    (useradd,) = [rest for name, rest in stage if name == "RUN" and "useradd" in rest]
    user = next(rest for name, rest in stage if name == "USER")
    assert user not in ("root", "0")
    assert useradd.rstrip().endswith(f" {user}")
    assert "--home-dir /data --create-home" in useradd
    assert next(rest for name, rest in stage if name == "WORKDIR") == "/data"
    assert _exec_form(next(rest for name, rest in stage if name == "VOLUME")) == ["/data"]
    assert env["ADVISOR_INSTANCE_DIR"] == "/data"
    assert not env["ADVISOR_RULES_DIR"].startswith("/data")
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"  # no __pycache__ attempts in root's code
    assert all("--chown" not in rest for name, rest in stage if name == "COPY")


def test_the_server_as_an_unprivileged_user_writes_only_its_instance_folder() -> None:
    """The image's CMD run as a user that owns its instance folder and nothing else (not the code,
    not the rules): it starts, migrates, serves, and admin changes made through the command line
    and the site as that user are saved; afterwards nothing outside the instance folder is its."""
    if os.geteuid() != 0:
        pytest.skip("running the server as another user needs root (the CI runs the suite as root)")
    uid = _unused_uid()
    top = Path(tempfile.mkdtemp(prefix="advisor-user-"))  # root's; 0755 so the user may enter
    try:
        top.chmod(0o755)
        data, rules, log_path = top / "data", top / "rules", top / "server.log"
        data.mkdir(mode=0o700)
        os.chown(data, uid, uid)
        shutil.copytree(RULES, rules)  # root's, like /app/rules in the image
        before = _snapshot(rules)
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
        env |= {
            **_runtime_environment(),
            "PATH": _path(),
            "HOME": str(data),
            "ADVISOR_BIND": f"127.0.0.1:{port}",
            "ADVISOR_INSTANCE_DIR": str(data),
            "ADVISOR_RULES_DIR": str(rules),
            # An admin's save checks the rulebook in the request (lint, scenarios): on a busy
            # machine that can outlast gunicorn's default 60 s worker timeout.
            "GUNICORN_CMD_ARGS": "--timeout 300",
        }
        command = _exec_form(next(rest for name, rest in _runtime_stage() if name == "CMD"))
        with log_path.open("w") as log:
            server = subprocess.Popen(
                _as_user(uid, command, env), cwd=data, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60  # a safety net for a server that never starts
            while True:
                assert server.poll() is None, log_path.read_text()
                try:
                    if call(f"{base}/healthz", timeout=2).status == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
            started = log_path.read_text()
            match = re.search(r"log in as 'admin' with the password (\S+)", started)
            assert match, started
            # An admin change through the command line, as that user: a new account.
            created = subprocess.run(
                _as_user(uid, ["advisor", "users", "create", "lead", "--role", "reviewer"], env),
                cwd=data,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            assert created.returncode == 0, created.stderr
            # An admin change through the site: the admin gives that account a new password...
            admin = LiveBrowser(base)
            assert admin.login("admin", match.group(1)).status == 302
            page = admin.get("/admin/users").body.decode()
            (target,) = re.findall(r'action="(/admin/users/\d+/password)"', page.split(">lead<", 1)[1])[:1]
            reset = admin.post(target, {}, token=admin.token("/admin/users"))
            assert reset.status == 200
            new_password = re.search(r'<code id="new-password">([^<]+)</code>', reset.body.decode())
            assert new_password
            # ... which is saved: the account logs in with it.
            assert LiveBrowser(base).login("lead", new_password.group(1)).status == 302
            # A rule change through the admin area is saved too: in the database, never in a file.
            version = call(f"{base}/api/v1/rules").json()["version"]
            with sqlite3.connect(data / "advisor.db") as db:
                (running,) = db.execute("SELECT version FROM rulebook_head").fetchone()
            assert running.startswith(version)  # the API shows the head's version, shortened
            form = "/admin/rules/enrollment.yaml"
            text = (rules / "enrollment.yaml").read_text() + "# saved by the image's user\n"
            fields = {"action": "save", "text": text, "message": "a comment"}
            saved = admin.post(form, fields, token=admin.token(form))
            assert saved.status == 302, saved.body.decode()[:2000]
            # Saved by the image's user: the database's head moved (the running workers adopt it
            # by polling; that is held to two seconds in tests/web/test_two_instances.py).
            with sqlite3.connect(data / "advisor.db") as db:
                (head,) = db.execute("SELECT version FROM rulebook_head").fetchone()
            assert head != running
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        output = log_path.read_text()
        assert "Traceback" not in output, output
        written = {p.name for p in data.iterdir()}
        assert {"advisor.db", "advisor.db.migrate-lock", "secret_key", LAST_GOOD} <= written
        assert all(p.stat().st_uid == uid for p in data.iterdir())
        assert _snapshot(rules) == before
        # Nothing else is the user's: not in the code, the rules, beside the instance folder, or
        # in the shared temporary folders (gunicorn's heartbeat files are made and unlinked).
        outside = [p for p in _owned_by(uid, top) if not p.startswith(f"{data}")]
        assert outside == []
        assert _owned_by(uid, ROOT) == []
        shared = Path("/dev/shm")  # noqa: S108 (only searched, never written)
        assert _owned_by(uid, Path(tempfile.gettempdir()), shared, depth=1) == []
    finally:
        shutil.rmtree(top, ignore_errors=True)
