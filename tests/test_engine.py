"""The durable_rules engine against the plain-Python oracle, and the wrapper's safety rules."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from typing import Any, get_args

import durable_rules_engine
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.evaluate.decisions import Facts
from advisor.evaluate.engine import POOL_SIZE, CompiledRulebook, Engine, SidPool, fnv1a_32, make_sids
from advisor.evaluate.oracle import OracleEvaluator, fired
from advisor.model.errors import EngineError, RolloutTooLong
from advisor.model.facts import GROUP_FACTS, group_facts, parse_assessment
from advisor.model.plan import Plan
from advisor.model.vocabulary import STAGES, Stage
from advisor.planning.planner import make_plan
from advisor.rulebook import Rulebook
from advisor.rulebook.compiler import SESSION_KIND
from advisor.rulebook.loader import RuleInfo
from advisor.rulebook.schema import AllOf, AnyOf, Leaf, NotOf, Op, Rule, Texts
from tests.strategies import assessments, groups


class Comparing:
    """An evaluator that asks both the engine and the oracle, and insists they agree."""

    def __init__(self, engine: CompiledRulebook, oracle: OracleEvaluator) -> None:
        self.engine, self.oracle, self.rulebook = engine, oracle, engine.rulebook
        self.asked: list[tuple[Stage, Sequence[Facts]]] = []  # each stage asked, with its facts

    def evaluate(self, stage: Stage, facts: Sequence[Facts]) -> list[frozenset[str]]:
        got, expected = self.engine.evaluate(stage, facts), self.oracle.evaluate(stage, facts)
        assert got == expected, (stage, facts)
        self.asked.append((stage, facts))
        return got


# Every rule of the shipped rulebook (76) fires within the first hundred or so examples, and 500
# compare about 3,000 distinct classes of facts (measured: 2,000 examples, 45 s, compared about
# 10,000 and fired no rule more); each run draws new examples, so runs add up.
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=assessments())
def test_engine_and_oracle_fire_the_same_rules_for_random_assessments(
    data: dict[str, Any], engine: Engine, rulebook: Rulebook
) -> None:
    """Every stage (the method stage's devices included), with the facts the planner really
    passes between them."""
    assessment = parse_assessment(data)
    with engine.version() as compiled:
        comparing = Comparing(compiled, OracleEvaluator(rulebook))
        try:
            plan: Plan | None = make_plan(assessment, comparing)
        except RolloutTooLong:  # a small support capacity: refused before the placement stage
            plan = None
        facts = [group_facts(g) for g in assessment.groups]
        assert comparing.asked[0] == ("group", facts)
        # Without the memo too: every fact set of every stage through durable_rules.
        for stage, asked in comparing.asked:
            assert compiled.evaluate_uncached(stage, asked) == OracleEvaluator(rulebook).evaluate(
                stage, asked
            ), stage
    # each stage once (the method stage may run before the organisation's, which needs nothing of it)
    stages = [stage for stage, _ in comparing.asked]
    if plan is None:
        assert sorted(stages) == sorted(s for s in STAGES if s != "placement")
        return
    assert sorted(stages) == sorted(STAGES)
    assert stages[-1] == "placement"
    assert sum(len(g.placements) for g in plan.groups) >= len(plan.groups)
    # one method stage fact set per group, platform and owner
    (method_facts,) = [asked for stage, asked in comparing.asked if stage == "method"]
    assert len(method_facts) == sum(len(g.methods) for g in plan.groups)


# -- random rules: the compiler's `not`, `any` and nesting against the oracle ------------------


def _facts_of_kind(kind: str) -> list[str]:
    """The group facts of one kind: every fact, new ones included, is drawn by its kind."""
    return [name for name, spec in GROUP_FACTS.items() if spec.kind == kind]


_INT_FACTS = _facts_of_kind("int")


def _leaf() -> st.SearchStrategy[Leaf]:
    numbers = st.builds(
        Leaf,
        fact=st.sampled_from(_INT_FACTS),
        op=st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte"]),
        value=st.sampled_from([0, 1, 2, 50, 100, 200, 1000]),
    )
    number_sets = st.builds(
        Leaf,
        fact=st.sampled_from(_INT_FACTS),
        op=st.sampled_from(["in", "not_in"]),
        value=st.lists(st.sampled_from([0, 1, 2, 3, 100]), min_size=1, max_size=3),
    )
    booleans = st.builds(
        Leaf,
        fact=st.sampled_from(_facts_of_kind("bool")),
        op=st.sampled_from(["eq", "ne"]),
        value=st.booleans(),
    )

    def _enum(fact: str) -> st.SearchStrategy[Leaf]:
        values = GROUP_FACTS[fact].values
        return st.one_of(
            st.builds(
                Leaf, fact=st.just(fact), op=st.sampled_from(["eq", "ne"]), value=st.sampled_from(values)
            ),
            st.builds(
                Leaf,
                fact=st.just(fact),
                op=st.sampled_from(["in", "not_in"]),
                value=st.lists(st.sampled_from(values), min_size=1, max_size=len(values)),
            ),
        )

    def _set(fact: str) -> st.SearchStrategy[Leaf]:
        values = GROUP_FACTS[fact].values
        return st.builds(
            Leaf,
            fact=st.just(fact),
            op=st.sampled_from(["contains", "not_contains"]),
            value=st.sampled_from(values),
        )

    enums = st.sampled_from(_facts_of_kind("enum")).flatmap(_enum)
    sets = st.sampled_from(_facts_of_kind("set")).flatmap(_set)
    return st.one_of(numbers, number_sets, booleans, enums, sets)


def _nested(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    # A named function, not a lambda: hypothesis reads its source to see that it recurses, which
    # for a lambda inside a call spanning lines fails now and then (a deprecation warning, an error
    # under the suite's warning filter).
    return st.one_of(
        st.builds(AllOf, all=st.lists(inner, max_size=3)),
        st.builds(AnyOf, any=st.lists(inner, min_size=1, max_size=3)),
        st.builds(NotOf, not_=inner),
    )


conditions = st.recursive(
    # Negated leaves as often as plain ones: a wrong negation in the compiler (lt negated to gt
    # rather than gte) must not hide behind the few `not`s that recursion alone would draw.
    st.one_of(_leaf(), st.builds(NotOf, not_=_leaf())),
    _nested,
    max_leaves=8,
)


def _rulebook(whens: list[Any]) -> Rulebook:
    texts = Texts(en="x", sv="y")
    rules = tuple(
        RuleInfo(
            Rule(
                id=f"r{i}",
                decides="pilot",
                value="limited",
                reason=texts,
                when=when,
                source="https://docs.microsoft.com/intune/planning-guide-rollout-plan#pilot",
                provenance="guide",
            ),
            "group",
            "random.yaml",
            i + 1,
        )
        for i, when in enumerate(whens)
    )
    return Rulebook(label="random", rules=rules, parameters={}, parameter_texts={}, version="random")


@settings(max_examples=300, deadline=None)
@given(
    whens=st.lists(st.one_of(st.none(), conditions), min_size=1, max_size=6),
    samples=st.lists(groups(0), min_size=1, max_size=12),
)
def test_compiled_random_conditions_agree_with_the_oracle(
    whens: list[Any], samples: list[dict[str, Any]]
) -> None:
    rulebook = _rulebook(whens)
    base = {"version": 1, "organisation": {"name": "R", "rollout_start": "2027-01"}}
    facts = [group_facts(parse_assessment({**base, "groups": [g]}).groups[0]) for g in samples]
    compiled = CompiledRulebook(rulebook)
    try:
        got = compiled.evaluate("group", facts)
    finally:
        compiled.close()
    assert got == [fired(rulebook.rules, f, {}) for f in facts]


_VALUE = 50
# Each operator with the value it compares a whole-number fact to, and Python's own answer.
_OPERATORS: dict[str, tuple[int | list[int], Callable[[int], bool]]] = {
    "eq": (_VALUE, lambda users: users == _VALUE),
    "ne": (_VALUE, lambda users: users != _VALUE),
    "lt": (_VALUE, lambda users: users < _VALUE),
    "lte": (_VALUE, lambda users: users <= _VALUE),
    "gt": (_VALUE, lambda users: users > _VALUE),
    "gte": (_VALUE, lambda users: users >= _VALUE),
    "in": ([_VALUE], lambda users: users in [_VALUE]),
    "not_in": ([_VALUE], lambda users: users not in [_VALUE]),
}
# The set operators, on a set fact: the member asked about is absent, present, present with others.
_MEMBERSHIP: dict[str, Callable[[list[str]], bool]] = {
    "contains": lambda platforms: "windows" in platforms,
    "not_contains": lambda platforms: "windows" not in platforms,
}


def test_the_boundary_tables_cover_every_operator_the_rules_may_use() -> None:
    assert set(_OPERATORS) | set(_MEMBERSHIP) == set(get_args(Op))


def _fired_both_ways(when: Any, samples: list[dict[str, Any]]) -> tuple[list[frozenset[str]], ...]:
    """What the engine (every fact through durable_rules) and the oracle fire for each sample."""
    rulebook = _rulebook([when])
    base = {"version": 1, "organisation": {"name": "R", "rollout_start": "2027-01"}}
    facts = [group_facts(parse_assessment({**base, "groups": [g]}).groups[0]) for g in samples]
    compiled = CompiledRulebook(rulebook)
    try:
        engine = compiled.evaluate_uncached("group", facts)
    finally:
        compiled.close()
    return engine, [fired(rulebook.rules, f, {}) for f in facts]


@pytest.mark.parametrize("negated", [False, True], ids=["plain", "negated"])
@pytest.mark.parametrize("op", sorted(_OPERATORS))
def test_every_comparison_plain_and_negated_at_its_boundary(op: str, negated: bool) -> None:
    """Each operator, negated or not, at value - 1, value and value + 1: the engine, the oracle
    and Python's own comparison agree. (A compiler that negated lt to gt passed every other test.)"""
    value, holds = _OPERATORS[op]
    leaf = Leaf(fact="users", op=op, value=value)
    numbers = (_VALUE - 1, _VALUE, _VALUE + 1)
    samples = [{"id": "g", "name": "G", "users": users, "platforms": ["ios"]} for users in numbers]
    expected = [frozenset({"r0"}) if holds(users) != negated else frozenset() for users in numbers]
    assert _fired_both_ways(NotOf(not_=leaf) if negated else leaf, samples) == (expected, expected)


@pytest.mark.parametrize("negated", [False, True], ids=["plain", "negated"])
@pytest.mark.parametrize("op", sorted(_MEMBERSHIP))
def test_every_membership_test_plain_and_negated(op: str, negated: bool) -> None:
    leaf = Leaf(fact="platforms", op=op, value="windows")
    sets = [["ios"], ["windows"], ["ios", "windows"]]
    samples = [{"id": "g", "name": "G", "users": 10, "platforms": platforms} for platforms in sets]
    holds = _MEMBERSHIP[op]
    expected = [frozenset({"r0"}) if holds(platforms) != negated else frozenset() for platforms in sets]
    assert _fired_both_ways(NotOf(not_=leaf) if negated else leaf, samples) == (expected, expected)


# -- safety rules -------------------------------------------------------------------------------


def test_session_ids_never_share_a_hash() -> None:
    sids = make_sids(1024)
    assert len({fnv1a_32(s) for s in sids}) == 1024
    assert fnv1a_32("req-991307") == fnv1a_32("req-1971740")  # durable would key both as one session


def test_every_session_the_pool_hands_out_at_once_lives_on_durable_and_one_more_waits(
    rulebook: Rulebook,
) -> None:
    """durable_rules refuses a ruleset's 1,025th live session and leaks the half-made one; the
    pool is what keeps evaluations below that. All the sessions it hands out at once are
    accepted by a real ruleset, distinct, and the next evaluation is refused rather than given a
    session beyond them."""
    pool = SidPool(timeout=0.01)
    compiled = CompiledRulebook(rulebook)
    handle = compiled._handles["group"]
    live: list[str] = []
    try:
        with ExitStack() as held:
            while True:
                try:
                    live.append(held.enter_context(pool.session()))
                except EngineError as refused:
                    reason = str(refused)
                    break
                marker = [{"kind": SESSION_KIND, "sid": live[-1], "fid": -1}]
                compiled._run_session(handle, json.dumps(marker), [])  # raises if refused; kept live
            assert "no free session" in reason
            assert len(set(live)) == len(live) > 1
        with pool.session() as again:  # given back: handed out anew
            assert again in live
    finally:
        for sid in live:
            durable_rules_engine.delete_state(handle, sid)
        compiled.close()


def test_sessions_are_deleted_after_every_evaluation(engine: Engine, contoso: Any) -> None:
    with engine.version() as compiled:
        make_plan(contoso, compiled)
        host, name = compiled._host, compiled._names["group"]
        for sid in make_sids(POOL_SIZE):
            with pytest.raises(durable_rules_engine.error):
                host.get_state(name, sid)


def test_reload_swaps_and_frees_the_old_ruleset(rulebook: Rulebook, contoso: Any) -> None:
    engine = Engine(rulebook)
    with engine.version() as old:
        engine.reload(rulebook)  # an evaluation is under way on `old`
        assert engine.retired_pending == 1
        plan = make_plan(contoso, old)  # it finishes on the old rules
    assert engine.retired_pending == 0
    with pytest.raises(EngineError, match="retired"):
        old.evaluate("group", [])
    with engine.version() as new:
        assert new is not old
        assert make_plan(contoso, new) == plan
    engine.close()


def test_many_reloads_free_every_retired_version(rulebook: Rulebook) -> None:
    engine = Engine(rulebook)
    handles = []
    for _ in range(20):
        with engine.version() as compiled:
            handles.append(compiled._host.get_ruleset(compiled._names["group"])._handle)
        engine.reload(rulebook)
    engine.close()
    assert engine.retired_pending == 0
    assert len(set(handles)) == len(handles)


def test_concurrent_plans_on_one_engine_are_all_correct(
    engine: Engine, contoso: Any, rulebook: Rulebook
) -> None:
    expected = make_plan(contoso, OracleEvaluator(rulebook))
    results: list[bool] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(25):
                with engine.version() as compiled:
                    results.append(make_plan(contoso, compiled) == expected)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 200
    assert all(results)


def test_a_batch_where_no_rule_matches_is_handled(rulebook: Rulebook) -> None:
    """Without the consuming sentinel, durable raises for the whole batch and later segfaults."""
    empty = Rulebook(label="empty", rules=(), parameters={}, parameter_texts={}, version="empty")
    compiled = CompiledRulebook(empty)
    base = {"version": 1, "organisation": {"name": "R", "rollout_start": "2027-01"}}
    facts = [
        group_facts(
            parse_assessment(
                {**base, "groups": [{"id": "a", "name": "A", "users": 3, "platforms": ["ios"]}]}
            ).groups[0]
        )
    ] * 3
    assert compiled.evaluate("group", facts) == [frozenset()] * 3
    compiled.close()


def test_more_facts_than_one_batch(engine: Engine, rulebook: Rulebook) -> None:
    base = {"version": 1, "organisation": {"name": "R", "rollout_start": "2027-01"}}
    many = [
        {"id": f"g{i}", "name": "G", "users": i + 1, "platforms": ["ios"], "needs_help": "high"}
        for i in range(300)
    ]
    facts: list[Mapping[str, Any]] = [
        group_facts(g) for g in parse_assessment({**base, "groups": many}).groups
    ]
    with engine.version() as compiled:
        assert compiled.evaluate("group", facts) == OracleEvaluator(rulebook).evaluate("group", facts)


def test_each_class_of_facts_reaches_durable_once(rulebook: Rulebook) -> None:
    """Groups differing only in numbers no rule tells apart are decided by one engine call."""
    base = {"version": 1, "organisation": {"name": "R", "rollout_start": "2027-01"}}
    many = [
        {"id": f"g{i}", "name": "G", "users": 1000 + i, "devices": 1000 + i, "platforms": ["ios"]}
        for i in range(200)
    ]
    facts = [group_facts(g) for g in parse_assessment({**base, "groups": many}).groups]
    compiled = CompiledRulebook(rulebook)
    try:
        assert compiled.evaluate("group", facts) == OracleEvaluator(rulebook).evaluate("group", facts)
        assert (compiled.lookups, compiled.engine_evaluations) == (200, 1)
        compiled.evaluate("group", facts)
        assert (compiled.lookups, compiled.engine_evaluations) == (400, 1)  # 399 memo hits of 400
    finally:
        compiled.close()
