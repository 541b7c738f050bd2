"""The import of issue 16: 10,000 and 100,000 generated users (with 1.5 devices each) read and
counted by `propose`, each size in a fresh process so that its peak memory is its own.

Prints time, rows a second, the tracemalloc peak during `propose` and the process's ru_maxrss
(the high-water mark, imports included). Goal: 100,000 users and 150,000 devices in under 10 s
with memory flat; the join's map (one entry per user, by the hash of the address) is the only
part that grows with the users.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

SIZES = (10_000, 100_000)


def measure(users: int) -> dict[str, float]:
    """One size, in this process: generate the files, then time `propose` and measure its memory."""
    from advisor.directory.aggregate import propose
    from advisor.directory.settings import DirectorySettings
    from advisor.rulebook import load_rulebook
    from bench.directory_data import write_devices, write_users

    settings = DirectorySettings.from_rulebook(
        load_rulebook(Path(__file__).resolve().parent.parent / "rules")
    )
    devices = users * 3 // 2
    with tempfile.TemporaryDirectory(prefix="advisor-directory-") as folder:
        users_path, devices_path = Path(folder) / "users.csv", Path(folder) / "devices.csv"
        with users_path.open("wb") as out:
            write_users(out, users, 1)
        with devices_path.open("wb") as out:
            write_devices(out, devices, users, 1)
        size = users_path.stat().st_size + devices_path.stat().st_size
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with users_path.open("rb") as u, devices_path.open("rb") as d:
            start = time.perf_counter()
            proposal = propose(u, d, settings=settings)
            seconds = time.perf_counter() - start
        with users_path.open("rb") as u, devices_path.open("rb") as d:
            tracemalloc.start()
            propose(u, d, settings=settings)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    return {
        "users": users,
        "devices": devices,
        "megabytes": size / 1e6,
        "seconds": seconds,
        "rows_per_second": (users + devices) / seconds,
        "traced_peak_mb": peak / 1e6,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "maxrss_before_mb": baseline / 1024,
        "groups": len(proposal.groups),
    }


def main() -> None:
    results = []
    for users in SIZES:
        done = subprocess.run(
            [sys.executable, "-m", "bench.directory", "--one", str(users)],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(done.stdout))
    print("\nimport and proposal (propose: read, join, count, group), one fresh process per size")
    print(
        f"{'users':>8} {'devices':>8} {'MB':>6} {'seconds':>8} {'rows/s':>9} {'traced peak MB':>15} {'maxrss MB':>10}"
    )
    for r in results:
        print(
            f"{r['users']:>8,} {r['devices']:>8,} {r['megabytes']:>6.1f} {r['seconds']:>8.2f} "
            f"{r['rows_per_second']:>9,.0f} {r['traced_peak_mb']:>15.1f} {r['maxrss_mb']:>10.1f}"
        )
    small, large = results
    print(
        f"10x the data: {large['seconds'] / small['seconds']:.1f}x the time, "
        f"{large['traced_peak_mb'] / small['traced_peak_mb']:.1f}x the traced peak, "
        f"{large['maxrss_mb'] / small['maxrss_mb']:.2f}x the process's peak (ru_maxrss, imports included)"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(measure(int(sys.argv[2]))))
    else:
        main()
