"""Service benchmark: POST /api/v1/plans against a trivial endpoint, gunicorn on 127.0.0.1."""

from __future__ import annotations

import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SECONDS = 5.0  # per endpoint
MAX_REQUESTS = 20_000  # per client process, whatever comes first
CLIENTS = 2  # processes
THREADS = 4  # per process


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _load(port: int, method: str, path: str, body: bytes | None, seconds: float) -> tuple[int, int]:
    """One client process: THREADS threads sending requests until time or count runs out."""
    from concurrent.futures import ThreadPoolExecutor

    def worker() -> tuple[int, int]:
        done = failed = 0
        end = time.monotonic() + seconds
        while time.monotonic() < end and done < MAX_REQUESTS // THREADS:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                done += 1
                failed += response.status != 200
            except OSError:
                failed += 1
            finally:
                connection.close()
        return done, failed

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(lambda _: worker(), range(THREADS)))
    return sum(r[0] for r in results), sum(r[1] for r in results)


def _rate(
    port: int, method: str, path: str, body: bytes | None, seconds: float = SECONDS
) -> tuple[float, int]:
    start = time.monotonic()
    with ProcessPoolExecutor(CLIENTS) as pool:
        results = list(
            pool.map(
                _load,
                [port] * CLIENTS,
                [method] * CLIENTS,
                [path] * CLIENTS,
                [body] * CLIENTS,
                [seconds] * CLIENTS,
            )
        )
    elapsed = time.monotonic() - start
    return sum(r[0] for r in results) / elapsed, sum(r[1] for r in results)


def main() -> None:
    port = _free_port()
    data = Path(tempfile.mkdtemp(prefix="advisor-bench-"))
    rules = data / "rules"  # a copy: the reload measurement rewrites a rule file
    shutil.copytree(ROOT / "rules", rules)
    env = {
        **os.environ,
        "ADVISOR_BIND": f"127.0.0.1:{port}",
        "ADVISOR_INSTANCE_DIR": str(data),
        "ADVISOR_RULES_DIR": str(rules),
        "ADVISOR_WORKERS": "2",
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    server = subprocess.Popen(
        ["gunicorn", "-c", "python:web.gunicorn_conf", "--access-logfile", "/dev/null", "web.wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    body = json.dumps(yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())).encode()
    try:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        _rate(port, "POST", "/api/v1/plans", body)  # warm-up: workers compile their rules
        trivial, trivial_failed = _rate(port, "GET", "/api/v1/ping", None)
        plans, plans_failed = _rate(port, "POST", "/api/v1/plans", body)
        worst = _worst_requests(port, server.pid)
        reloading, reloading_failed, reloads = _while_rules_change(port, rules / "enrollment.yaml")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print(
        f"\nservice (gunicorn, 2 sync workers, 127.0.0.1; {CLIENTS} client processes x {THREADS} threads, "
        f"{SECONDS:.0f} s each)"
    )
    print(f"  GET  /api/v1/ping (trivial)       {trivial:8.0f} req/s   failed {trivial_failed}")
    print(f"  POST /api/v1/plans (guide example) {plans:7.0f} req/s   failed {plans_failed}")
    ratio = plans / trivial if trivial else 0.0
    print(f"  plans / trivial = {ratio:.2f}  (target at least 0.50: {'met' if ratio >= 0.5 else 'NOT met'})")
    print(
        f"  GET  /api/v1/ping while a rule file changes every {REWRITE_SECONDS:.0f} s "
        f"{reloading:5.0f} req/s   failed {reloading_failed}  "
        f"({reloading / trivial if trivial else 0:.2f} of the quiet rate; {reloads} new rulebooks seen)"
    )
    print(
        "\nthe worst request the schema allows within ADVISOR_MAX_REQUEST_BYTES (tests/worst.py), 3 times each"
    )
    for line in worst:
        print(f"  {line}")


REWRITE_SECONDS = 2.0  # longer than two watch intervals: each change is reloaded by every worker


def _while_rules_change(port: int, path: Path) -> tuple[float, int, int]:
    """The trivial endpoint's rate while a rule file flips between two valid versions, and how
    many rulebook changes /healthz reported meanwhile (so that reloads did happen)."""
    original = path.read_text()
    changed = original.replace(
        "  assisted_max_users:\n    value: 100", "  assisted_max_users:\n    value: 99"
    )
    assert changed != original
    stop = threading.Event()
    seen: list[str] = []

    def flip() -> None:
        texts = [changed, original]
        while not stop.wait(REWRITE_SECONDS):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/healthz")
            seen.append(json.loads(connection.getresponse().read())["rulebook"])
            connection.close()
            temporary = path.with_suffix(".tmp")
            temporary.write_text(texts[0])
            os.replace(temporary, path)
            texts.reverse()

    flipper = threading.Thread(target=flip)
    flipper.start()
    try:
        rate, failed = _rate(port, "GET", "/api/v1/ping", None, seconds=3 * SECONDS)
    finally:
        stop.set()
        flipper.join()
        path.write_text(original)
    return rate, failed, sum(a != b for a, b in itertools.pairwise(seen))


def _worker_rss_mib(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    sizes = []
    for child in children:
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) // 1024)
    return sizes


def _worst_requests(port: int, pid: int) -> list[str]:
    from tests.worst import fitted

    lines = [f"workers' RSS before: {_worker_rss_mib(pid)} MiB"]
    refused = fitted(2_000_000, capacity=1, split_by="auto")
    # The largest that plans: each platform's load counts, so users are capped to fit the ceiling
    # at the largest capacity, and no month is quiet (the most phases), as in tests/web/test_bounds.py.
    accepted = fitted(2_000_000, capacity=100_000_000, split_by="auto", users=1_000_000, calendar=False)
    for name, case in (("capacity 1 (refused)", refused), ("largest capacity (planned)", accepted)):
        body = json.dumps(case).encode()
        for _ in range(3):
            started = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            connection.request("POST", "/api/v1/plans", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            answer = response.read()
            connection.close()
            seconds = time.perf_counter() - started
        lines.append(
            f"{name}: {len(body) / 1e6:.2f} MB in, {response.status}, {len(answer) / 1e6:.2f} MB out, "
            f"{seconds:.2f} s; workers' RSS after: {_worker_rss_mib(pid)} MiB"
        )
    return lines


if __name__ == "__main__":
    main()
