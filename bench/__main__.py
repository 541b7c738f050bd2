"""Measure the engine wrapper, the oracle and a straightforward durable_rules use in one run;
then the service (bench/service.py), the assessments list (bench/lists.py) and the impact of a rule
change (bench/impact.py)."""

from __future__ import annotations

import functools
import gc
import random
import time
import tracemalloc
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import durable.engine

from advisor.evaluate.decisions import Facts
from advisor.evaluate.engine import CompiledRulebook, QuietHost
from advisor.evaluate.oracle import OracleEvaluator
from advisor.model.facts import Assessment, Group, Organisation, group_facts
from advisor.model.questionnaire import GROUP
from advisor.rulebook import Rulebook, load_rulebook
from advisor.rulebook.compiler import compile_stage, flatten
from advisor.services.planning import build_plan

RULES = Path(__file__).resolve().parent.parent / "rules"


def random_group(rng: random.Random, index: int) -> Group:
    users = rng.choice([rng.randint(1, 120), rng.randint(1, 5000)])
    answers: dict[str, Any] = {
        "id": f"g{index}",
        "name": f"Group {index}",
        "department": rng.choice(["IT", "Sales", "HR", "Ops"]),
        "users": users,
        "devices": rng.randint(0, users * 3),
        "locations": rng.sample(["Oslo", "Lund", "Umeå", "Bergen"], rng.randint(0, 2)),
    }
    for question in GROUP:  # every other answer from its kind and choices
        if question.name in answers:
            continue
        if question.kind == "bool":
            answers[question.name] = rng.random() < 0.2
        elif question.kind == "choice":
            answers[question.name] = rng.choice(question.choices)
        elif question.kind == "multi":
            answers[question.name] = rng.sample(question.choices, rng.randint(int(question.required), 3))
        elif question.kind == "int":  # within the field's own bounds (a share is at most 100)
            metadata = Group.model_fields[question.name].metadata
            low = max([int(question.required), *(m.ge for m in metadata if hasattr(m, "ge"))])
            high = min([1000, *(m.le for m in metadata if hasattr(m, "le"))])
            answers[question.name] = rng.randint(low, high)
    return Group.model_validate(answers)


class Straightforward:
    """durable_rules used the way its documentation suggests: one session per case (uuid sid),
    actions that record into the session state, read back with get_state, then deleted.
    Only the Host's dispatcher threads are switched off, since they take a request's actions
    between its C calls, lose its results and crash (see QuietHost in advisor/evaluate/engine.py)."""

    def __init__(self, rulebook: Rulebook) -> None:
        definitions = compile_stage("group", rulebook.stage("group"), rulebook.parameters)
        for rule_id, definition in definitions.items():
            definition["run"] = self._action(rule_id)
        self.host = QuietHost()
        self.host.register_rulesets({"straightforward_group": definitions})

    @staticmethod
    def _action(rule_id: str) -> Callable[[Any], None]:
        def record(c: Any) -> None:
            c.s[rule_id] = True

        return record

    def evaluate(self, facts: Sequence[Facts]) -> list[frozenset[str]]:
        out = []
        for f in facts:
            sid = str(uuid.uuid4())
            try:
                self.host.assert_fact(
                    "straightforward_group", {**flatten("group", f), "kind": "group", "sid": sid}
                )
                state = self.host.get_state("straightforward_group", sid)
            finally:
                self.host.delete_state("straightforward_group", sid)
            out.append(frozenset(k for k, v in state.items() if v is True and not k.startswith("__")))
        return out


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def rss_mib() -> float:
    with open("/proc/self/statm") as stream:
        pages = int(stream.read().split()[1])
    return pages * 4096 / 2**20


def main() -> None:
    rulebook = load_rulebook(RULES)
    rng = random.Random(7)
    groups = [random_group(rng, i) for i in range(2000)]
    facts = [group_facts(g) for g in groups]
    compiled = CompiledRulebook(rulebook)
    oracle = OracleEvaluator(rulebook)
    naive = Straightforward(rulebook)
    assert compiled.evaluate("group", facts) == oracle.evaluate("group", facts) == naive.evaluate(facts)

    print(f"rulebook {rulebook.version}: {len(rulebook.rules)} rules; 2,000 random groups, best of 5\n")
    uncached = best_of(5, lambda: compiled.evaluate_uncached("group", facts)) / len(facts)

    def fresh() -> None:
        cold = CompiledRulebook(rulebook)  # an empty memo: only repeats within the batch help
        start = time.perf_counter()
        cold.evaluate("group", facts)
        timings.append(time.perf_counter() - start)
        cold.close()

    timings: list[float] = []
    for _ in range(5):
        fresh()
    cold_memo = min(timings) / len(facts)
    compiled.evaluate("group", facts)
    warm = best_of(5, lambda: compiled.evaluate("group", facts)) / len(facts)
    plain = best_of(5, lambda: oracle.evaluate("group", facts)) / len(facts)
    direct = best_of(5, lambda: naive.evaluate(facts)) / len(facts)
    print("evaluation per group (group stage)                   µs/group   straightforward / this")
    print(f"  straightforward durable_rules (sid per case)       {direct * 1e6:8.1f}   1.00x")
    print(
        f"  wrapper, every group through durable (batched)     {uncached * 1e6:8.1f}   {direct / uncached:.2f}x"
    )
    print(
        f"  wrapper, fresh memo (each fact class once)         {cold_memo * 1e6:8.1f}   {direct / cold_memo:.2f}x"
    )
    print(f"  wrapper, warm memo (classes seen before)           {warm * 1e6:8.1f}   {direct / warm:.2f}x")
    print(f"  plain-Python oracle                                {plain * 1e6:8.1f}   {direct / plain:.2f}x")
    print(
        f"  target: wrapper at least 2x faster than straightforward -> fresh memo "
        f"{'met' if direct / cold_memo >= 2 else 'NOT met'} ({direct / cold_memo:.2f}x); without "
        f"the memo {direct / uncached:.2f}x\n"
    )

    print("whole plans (engine)    groups   ms/plan   µs/group   peak MiB")
    per_group = {}
    for size in (7, 100, 1000, 5000):
        chosen = [random_group(rng, i) for i in range(size)]
        # A helpdesk sized for a rollout of about 100 months at every size, under the settings'
        # highest ceiling (1,200): this measures planning that grows with groups and months.
        capacity = max(3000, -(-sum(g.users for g in chosen) // 100))
        organisation = Organisation(name="Bench", rollout_start="2027-01", support_capacity=capacity)
        # 5,000 groups exceed the file format's limit of 1,000: built directly, not validated.
        assessment = Assessment.model_construct(version=1, organisation=organisation, groups=chosen)
        seconds = best_of(3, functools.partial(build_plan, assessment, compiled, None, max_months=1200))
        gc.collect()
        tracemalloc.start()
        build_plan(assessment, compiled, None, max_months=1200)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        per_group[size] = seconds / size
        print(
            f"                       {size:7d}  {seconds * 1e3:8.1f}  {seconds / size * 1e6:9.1f}  {peak:9.2f}"
        )
    print(
        f"  linearity: µs/group at 5,000 vs 100 groups = {per_group[5000] / per_group[100]:.2f} "
        "(1.0 is linear)\n"
    )

    batch = facts[:1000]
    compiled.evaluate("group", batch)
    gc.collect()
    before = rss_mib()
    for _ in range(100):
        compiled.evaluate_uncached("group", batch)  # through durable every time
    gc.collect()
    after = rss_mib()
    print(
        f"memory: RSS {before:.1f} MiB before, {after:.1f} MiB after 100,000 evaluations "
        f"(growth {after - before:+.1f} MiB)"
    )
    compiled.close()
    assert isinstance(naive.host, durable.engine.Host)


if __name__ == "__main__":
    main()
    from bench.impact import main as impact
    from bench.lists import main as lists
    from bench.service import main as service

    service()
    lists()
    impact()
