"""The site under a real gunicorn on 127.0.0.1, for the tests that attack it as a deployment would
be attacked: several worker processes, SQLite or PostgreSQL, requests over real sockets.

Every server started here is ours: it is stopped by its process id when the block ends.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.services.accounts import create_user
from advisor.store.accounts import user_by_name
from advisor.store.database import Store
from advisor.store.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
_MIGRATING = threading.Lock()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx itself is the answer (HTTPError below), with its Set-Cookie


_direct = urllib.request.build_opener(_NoRedirects)


def call(
    url: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30,
    *,
    follow_redirects: bool = True,
) -> Reply:
    """One HTTP request; error statuses are answers too, not exceptions.

    With follow_redirects=False a redirect is returned as it came (status, Location, Set-Cookie).
    """
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    opener = urllib.request.urlopen if follow_redirects else _direct.open
    try:
        with opener(request, timeout=timeout) as response:
            return Reply(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, dict(error.headers.items()), error.read())


class LiveBrowser:
    """One visitor of a live site, with its own session cookie: sends forms with their CSRF token
    like a person would, and never follows redirects (tests look at them). Safe to share between
    threads once it holds a cookie, as long as only one of them logs in or out."""

    def __init__(self, base: str, cookie: str | None = None, headers: Mapping[str, str] | None = None):
        self.base = base
        self.cookie = cookie  # "session=...", as sent back in the Cookie header
        self.headers = dict(headers or {})

    def _send(self, path: str, method: str, body: bytes | None, headers: Mapping[str, str]) -> Reply:
        sent = {**self.headers, **headers}
        if self.cookie:
            sent["Cookie"] = self.cookie
        reply = call(self.base + path, method, body, sent, follow_redirects=False)
        set_cookie = reply.headers.get("Set-Cookie")
        if set_cookie:
            self.cookie = set_cookie.split(";", 1)[0]
        return reply

    def get(self, path: str) -> Reply:
        return self._send(path, "GET", None, {})

    def token(self, path: str = "/login") -> str:
        page = self.get(path).body.decode()
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, page[:500]
        return match.group(1)

    def post(self, path: str, data: Mapping[str, str], token: str | None = None) -> Reply:
        """A form; its CSRF token (bound to this visitor's session) is fetched first unless given."""
        if token is None:
            token = self.token()
        body = urllib.parse.urlencode({**data, "csrf_token": token}).encode()
        return self._send(path, "POST", body, {"Content-Type": "application/x-www-form-urlencoded"})

    def login(self, username: str, password: str = PASSWORD) -> Reply:
        return self.post("/login", {"username": username, "password": password})


def call_chunked(
    url: str,
    method: str,
    body: bytes,
    headers: Mapping[str, str] | None = None,
    chunk_size: int = 65536,
    timeout: float = 30,
) -> Reply:
    """One request whose body is sent with Transfer-Encoding: chunked and no Content-Length."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    chunks = (body[start : start + chunk_size] for start in range(0, len(body), chunk_size))
    try:
        connection.request(
            method,
            parts.path + (f"?{parts.query}" if parts.query else ""),
            body=chunks,
            headers={**(headers or {}), "Transfer-Encoding": "chunked"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        return Reply(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


@dataclass
class LiveSite:
    """A running gunicorn: its address, its database and its log."""

    base: str
    database_url: str
    pid: int
    log: Path

    def add_user(self, username: str, role: str = "respondent", password: str = PASSWORD) -> None:
        store = Store(self.database_url)
        try:
            with store.session() as db:
                create_user(store, db, username, password, role)
        finally:
            store.engine.dispose()

    def token(self, username: str) -> str:
        """A personal API token for an existing user."""
        from advisor.store.accounts import create_token

        store = Store(self.database_url)
        try:
            with store.session() as db:
                user = user_by_name(db, username)
                assert user is not None
                return create_token(db, user, "live test")
        finally:
            store.engine.dispose()

    def worker_rss_kib(self) -> dict[int, int]:
        """Resident memory of each worker process (the master's children), in KiB."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        sizes = {}
        for child in children:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes[int(child)] = int(line.split()[1])
        return sizes


@contextmanager
def gunicorn_site(
    database_url: str,
    instance_dir: Path,
    *,
    workers: int = 2,
    env: Mapping[str, str] | None = None,
    startup_seconds: float = 60,
) -> Iterator[LiveSite]:
    """Start `gunicorn web.wsgi:app` on a free loopback port; yield once /healthz answers 200."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    with _MIGRATING:  # alembic's command API is not thread-safe: sites started from threads take turns
        upgrade(database_url)
    port = free_port()
    log = instance_dir / "gunicorn.log"
    environment = {
        **os.environ,
        "ADVISOR_DATABASE_URL": database_url,
        "ADVISOR_INSTANCE_DIR": str(instance_dir),
        "ADVISOR_SECRET_KEY": "live-test-secret-key",
        "ADVISOR_SECURE_COOKIES": "false",
        "ADVISOR_BIND": f"127.0.0.1:{port}",
        "ADVISOR_WORKERS": str(workers),
        **(env or {}),
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:web.gunicorn_conf", "web.wsgi:app"],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if call(f"{base}/healthz", timeout=2).status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"gunicorn did not answer in {startup_seconds} s:\n{log.read_text()[-3000:]}"
                )
            time.sleep(0.2)
        yield LiveSite(base, database_url, process.pid, log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
