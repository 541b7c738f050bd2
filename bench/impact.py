"""Impact benchmark: which of 10,000 saved assessments (20 groups each) a rule change alters, the
straightforward way (every assessment planned under both rulebooks, one process) beside the fast
one (only what the change can touch, from the saved plans, in parallel processes), for a narrow
change (one threshold) and for one that touches every plan.

The assessments are generated (seeded) and bulk-inserted into a temporary SQLite database with
the plan the running rulebook made for them, as the site saves it (in the assessment's language).
Making 10,000 such plans takes minutes, so only the assessments a run reads the saved plan of
have one (the narrow change's touched ones, and the sample below); the others' plan is never read
(the impact reads the plans of the touched assessments only), and would only make the file larger.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from advisor.evaluate.oracle import OracleEvaluator
from advisor.model.errors import RolloutTooLong
from advisor.model.facts import parse_assessment
from advisor.planning.planner import make_plan
from advisor.quality.impact import (
    Case,
    Change,
    Filter,
    _plan,
    describe_change,
    impact_in_chunks,
    saved_cases,
    saved_rows,
)
from advisor.rulebook import Rulebook
from advisor.rulebook.loader import build_rulebook, read_folder
from advisor.services.jobs import CHUNK
from advisor.store.database import Store
from advisor.store.migrate import upgrade
from advisor.store.tables import AssessmentRecord, ReviewStatus, User
from bench.inputs import random_group

ROOT = Path(__file__).resolve().parent.parent
ASSESSMENTS = 10_000
GROUPS = 20
SAMPLE = 200  # the straightforward way and the change that touches every plan: measured on these
THRESHOLD = ("  many_devices_percent:\n    value: 200", "  many_devices_percent:\n    value: 201")
PLANNER_NUMBER = ("  limited_pilot_size:\n    value: ", "  limited_pilot_size:\n    value: 1")


def _answers(rng: random.Random, index: int) -> dict[str, Any]:
    return {
        "version": 1,
        "organisation": {
            "name": f"Organisation {index}",
            "rollout_start": f"{rng.randint(2027, 2029)}-{rng.randint(1, 12):02d}",
            "language": rng.choice(["en", "sv"]),
            "support_capacity": rng.randint(2000, 20000),
        },
        "groups": [random_group(rng, i).model_dump(mode="json") for i in range(GROUPS)],
    }


def _saved_plan(answers: dict[str, Any]) -> dict[str, Any] | None:
    try:
        assessment = parse_assessment(answers)
        plan = make_plan(assessment, OracleEvaluator(_running()), max_months=240)
    except RolloutTooLong:
        return None
    return {assessment.organisation.language: plan.model_dump(mode="json")}


_RUNNING: Rulebook | None = None


def _running() -> Rulebook:
    global _RUNNING
    if _RUNNING is None:
        _RUNNING = build_rulebook(read_folder(ROOT / "rules"))
    return _RUNNING


def _database(
    folder: Path, rows: list[dict[str, Any]], plans: dict[int, dict[str, Any] | None], version: str
) -> Store:
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    store = Store(url)
    with store.session() as db:
        owner = User(username="bench", password_hash="-", role="respondent")  # noqa: S106 - logs in never
        db.add(owner)
        db.flush()
        db.execute(
            insert(AssessmentRecord),
            [
                {
                    "owner_id": owner.id,
                    "title": f"Assessment {i}",
                    "answers": answers,
                    "step": "plan",
                    "plan": plans.get(i),
                    "rulebook_version": version if plans.get(i) else None,
                    "status": ReviewStatus.DRAFT,
                }
                for i, answers in enumerate(rows)
            ],
        )
    return store


def _fast(
    store: Store,
    old: Rulebook,
    new: Rulebook,
    sources: tuple[dict[str, bytes], dict[str, bytes]],
    limit: int | None,
) -> tuple[float, int, int]:
    """Seconds for the impact as the job makes it: the rows read a chunk at a time, parsed,
    filtered and planned in parallel processes, the saved plans standing for the plans before."""
    started = time.perf_counter()
    changes: list[Change] = []
    read = [0]

    def chunks() -> Iterator[list[Any]]:
        after = 0
        while limit is None or read[0] < limit:
            with store.session() as db:
                rows, after = saved_rows(db, after, CHUNK if limit is None else min(CHUNK, limit - read[0]))
            if not rows:
                return
            read[0] += len(rows)
            yield rows

    def keep(_count: int, found: list[Change]) -> bool:
        changes.extend(found)
        return True

    impact_in_chunks(old, new, chunks(), keep, max_months=240, sources=sources, saved_plans=store.url)
    return time.perf_counter() - started, len(changes), read[0]


def _straightforward(store: Store, old: Rulebook, new: Rulebook, limit: int) -> float:
    """Seconds to plan `limit` saved assessments under both rulebooks, one process (as before)."""
    started = time.perf_counter()
    with store.session() as db:
        cases = saved_cases(db, 0, limit)[0]
    before, after = OracleEvaluator(old), OracleEvaluator(new)
    for case in cases:
        describe_change(case.name, _plan(case.assessment, before, 240), _plan(case.assessment, after, 240))
    return time.perf_counter() - started


def main() -> None:
    print(
        f"\nimpact of a rule change over {ASSESSMENTS:,} saved assessments × {GROUPS} groups ({os.cpu_count()} cores)"
    )
    rng = random.Random(15)
    started = time.perf_counter()
    rows = [_answers(rng, i) for i in range(ASSESSMENTS)]
    running = read_folder(ROOT / "rules")
    old = build_rulebook(running)
    narrow_sources = _replace(running, *THRESHOLD)
    broad_sources = _replace(
        running, PLANNER_NUMBER[0] + str(old.parameters["limited_pilot_size"]), PLANNER_NUMBER[1]
    )
    narrow, broad = build_rulebook(narrow_sources), build_rulebook(broad_sources)
    check = Filter(old, narrow)
    touched = {i for i, answers in enumerate(rows) if check.touches(Case("", parse_assessment(answers)))}
    needed = set(range(SAMPLE)) | touched
    with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
        made = dict(
            zip(
                sorted(needed),
                pool.map(_saved_plan, [rows[i] for i in sorted(needed)], chunksize=8),
                strict=True,
            )
        )
    with tempfile.TemporaryDirectory() as folder:
        store = _database(Path(folder), rows, made, old.version)
        print(f"  (set up in {time.perf_counter() - started:.0f} s: {len(needed):,} saved plans made)")
        try:
            plain = _straightforward(store, old, narrow, SAMPLE)
            narrow_s, narrow_changed, total = _fast(store, old, narrow, (running, narrow_sources), None)
            broad_s, broad_changed, sampled = _fast(store, old, broad, (running, broad_sources), SAMPLE)
            # The processes' start (spawned, each builds both rulebooks), paid once per job: the
            # same rulebook on both sides touches nothing, so this is the start and little else.
            start_s = _fast(store, old, old, (running, running), SAMPLE)[0]
        finally:
            store.engine.dispose()
    scale = ASSESSMENTS / SAMPLE
    print("                                                      seconds   straightforward / this")
    print(
        f"  straightforward (both plans, one process)          {plain * scale:8.1f}   1.00x   (measured on {SAMPLE}, ×{scale:.0f})"
    )
    print(
        f"  narrow change (many_devices_percent 200 -> 201)    {narrow_s:8.1f}   {plain * scale / narrow_s:.2f}x"
        f"   ({narrow_changed:,} of {total:,} plans change; {len(touched):,} touched)"
    )
    broad_all = start_s + max(0.0, broad_s - start_s) * scale
    print(
        f"  change touching every plan (limited_pilot_size)    {broad_all:8.1f}   {plain * scale / broad_all:.2f}x"
        f"   (measured on {sampled}: {broad_s:.1f} s, of which {start_s:.1f} s starting the processes,"
        f" paid once; the rest ×{scale:.0f}; {broad_changed} of {sampled} change)"
    )


def _replace(sources: dict[str, bytes], old: str, new: str) -> dict[str, bytes]:
    for name, content in sources.items():
        text = content.decode()
        if old in text:
            return {**sources, name: text.replace(old, new, 1).encode()}
    raise AssertionError(f"no rule file has {old!r}")


if __name__ == "__main__":
    main()
