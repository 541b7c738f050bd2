"""Making plans for people waiting on them: the planner under the process's memory policy."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from advisor.evaluate.decisions import Evaluator
from advisor.model.facts import Assessment
from advisor.model.plan import Plan
from advisor.model.vocabulary import Language
from advisor.planning.planner import make_plan


def build_plan(
    assessment: Assessment,
    evaluator: Evaluator,
    language: Language | None,
    *,
    max_months: int,
    today: date | None = None,
) -> Plan:
    """`make_plan` with the cyclic garbage collector paused while it runs (see `collector_paused`),
    for a plan made today (a rollout start already past is warned)."""
    with collector_paused():
        return make_plan(assessment, evaluator, language, max_months=max_months, today=today or date.today())


_pause_lock = threading.Lock()
_pausing = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a plan is built.

    A plan allocates many small objects and no reference cycles, yet each full collection
    rescans all of them, which made planning 5,000 groups twice as slow per group as 100
    (`make bench`). Reference counting still frees everything; the collector resumes after the
    last plan under way ends, and only if it was running before.
    """
    global _pausing, _was_enabled
    with _pause_lock:
        if _pausing == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pausing += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pausing -= 1
            if _pausing == 0 and _was_enabled:
                gc.enable()
