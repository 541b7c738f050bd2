"""Differences between two sets of answers, between two plans (with what caused each change) and
between the parameters of two rulebooks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import PydanticUndefined

from advisor.model.facts import Group, Organisation
from advisor.model.i18n import gettext
from advisor.model.plan import Placement, Plan, Reason, Warning
from advisor.model.questionnaire import GROUP, ORGANISATION, asked
from advisor.model.vocabulary import Language
from advisor.planning.explain import show_value
from advisor.rulebook.loader import Rulebook

_LABELS = {("organisation", q.name): q for q in ORGANISATION} | {("group", q.name): q for q in GROUP}


@dataclass(frozen=True)
class AnswerChange:
    """One answer that differs: where, how people call it, and the two values."""

    path: str  # organisation.support_capacity, groups[hr].users, groups[hr] (added or removed)
    group: str | None
    field: str | None
    old: Any
    new: Any
    # Whether the question is asked of the group in either version: pages that list answers show
    # only those that apply, while the version still records every change.
    applies: bool = True
    name: str | None = None  # the group's name as people know it (the newer version's)

    def label(self, language: Language) -> str:
        if self.field is None:
            if self.old is None:
                return gettext("Group added", language)
            return gettext("Group removed", language)
        scope = "organisation" if self.group is None else "group"
        question = _LABELS.get((scope, self.field or ""))
        return question.title(language) if question else (self.field or self.path)

    def before(self, language: Language) -> str:
        """The old value as a person reads it ("–" when there was none)."""
        return self._shown(self.old, language)

    def after(self, language: Language) -> str:
        return self._shown(self.new, language)

    def _shown(self, value: Any, language: Language) -> str:
        if value is None:
            return "–"
        if self.field is None:  # a group added or removed: the group, by its name
            return str(value.get("name") or self.name or "–") if isinstance(value, Mapping) else "–"
        if isinstance(value, Mapping):  # a number per platform or per site
            return ", ".join(
                f"{show_value(key, language)}: {show_value(n, language)}" for key, n in value.items()
            )
        return show_value(value, language)


_UNORDERED = {"platforms", "requirements", "locations", "quiet_months", "avoid_months"}


# An answer a file leaves out, which means its default; written null it is null (a draft's choice
# not made yet), which is not the default: making the choice is a change.
_OMITTED = object()


def _meaning(model: type[Organisation] | type[Group], key: str, value: Any) -> Any:
    """An answer as it counts: an omitted answer is its default; sets ignore their order."""
    if value is _OMITTED and key in model.model_fields:
        default = model.model_fields[key].default
        value = None if default is PydanticUndefined else default
    if value is _OMITTED:
        return None
    if key in _UNORDERED and isinstance(value, list):
        return sorted(map(str, value))
    return value


def _differs(model: type[Organisation] | type[Group], key: str, old: Any, new: Any) -> bool:
    return bool(_meaning(model, key, old) != _meaning(model, key, new))


def answer_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[AnswerChange]:
    """Every answer whose meaning differs; groups are matched by id, so reordering changes nothing,
    and neither does writing out a default or listing platforms in another order."""
    changes: list[AnswerChange] = []
    old_org, new_org = old.get("organisation") or {}, new.get("organisation") or {}
    for key in _keys(old_org, new_org):
        if _differs(Organisation, key, old_org.get(key, _OMITTED), new_org.get(key, _OMITTED)):
            changes.append(AnswerChange(f"organisation.{key}", None, key, old_org.get(key), new_org.get(key)))
    old_groups, new_groups = _by_id(old), _by_id(new)
    for group_id in _keys(old_groups, new_groups):
        before, after = old_groups.get(group_id), new_groups.get(group_id)
        if before is None or after is None:
            only = before or after or {}
            changes.append(
                AnswerChange(f"groups[{group_id}]", group_id, None, before, after, name=_name(only, group_id))
            )
            continue
        for key in _keys(before, after):
            if key != "id" and _differs(Group, key, before.get(key, _OMITTED), after.get(key, _OMITTED)):
                question = _LABELS.get(("group", key))
                applies = question is None or asked(question, before) or asked(question, after)
                changes.append(
                    AnswerChange(
                        f"groups[{group_id}].{key}",
                        group_id,
                        key,
                        before.get(key),
                        after.get(key),
                        applies,
                        _name(after, group_id),
                    )
                )
    return changes


def _name(group: Mapping[str, Any], group_id: str) -> str:
    name = group.get("name")
    return name if isinstance(name, str) and name.strip() else group_id


def _by_id(answers: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    groups = answers.get("groups") or []
    return {str(g.get("id") or f"#{i}"): g for i, g in enumerate(groups) if isinstance(g, dict)}


def _keys(*mappings: Mapping[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    for mapping in mappings:
        seen.update(dict.fromkeys(mapping))
    return list(seen)


@dataclass(frozen=True)
class GroupChange:
    """How one group's part of the plan changed, and why."""

    group: str
    name: str
    old: tuple[Placement, ...]
    new: tuple[Placement, ...]
    # The reasons of rules that decide for the group now but did not before, and of those that
    # decided before but no longer do (each reason names its rule and says it in a sentence).
    reasons_now: tuple[Reason, ...] = ()
    reasons_before: tuple[Reason, ...] = ()
    answers: tuple[AnswerChange, ...] = field(default=())

    @property
    def approach_changed(self) -> bool:
        return [p.enrollment for p in self.old] != [p.enrollment for p in self.new]


@dataclass(frozen=True)
class PlanDiff:
    groups: tuple[GroupChange, ...]
    split_by: tuple[str, str] | None
    warnings_added: tuple[Warning, ...]  # as the newer plan words them, in the order of warning_key
    warnings_removed: tuple[Warning, ...]  # as the older plan words them
    organisation_answers: tuple[AnswerChange, ...]
    names: Mapping[str, str] = field(default_factory=dict)  # every group's name by id, in either plan

    @property
    def empty(self) -> bool:
        return not (self.groups or self.split_by or self.warnings_added or self.warnings_removed)


def warning_key(warning: Warning) -> str:
    """What makes a warning the same one in two plans: its code, and its group if it has one
    ("group-spread-over-months@retail"); for reports to admins, never for a person's page."""
    return f"{warning.code}@{warning.group}" if warning.group else warning.code


def plan_diff(old: Plan | None, new: Plan | None, answers: list[AnswerChange] | None = None) -> PlanDiff:
    """What changed between two plans, group by group; `answers` are the answer changes behind it."""
    answers = answers or []
    old_groups = {g.id: g for g in old.groups} if old else {}
    new_groups = {g.id: g for g in new.groups} if new else {}
    changes = []
    for group_id in _keys(old_groups, new_groups):
        before, after = old_groups.get(group_id), new_groups.get(group_id)
        old_placements = tuple(before.placements) if before else ()
        new_placements = tuple(after.placements) if after else ()
        old_reasons = list(before.reasons) if before else []
        new_reasons = list(after.reasons) if after else []
        old_rules = [r.rule for r in old_reasons]
        new_rules = [r.rule for r in new_reasons]
        if old_placements == new_placements and old_rules == new_rules:
            continue
        changes.append(
            GroupChange(
                group=group_id,
                name=next(g.name for g in (after, before) if g is not None),
                old=old_placements,
                new=new_placements,
                reasons_now=tuple(r for r in new_reasons if r.rule not in old_rules),
                reasons_before=tuple(r for r in old_reasons if r.rule not in new_rules),
                answers=tuple(a for a in answers if a.group == group_id),
            )
        )
    split = None
    if old and new and old.split_by.value != new.split_by.value:
        split = (old.split_by.value, new.split_by.value)
    added, removed = warnings_diff(old.warnings if old else [], new.warnings if new else [])
    return PlanDiff(
        groups=tuple(changes),
        split_by=split,
        warnings_added=added,
        warnings_removed=removed,
        organisation_answers=tuple(a for a in answers if a.group is None),
        names={g.id: g.name for plan in (old, new) if plan for g in plan.groups},
    )


def warnings_diff(
    old: Sequence[Warning], new: Sequence[Warning]
) -> tuple[tuple[Warning, ...], tuple[Warning, ...]]:
    """The warnings added (as `new` words them) and those gone (as `old` words them), each in the
    order of warning_key."""
    before = {warning_key(w): w for w in old}
    after = {warning_key(w): w for w in new}
    return (
        tuple(after[k] for k in sorted(after.keys() - before.keys())),
        tuple(before[k] for k in sorted(before.keys() - after.keys())),
    )


ParameterValue = int | tuple[str, ...] | Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class ParameterChange:
    """A parameter whose value differs between two rulebooks (None: not defined in one of them)."""

    name: str
    old: ParameterValue | None
    new: ParameterValue | None

    def __str__(self) -> str:
        return f"parameter {self.name}: {_shown(self.old)} -> {_shown(self.new)}"


def parameter_changes(old: Rulebook, new: Rulebook) -> list[ParameterChange]:
    """Every parameter, of any kind, whose value differs: a number, a list (its order counts: the
    platform order is an order) or a table (its keys' order does not count)."""
    names = _keys(dict.fromkeys(old.parameter_texts), dict.fromkeys(new.parameter_texts))
    changes = []
    for name in names:
        before = old.value(name) if old.kind(name) else None
        after = new.value(name) if new.kind(name) else None
        if _comparable(before) != _comparable(after):
            changes.append(ParameterChange(name, before, after))
    return changes


def _comparable(value: ParameterValue | None) -> object:
    return dict(value) if isinstance(value, Mapping) else value


def _shown(value: ParameterValue | None) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, tuple):
        return f"[{', '.join(value)}]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}: {_shown(items)}" for key, items in value.items()) + "}"
    return str(value)
