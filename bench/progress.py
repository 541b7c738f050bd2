"""Enrollment progress (issue 16, item 4): 10,000 and 100,000 generated users with 1.5 devices
each, proposed as groups and planned, then measured against the plan by `measure` (read both
exports, place each device through its user, count), each size in a fresh process so that its
peak memory is its own.

Prints time, rows a second, the tracemalloc peak during `measure` and the process's ru_maxrss.
Run it with `python -m bench.progress`; no assertion: the figures are for reading.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

SIZES = (10_000, 100_000)
RULES = Path(__file__).resolve().parent.parent / "rules"


def one(users: int) -> dict[str, float]:
    """One size, in this process: generate the files, propose and plan, then time `measure`."""
    from advisor.directory import DirectorySettings, apply_edits, assessment_groups, propose
    from advisor.directory.progress import ProgressSettings, measure
    from advisor.directory.reading import read_devices, read_users
    from advisor.evaluate.oracle import OracleEvaluator
    from advisor.model.facts import parse_assessment
    from advisor.planning.planner import make_plan
    from advisor.rulebook import load_rulebook
    from bench.directory_data import write_devices, write_users

    rulebook = load_rulebook(RULES)
    devices = users * 3 // 2
    with tempfile.TemporaryDirectory(prefix="advisor-progress-") as folder:
        users_path, devices_path = Path(folder) / "users.csv", Path(folder) / "devices.csv"
        with users_path.open("wb") as out:
            write_users(out, users, 1)
        with devices_path.open("wb") as out:
            write_devices(out, devices, users, 1)
        with users_path.open("rb") as u, devices_path.open("rb") as d:
            proposal = propose(u, d, settings=DirectorySettings.from_rulebook(rulebook))
        answers = {
            "version": 1,
            "organisation": {"name": "Bench", "rollout_start": "2026-03", "support_capacity": 20_000},
            "groups": assessment_groups(proposal, apply_edits(proposal, [])),
        }
        assessment = parse_assessment(answers)
        plan = make_plan(assessment, OracleEvaluator(rulebook), max_months=600)
        settings = ProgressSettings.from_rulebook(rulebook)
        today = date(2026, 6, 15)

        def run() -> int:
            with users_path.open("rb") as u, devices_path.open("rb") as d:
                return measure(
                    assessment, plan, read_users(u), read_devices(d), today=today, settings=settings
                ).enrolled

        start = time.perf_counter()
        enrolled = run()
        seconds = time.perf_counter() - start
        tracemalloc.start()
        run()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {
        "users": users,
        "devices": devices,
        "groups": len(assessment.groups),
        "seconds": seconds,
        "rows_per_second": (users + devices) / seconds,
        "traced_peak_mb": peak / 1e6,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "enrolled": enrolled,
    }


def main() -> None:
    results = []
    for users in SIZES:
        done = subprocess.run(
            [sys.executable, "-m", "bench.progress", "--one", str(users)],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(done.stdout))
    print(
        "\nenrollment progress (measure: read both exports, place each device, count), one process per size"
    )
    print(
        f"{'users':>8} {'devices':>8} {'groups':>6} {'seconds':>8} {'rows/s':>9} {'traced peak MB':>15} {'maxrss MB':>10}"
        f" {'enrolled':>9}"
    )
    for r in results:
        print(
            f"{r['users']:>8,} {r['devices']:>8,} {r['groups']:>6} {r['seconds']:>8.2f} "
            f"{r['rows_per_second']:>9,.0f} {r['traced_peak_mb']:>15.1f} {r['maxrss_mb']:>10.0f} {r['enrolled']:>9,}"
        )
    small, large = results[0], results[-1]
    print(
        f"10x the rows: {large['seconds'] / small['seconds']:.1f}x the time, "
        f"{large['traced_peak_mb'] / small['traced_peak_mb']:.1f}x the traced peak (the join's map grows with the users), "
        f"{large['maxrss_mb'] / small['maxrss_mb']:.2f}x the process's peak"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(one(int(sys.argv[2]))))
    else:
        main()
