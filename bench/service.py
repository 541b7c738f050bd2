"""Service benchmark: POST /api/v1/plans against a trivial endpoint, gunicorn on 127.0.0.1.

Plans are posted two ways: the guide's example every time (after its first plan the rule memo
answers every fact), and assessments generated from a seed, a different one per request, so that
the engine does the work a real mix of organisations gives it. Each prints the memo's hit rate it
saw, counted by the workers (bench/gunicorn_conf.py)."""

from __future__ import annotations

import http.client
import itertools
import json
import os
import random
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
VARIED = 1000  # generated assessments: more than a run posts on this machine (a repeat is printed)
SEED = 15


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _load(
    port: int, method: str, path: str, bodies: list[bytes | None], seconds: float, client: int
) -> tuple[int, int]:
    """One client process: THREADS threads sending requests until time or count runs out. With
    several bodies, each thread sends its own share of them in turn (no body twice while there
    are more bodies than requests)."""
    from concurrent.futures import ThreadPoolExecutor

    def worker(thread: int) -> tuple[int, int]:
        done = failed = 0
        end = time.monotonic() + seconds
        lane = client * THREADS + thread
        while time.monotonic() < end and done < MAX_REQUESTS // THREADS:
            body = bodies[(lane + done * CLIENTS * THREADS) % len(bodies)]
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
        results = list(pool.map(worker, range(THREADS)))
    return sum(r[0] for r in results), sum(r[1] for r in results)


def _rate(
    port: int, method: str, path: str, body: bytes | list[bytes] | None, seconds: float = SECONDS
) -> tuple[float, int]:
    bodies: list[bytes | None] = list(body) if isinstance(body, list) else [body]
    start = time.monotonic()
    with ProcessPoolExecutor(CLIENTS) as pool:
        results = list(
            pool.map(
                _load,
                [port] * CLIENTS,
                [method] * CLIENTS,
                [path] * CLIENTS,
                [bodies] * CLIENTS,
                [seconds] * CLIENTS,
                range(CLIENTS),
            )
        )
    elapsed = time.monotonic() - start
    return sum(r[0] for r in results) / elapsed, sum(r[1] for r in results)


def main() -> None:
    port = _free_port()
    data = Path(tempfile.mkdtemp(prefix="advisor-bench-"))
    database_url = f"sqlite:///{data / 'advisor.db'}"  # the reload measurement changes its rulebook
    counts = data / "memo-counts.jsonl"
    env = {
        **os.environ,
        "ADVISOR_BENCH_COUNTS": str(counts),
        "ADVISOR_BIND": f"127.0.0.1:{port}",
        "ADVISOR_INSTANCE_DIR": str(data),
        "ADVISOR_DATABASE_URL": database_url,
        "ADVISOR_RULES_DIR": str(ROOT / "rules"),
        "ADVISOR_WORKERS": "2",
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    server = subprocess.Popen(
        ["gunicorn", "-c", "python:bench.gunicorn_conf", "--access-logfile", "/dev/null", "web.wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    body = json.dumps(yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())).encode()
    varied = _varied_bodies()
    try:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        _rate(port, "POST", "/api/v1/plans", body)  # warm-up: workers compile their rules
        trivial, trivial_failed = _rate(port, "GET", "/api/v1/ping", None)
        # Each plan measurement starts on fresh workers (an empty memo) and ends by restarting
        # them, which writes what their memos answered.
        _restart_workers(server.pid, port, counts)
        plans, plans_failed = _rate(port, "POST", "/api/v1/plans", body)
        same_hits = _restart_workers(server.pid, port, counts)
        mixed, mixed_failed = _rate(port, "POST", "/api/v1/plans", varied)
        mixed_hits = _restart_workers(server.pid, port, counts)
        worst = _worst_requests(port, server.pid)
        reloading, reloading_failed, reloads = _while_rules_change(port, database_url)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print(
        f"\nservice (gunicorn, 2 sync workers, 127.0.0.1; {CLIENTS} client processes x {THREADS} threads, "
        f"{SECONDS:.0f} s each)"
    )
    print(f"  GET  /api/v1/ping (trivial)       {trivial:8.0f} req/s   failed {trivial_failed}")
    print(
        f"  POST /api/v1/plans (guide example) {plans:7.0f} req/s   failed {plans_failed}   "
        f"memo hit rate {same_hits:6.1%} (the same assessment every time)"
    )
    posted = round(mixed * SECONDS)
    print(
        f"  POST /api/v1/plans (generated)     {mixed:7.0f} req/s   failed {mixed_failed}   "
        f"memo hit rate {mixed_hits:6.1%} (about {posted:,} posted of {len(varied):,} generated from "
        f"seed {SEED}, 4-20 groups each; {'none' if posted <= len(varied) else 'some'} twice)"
    )
    for name, rate in (("guide example", plans), ("generated", mixed)):
        ratio = rate / trivial if trivial else 0.0
        print(
            f"  plans / trivial = {ratio:.2f} ({name}; target at least 0.50: "
            f"{'met' if ratio >= 0.5 else 'NOT met'})"
        )
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


def _varied_bodies() -> list[bytes]:
    """VARIED assessments generated from SEED, as the API takes them (the same on every run)."""
    from bench.inputs import random_assessment

    rng = random.Random(SEED)
    return [
        json.dumps(random_assessment(rng, number).model_dump(mode="json")).encode()
        for number in range(VARIED)
    ]


def _worker_pids(pid: int) -> set[int]:
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def _restart_workers(pid: int, port: int, counts: Path) -> float:
    """Restart gunicorn's workers gracefully (SIGHUP) and return the memo hit rate that the
    workers which exited since the last restart saw (those recycled meanwhile included): each
    writes its counters as it exits (bench/gunicorn_conf.py). Returns when the new workers have
    had time to start."""
    old = _worker_pids(pid)
    os.kill(pid, signal.SIGHUP)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        written = counts.read_text().split("\n")[:-1] if counts.exists() else []  # whole lines only
        lines = [json.loads(line) for line in written]
        if old <= {line["pid"] for line in lines}:
            break
        time.sleep(0.1)
    else:
        raise RuntimeError("gunicorn's workers did not report their counters")
    counts.unlink()
    while len(_worker_pids(pid)) < len(old) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(3)  # the new workers load the site and compile the rules before they answer
    _rate(port, "GET", "/api/v1/ping", None, seconds=1.0)  # and answer (the memo untouched)
    lookups = sum(line["lookups"] for line in lines)
    evaluations = sum(line["evaluations"] for line in lines)
    return 1 - evaluations / lookups if lookups else 0.0


REWRITE_SECONDS = 2.0  # the time every instance has to adopt a saved rulebook


def _while_rules_change(port: int, database_url: str) -> tuple[float, int, int]:
    """The trivial endpoint's rate while the database's rulebook flips between two valid versions
    (a threshold of enrollment.yaml, written and the head bumped as an admin's save does), and
    how many rulebook changes /healthz reported meanwhile (so that reloads did happen)."""
    from advisor.services.live_rules import build
    from advisor.store.database import Store
    from advisor.store.rules import change_files, head, rulebook_files

    store = Store(database_url)
    with store.session() as db:
        files = rulebook_files(db)
    original = files["enrollment.yaml"]
    changed = original.replace(
        "  assisted_max_users:\n    value: 100", "  assisted_max_users:\n    value: 99"
    )
    assert changed != original
    versions = {text: build({**files, "enrollment.yaml": text}).version for text in (original, changed)}
    stop = threading.Event()
    seen: list[str] = []

    def write(text: str) -> None:
        with store.session() as db:
            current = head(db)
            assert current is not None
            change_files(db, {"enrollment.yaml": text}, versions[text], current.serial)

    def flip() -> None:
        texts = [changed, original]
        while not stop.wait(REWRITE_SECONDS):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/healthz")
            seen.append(json.loads(connection.getresponse().read())["rulebook"])
            connection.close()
            write(texts[0])
            texts.reverse()

    flipper = threading.Thread(target=flip)
    flipper.start()
    try:
        rate, failed = _rate(port, "GET", "/api/v1/ping", None, seconds=3 * SECONDS)
    finally:
        stop.set()
        flipper.join()
        write(original)
        store.engine.dispose()
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
