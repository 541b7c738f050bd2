"""The rules engine: durable_rules 2.0.28 behind a wrapper that works around its measured defects.

This is the only module that imports durable_rules. Each workaround below says, where it is made,
the engine behaviour it avoids: sessions capped per ruleset and keyed by a 32-bit hash, results
stolen by the Host's background threads, rulesets never freed by the Python layer.
"""

from __future__ import annotations

import itertools
import json
import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import durable.engine
import durable_rules_engine

from advisor.model.errors import EngineError
from advisor.model.facts import FactValue
from advisor.model.vocabulary import STAGES, Stage
from advisor.rulebook.compiler import (
    SESSION_KIND,
    SESSION_RULE,
    SINK_RULE,
    compile_stage,
    fact_classes,
    flatten,
)
from advisor.rulebook.loader import Rulebook

# durable_rules refuses the 1,025th live session of a ruleset with a MemoryError, leaks the
# half-made one for good, and segfaults if that session is touched or deleted. Every evaluation
# holds one session id from a pool far smaller than that.
POOL_SIZE = 64
# Facts asserted into one session at a time: batching saves the per-call overhead, and a small
# batch keeps the engine's 32-bit fact-id index far from collisions (upstream #376).
BATCH = 128
_SID_TIMEOUT_S = 30.0
# Remembered decisions per stage; cleared whole when full (a plan has at most a few thousand).
CACHE_LIMIT = 50_000


class QuietHost(durable.engine.Host):  # type: ignore[misc]  # durable ships no types: its Host is Any
    """A Host without the dispatcher and timer threads.

    Host.__init__ starts two self-re-arming Timer threads that steal a request's actions between
    assert_fact and start_action_for_state (the C calls never release the GIL, but one assertion
    is several calls); with request threads that lost results, then used a session the request
    had deleted (error 307) and segfaulted. We never use timers or events, so the threads have
    nothing to do.
    """

    def _run(self) -> None:
        pass


def fnv1a_32(text: str) -> int:
    """The hash durable_rules keys sessions by (state.c); two sids with one hash share facts."""
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def make_sids(count: int) -> list[str]:
    """`count` session ids whose FNV-1a hashes are all distinct (checked, not assumed)."""
    sids: list[str] = []
    hashes: set[int] = set()
    for number in itertools.count():
        sid = f"w{number}"
        digest = fnv1a_32(sid)
        if digest not in hashes:
            hashes.add(digest)
            sids.append(sid)
        if len(sids) == count:
            return sids
    raise AssertionError("unreachable")  # pragma: no cover


class SidPool:
    """Session ids handed to one evaluation at a time: bounds live sessions, prevents collisions."""

    def __init__(self, size: int = POOL_SIZE, timeout: float = _SID_TIMEOUT_S) -> None:
        self._timeout = timeout
        self._free: queue.LifoQueue[str] = queue.LifoQueue()
        for sid in make_sids(size):
            self._free.put(sid)

    @contextmanager
    def session(self) -> Iterator[str]:
        try:
            sid = self._free.get(timeout=self._timeout)
        except queue.Empty:
            raise EngineError("the rules engine is overloaded: no free session") from None
        try:
            yield sid
        finally:
            self._free.put(sid)


_names = itertools.count(1)
_INTERNAL_RULES = frozenset({SINK_RULE, SESSION_RULE})


def _not_dispatched(c: Any) -> None:
    """The action every rule is registered with; the engine takes activations itself."""


class CompiledRulebook:
    """One rulebook version compiled into durable_rules rulesets (one per stage) on a QuietHost."""

    def __init__(self, rulebook: Rulebook) -> None:
        self.rulebook = rulebook
        self._host = QuietHost()
        self._pool = SidPool()
        self._names: dict[Stage, str] = {}
        self._closed = False
        self._classify = {
            stage: fact_classes(stage, rulebook.stage(stage), rulebook.parameters) for stage in STAGES
        }
        self._cache: dict[Stage, dict[tuple[object, ...], frozenset[str]]] = {s: {} for s in STAGES}
        # Facts asked about through `evaluate`, and those that reached durable_rules (not answered
        # from the memo): their difference is the memo's hits (`make bench` prints the rate).
        self.lookups = 0
        self.engine_evaluations = 0
        serial = next(_names)
        definitions: dict[str, dict[str, Any]] = {}
        for stage in STAGES:
            # A durable ruleset name can never be registered twice, so each build gets a new one.
            name = f"advisor_{stage}_{rulebook.version}_{serial}"
            rules = compile_stage(stage, rulebook.stage(stage), rulebook.parameters)
            for definition in rules.values():
                # Host requires an action per rule; the engine never lets Host dispatch them.
                definition["run"] = _not_dispatched
            definitions[name] = rules
            self._names[stage] = name
        try:
            self._host.register_rulesets(definitions)
        except Exception as exc:  # durable reports only a numeric code; the model checks come first
            raise EngineError(f"the rules engine refused the compiled rulebook: {exc}") from exc
        self._handles: dict[Stage, int] = {
            stage: self._host.get_ruleset(name)._handle for stage, name in self._names.items()
        }

    def evaluate(self, stage: Stage, facts: Sequence[Mapping[str, FactValue]]) -> list[frozenset[str]]:
        """The ids of the rules that fire for each fact set, in order.

        Each equivalence class of facts (see `fact_classes`) is sent to durable_rules once; later
        facts of the same class get the engine's earlier answer.
        """
        if self._closed:
            raise EngineError("this rulebook version was retired and freed")
        cache = self._cache[stage]
        self.lookups += len(facts)
        keys = [self._classify[stage](f) for f in facts]
        missing: dict[tuple[object, ...], Mapping[str, FactValue]] = {}
        for key, f in zip(keys, facts, strict=True):
            if key not in cache:
                missing.setdefault(key, f)
        answers = self.evaluate_uncached(stage, list(missing.values())) if missing else []
        found = dict(zip(missing, answers, strict=True))
        result = [found[key] if key in found else cache[key] for key in keys]
        if len(cache) + len(found) > CACHE_LIMIT:
            cache.clear()
        cache.update(found)
        return result

    def evaluate_uncached(
        self, stage: Stage, facts: Sequence[Mapping[str, FactValue]]
    ) -> list[frozenset[str]]:
        """Every fact set through durable_rules, in batches on pooled session ids."""
        if self._closed:
            raise EngineError("this rulebook version was retired and freed")
        self.engine_evaluations += len(facts)
        handle = self._handles[stage]
        fired: list[set[str]] = [set() for _ in facts]
        for start in range(0, len(facts), BATCH):
            with self._pool.session() as sid:
                messages = [{"kind": SESSION_KIND, "sid": sid, "fid": -1}]
                messages += [
                    {**flatten(stage, f), "kind": stage, "sid": sid, "fid": start + i}
                    for i, f in enumerate(facts[start : start + BATCH])
                ]
                try:
                    self._run_session(handle, json.dumps(messages), fired)
                except EngineError:
                    raise
                except Exception as exc:  # durable reports numeric codes as its own error type
                    raise EngineError(f"the rules engine failed: {exc}") from exc
                finally:
                    # A reused sid would keep this request's facts, and the next request's equal
                    # facts would be refused as already observed: always delete.
                    durable_rules_engine.delete_state(handle, sid)
        return [frozenset(ids) for ids in fired]

    @staticmethod
    def _run_session(handle: int, payload: str, fired: list[set[str]]) -> None:
        """Assert a batch and take every activation the Rete network queued, in agenda order.

        This is what durable's Host does for each action, minus its Python layer: Host builds a
        Closure and a Promise per action and re-encodes the whole session state as JSON after
        every one (engine.py `_flush_actions`), which was most of the cost. Our actions only
        record which rule fired for which fact, so the loop records that and hands the state back
        unchanged. A set absorbs the repeat activations of `$or`, which fires once per branch
        that holds.
        """
        code, state_handle = durable_rules_engine.assert_facts(handle, payload)
        if code == 1:
            raise EngineError("a fact matched no pattern (the consuming rule is missing)")
        if code == 2:
            raise EngineError("a fact was already observed in this session")
        result = durable_rules_engine.start_action_for_state(handle, state_handle if code != 3 else 0)
        if not result:
            raise EngineError("the session marker did not fire; the session is incomplete")
        state, message = result[0], result[1]
        while message:
            for rule_id, binding in json.loads(message).items():
                fid = binding["m"]["fid"]
                if fid >= 0 and rule_id not in _INTERNAL_RULES:
                    fired[fid].add(rule_id)
            durable_rules_engine.update_state(handle, state)
            message = durable_rules_engine.complete_and_start_action(handle, state_handle)

    def close(self) -> None:
        """Free the C rulesets. durable_rules' Python layer never frees one (about half a MiB
        each, and a process-wide limit of 131,071 handles): every reload would leak without."""
        if self._closed:
            return
        self._closed = True
        for handle in self._handles.values():
            durable_rules_engine.delete_ruleset(handle)


class Engine:
    """The running rulebook: evaluations use a consistent version, reloads swap atomically.

    A reload compiles the new version first (a failure leaves the running one in place), swaps
    it in under a lock, and frees the old version once the last evaluation using it has ended.
    """

    def __init__(self, rulebook: Rulebook) -> None:
        self._lock = threading.Lock()
        self._current = CompiledRulebook(rulebook)
        self._in_use: dict[int, int] = {}
        self._retired: dict[int, CompiledRulebook] = {}

    @property
    def rulebook(self) -> Rulebook:
        return self._current.rulebook

    @contextmanager
    def version(self) -> Iterator[CompiledRulebook]:
        """Hold one rulebook version for the length of a plan."""
        with self._lock:
            compiled = self._current
            self._in_use[id(compiled)] = self._in_use.get(id(compiled), 0) + 1
        try:
            yield compiled
        finally:
            with self._lock:
                key = id(compiled)
                self._in_use[key] -= 1
                drained = self._in_use[key] == 0
                if drained:
                    del self._in_use[key]
                retired = self._retired.pop(key, None) if drained else None
            if retired is not None:
                retired.close()

    def reload(self, rulebook: Rulebook) -> None:
        new = CompiledRulebook(rulebook)
        with self._lock:
            old, self._current = self._current, new
            in_use = id(old) in self._in_use
            if in_use:  # freed by the last evaluation that uses it
                self._retired[id(old)] = old
        if not in_use:
            old.close()

    @property
    def retired_pending(self) -> int:
        with self._lock:
            return len(self._retired)

    def close(self) -> None:
        with self._lock:
            current, retired = self._current, list(self._retired.values())
            self._retired.clear()
        for compiled in (*retired, current):
            compiled.close()
