"""Reasons in words: a rule's own reason, why a rule did not apply, and why one was outranked."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from advisor.evaluate.oracle import Failure, first_failure, matched_facts
from advisor.model.facts import FACTS_BY_STAGE, FactValue
from advisor.model.guide import localized_source
from advisor.model.i18n import N_, gettext
from advisor.model.plan import Reason
from advisor.model.vocabulary import FactSpec, Language, Stage, term
from advisor.rulebook.loader import Rulebook, RuleInfo
from advisor.rulebook.schema import AllOf, Condition, Leaf, NotOf, leaves
from advisor.rulebook.template import fill, names

# A condition's comparison in words, by operator; the fact's label and the value are filled in.
_OPS: dict[str, str] = {
    "eq": N_("%(label)s: %(value)s"),
    "ne": N_("%(label)s: not %(value)s"),
    "lt": N_("%(label)s: less than %(value)s"),
    "lte": N_("%(label)s: at most %(value)s"),
    "gt": N_("%(label)s: more than %(value)s"),
    "gte": N_("%(label)s: at least %(value)s"),
    "in": N_("%(label)s: %(value)s"),
    "not_in": N_("%(label)s: neither %(value)s"),
    "contains": N_("%(label)s include %(value)s"),
    "not_contains": N_("%(label)s do not include %(value)s"),
}
# The same comparisons inside a sentence ("applies only when help needed to enroll is high"), for
# why a rule did not decide; a yes/no fact is named as the question it answers.
_SENTENCE_OPS: dict[str, str] = {
    "eq": N_("%(label)s is %(value)s"),
    "ne": N_("%(label)s is not %(value)s"),
    "lt": N_("%(label)s is less than %(value)s"),
    "lte": N_("%(label)s is at most %(value)s"),
    "gt": N_("%(label)s is more than %(value)s"),
    "gte": N_("%(label)s is at least %(value)s"),
    "in": N_("%(label)s is %(value)s"),
    "not_in": N_("%(label)s is neither %(value)s"),
    "contains": N_("%(label)s include %(value)s"),
    "not_contains": N_("%(label)s do not include %(value)s"),
}
_YES_NO = N_("the answer to “%(label)s” is %(value)s")
# How the values of a list, or the parts of a condition, are joined.
_JOIN = {
    "or": N_(" or "),
    "and": N_(" and "),
    "nor": N_(" nor "),
}


def _joiner(kind: str, language: Language) -> str:
    return gettext(_JOIN[kind], language)


def show_value(value: object, language: Language) -> str:
    """A fact value as a person reads it."""
    if isinstance(value, bool):
        return term("yes" if value else "no", language)
    if isinstance(value, frozenset | set | list | tuple):
        items = sorted(str(v) for v in value)
        return ", ".join(term(v, language) for v in items) if items else "–"
    if isinstance(value, str):
        return term(value, language)
    return str(value)


def fact_label(name: str, language: Language) -> str:
    """How people call a fact, whichever stage it belongs to."""
    for stage in ("placement", "method", "organisation"):
        spec = FACTS_BY_STAGE[stage].get(name)
        if spec is not None:
            return spec.label(language)
    return name


def json_value(value: FactValue) -> Any:
    return sorted(value) if isinstance(value, frozenset) else value


def describe(
    node: Condition,
    language: Language,
    parameters: Mapping[str, int],
    stage_facts: Stage,
    *,
    sentence: bool = False,
) -> str:
    """A condition in words, such as `help needed to enroll: high`; with `sentence`, as a clause
    that reads inside a sentence: `help needed to enroll is high`."""
    specs = FACTS_BY_STAGE[stage_facts]
    if isinstance(node, Leaf):
        spec = specs[node.fact]
        raw = parameters[node.param] if node.param is not None else node.value
        if isinstance(raw, list):
            joiner = _joiner("nor" if node.op == "not_in" else "or", language)
            value = joiner.join(show_value(v, language) for v in raw)
        else:
            value = show_value(raw, language)
        if not sentence:
            return gettext(_OPS[node.op], language, label=spec.label(language), value=value)
        said = _said(spec, node.op, raw, language)
        return said if said is not None else _clause(spec, node.op, value, language)
    if isinstance(node, NotOf):
        inner = describe(node.not_, language, parameters, stage_facts, sentence=sentence)
        return gettext("not (%(condition)s)", language, condition=inner)
    children = node.all if isinstance(node, AllOf) else node.any
    joiner = _joiner("and" if isinstance(node, AllOf) else "or", language)
    return joiner.join(describe(c, language, parameters, stage_facts, sentence=sentence) for c in children)


def _said(spec: FactSpec, op: str, raw: object, language: Language) -> str | None:
    """A comparison as the fact's own clauses about the group, where it has them: "the group needs
    a lot of help to enroll"; a list of values joined by "or". None where the fact has no clause
    for every value it names (then the comparison is read by its label)."""
    values = list(raw) if isinstance(raw, list) else [raw]
    if op in ("ne", "not_in") and spec.kind == "bool" and len(values) == 1 and isinstance(values[0], bool):
        op, values = "eq", [not values[0]]
    if op not in ("eq", "in"):
        return None
    said = [spec.clause(v, language) for v in values]
    if not said or any(s is None for s in said):
        return None
    return _joiner("or", language).join(s for s in said if s is not None)


def _clause(spec: FactSpec, op: str, value: str, language: Language) -> str:
    """One comparison as a clause: "help needed to enroll is high", "the answer to “executives or
    VIP users” is yes"."""
    if spec.kind == "bool" and op == "eq":
        return gettext(_YES_NO, language, label=spec.label(language), value=value)
    return gettext(_SENTENCE_OPS[op], language, label=spec.label(language), value=value)


def reason_text(
    info: RuleInfo,
    language: Language,
    facts: Mapping[str, FactValue],
    parameters: Mapping[str, int],
) -> str:
    """The rule's own reason, with `{fact}` and `{parameter}` placeholders filled in (checked
    when the rulebook loaded: no format specifications, so filling in only joins strings)."""
    text: str = getattr(info.rule.reason, language)
    values = {
        name: show_value(facts[name], language) if name in facts else str(parameters[name])
        for name in names(text)
    }
    return fill(text, values)


def _key(
    kind: str,
    info: RuleInfo,
    language: Language,
    facts: Mapping[str, FactValue],
    cache: dict[tuple[object, ...], object],
    extra: object = None,
) -> tuple[object, ...]:
    """What an explanation depends on: the rule, the language, and the facts the rule names."""
    rule_id = info.rule.id
    named: tuple[str, ...] | None = cache.get(("named", rule_id))  # type: ignore[assignment]
    if named is None:
        named = _cached(cache, ("named", rule_id), lambda: _named(info))
    return (kind, rule_id, language, extra, tuple([facts[n] for n in named if n in facts]))


def _named(info: RuleInfo) -> tuple[str, ...]:
    named = [leaf.fact for leaf in leaves(info.rule.when)]
    for text in (info.rule.reason.en, info.rule.reason.sv):
        named += names(text)
    return tuple(dict.fromkeys(named))


_CACHE_LIMIT = 20_000
_VERSIONS_KEPT = 4  # rulebooks replaced by a reload stop being asked for; their caches go in turn
_by_version: dict[str, dict[tuple[object, ...], object]] = {}
_by_version_lock = threading.Lock()


def explanations_for(rulebook: Rulebook) -> dict[tuple[object, ...], object]:
    """The explanation cache of one rulebook version: an explanation is a pure function of a rule
    and the facts it names, so it holds for as long as the version runs."""
    with _by_version_lock:
        cache = _by_version.pop(rulebook.version, None)
        if cache is None:
            cache = {}
            while len(_by_version) >= _VERSIONS_KEPT:
                del _by_version[next(iter(_by_version))]  # the least recently asked for
        _by_version[rulebook.version] = cache
        return cache


def _cached(cache: dict[tuple[object, ...], object], key: tuple[object, ...], make: Any) -> Any:
    found = cache.get(key)
    if found is None:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        found = cache[key] = make()
    return found


def cached_reason(
    info: RuleInfo,
    language: Language,
    facts: Mapping[str, FactValue],
    parameters: Mapping[str, int],
    cache: dict[tuple[object, ...], object],
) -> Reason:
    """`reason`, remembered per rulebook version (a Reason is immutable)."""
    result: Reason = _cached(
        cache, _key("reason", info, language, facts, cache), lambda: reason(info, language, facts, parameters)
    )
    return result


def cached_why_not(
    info: RuleInfo,
    language: Language,
    facts: Mapping[str, FactValue],
    parameters: Mapping[str, int],
    winner: RuleInfo | None,
    cache: dict[tuple[object, ...], object],
) -> Reason:
    """`why_not`, remembered per rulebook version."""
    # The sentence quotes the winner's own reason: its facts are part of what it depends on.
    extra = (
        (winner.rule.id, winner.rule.priority, _key("reason", winner, language, facts, cache))
        if winner
        else None
    )
    result: Reason = _cached(
        cache,
        _key("why_not", info, language, facts, cache, extra),
        lambda: why_not(info, language, facts, parameters, winner),
    )
    return result


def reason(
    info: RuleInfo,
    language: Language,
    facts: Mapping[str, FactValue],
    parameters: Mapping[str, int],
) -> Reason:
    """Why a rule that fired decided what it did, with the facts it matched."""
    matched = matched_facts(info.rule.when, facts, parameters)
    return Reason(
        rule=info.id,
        text=reason_text(info, language, facts, parameters),
        source=localized_source(info.rule.source, language),
        facts={k: json_value(v) for k, v in matched.items()},
        provenance=info.rule.provenance,
    )


# Why a rule whose condition failed did not decide: what it asks for, and what this group has (one
# fact: its value; several: each named). "excluded": the rule is set aside when a condition holds.
_WHY_NOT: dict[str, str] = {
    "needs_one": N_("This rule applies only when %(condition)s; here it is %(actual)s."),
    "needs_set": N_("This rule applies only when %(condition)s; here they are %(actual)s."),
    "needs_many": N_("This rule applies only when %(condition)s; here %(actual)s."),
    "excluded_one": N_("This rule is set aside when %(condition)s, and here it is %(actual)s."),
    "excluded_many": N_("This rule is set aside when %(condition)s, as here: %(actual)s."),
    # The fact words its value as a clause about the group (the condition is worded the same way).
    "needs_said": N_("This rule applies only when %(condition)s, but %(actual)s."),
    "excluded_said": N_("This rule is set aside when %(condition)s, as here."),
}


def why_not(
    info: RuleInfo,
    language: Language,
    facts: Mapping[str, FactValue],
    parameters: Mapping[str, int],
    winner: RuleInfo | None,
) -> Reason:
    """Why a rule's conclusion lost, in a sentence a respondent reads: the condition that failed
    and what the group has instead, or the rule that outweighed it and why that one decided."""
    failure: Failure | None = first_failure(info.rule.when, facts, parameters)
    if failure is None and (winner is None or winner.rule.priority < info.rule.priority):
        # Held and outranked nothing: the planner passed it over (a method that does not fit these
        # devices, or that would reset devices the group keeps).
        text = gettext(
            "This rule applies, but its method was not used: it does not fit these devices, or it "
            "would reset devices the group keeps.",
            language,
        )
        shown = matched_facts(info.rule.when, facts, parameters)
    elif failure is None:
        assert winner is not None  # noqa: S101 - a rule that held lost only to a winner
        text = gettext(
            "This rule applies here too, but another rule that applies weighs more and decides "
            "instead: %(winner)s",
            language,
            winner=reason_text(winner, language, facts, parameters),
        )
        shown = matched_facts(info.rule.when, facts, parameters)
    else:
        specs = FACTS_BY_STAGE[info.stage]
        shown = {leaf.fact: facts[leaf.fact] for leaf in leaves(failure.node)}
        condition = describe(failure.node, language, parameters, info.stage, sentence=True)
        if len(shown) == 1:
            fact, value = next(iter(shown.items()))
            said = specs[fact].clause(value, language)
            actual = said if said is not None else show_value(value, language)
            key = "excluded_one" if failure.excluded else "needs_one"
            if specs[fact].kind == "set" and not failure.excluded:
                key = "needs_set"
            if said is not None:
                key = "excluded_said" if failure.excluded else "needs_said"
        else:
            actual = _joiner("and", language).join(
                specs[k].clause(v, language) or _clause(specs[k], "eq", show_value(v, language), language)
                for k, v in shown.items()
            )
            key = "excluded_many" if failure.excluded else "needs_many"
        text = gettext(_WHY_NOT[key], language, condition=condition, actual=actual)
    return Reason(
        rule=info.id,
        text=text,
        source=localized_source(info.rule.source, language),
        facts={k: json_value(v) for k, v in shown.items()},
        provenance=info.rule.provenance,
    )


__all__ = ["describe", "reason", "reason_text", "show_value", "why_not"]
