"""The respondent in charge: merge, split, rename and exclude proposed groups, confirm or reject the
executives; and a re-import that updates the counts of the groups already answered, nothing else."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from advisor.directory.groups import department_key, part_name, to_group_answers, unique_ids
from advisor.directory.proposal import Cell, Name, Proposal, ProposedGroup
from advisor.directory.text import tidy
from advisor.model.errors import InputError, Problem
from advisor.model.facts import FreeText, Group
from advisor.model.i18n import N_, gettext
from advisor.model.vocabulary import Language

GroupId = Annotated[str, Field(pattern=r"^[a-z0-9-]{1,64}$")]


class _Edit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Merge(_Edit):
    op: Literal["merge"] = "merge"
    groups: Annotated[list[GroupId], Field(min_length=2, max_length=1000)]
    name: FreeText  # checked as the assessment checks a group's name: not blank, no control character


class Split(_Edit):
    """One group per site (users without a site in a part of their own, "… – No site given")."""

    op: Literal["split"] = "split"
    group: GroupId


class Rename(_Edit):
    op: Literal["rename"] = "rename"
    group: GroupId
    name: FreeText


class Exclude(_Edit):
    """Left out of the assessment (contractors, say); its users are counted as excluded."""

    op: Literal["exclude"] = "exclude"
    group: GroupId


class Executives(_Edit):
    """Confirmed, the executives stay a group; rejected, they go back to their departments."""

    op: Literal["executives"] = "executives"
    group: GroupId
    confirmed: bool


class ConfirmExecutives(_Edit):
    """The executives confirmed job title by job title (the titles as the report lists them): the
    users with these titles stay the group of executives, confirmed; the others go back to their
    departments. No title: as rejected."""

    op: Literal["confirm_executives"] = "confirm_executives"
    group: GroupId
    titles: Annotated[list[Name], Field(max_length=200)]


Edit = Annotated[
    Union[Merge, Split, Rename, Exclude, Executives, ConfirmExecutives],  # noqa: UP007
    Field(discriminator="op"),
]

EDIT_MESSAGES: dict[str, str] = {
    "unknown_group": N_("there is no group %(group)s (it may have been merged, split or excluded already)"),
    "repeated_group": N_("the merge names group %(group)s twice"),
    "one_site": N_("group %(group)s has users at one site only: there is nothing to split"),
    "not_executives": N_("group %(group)s is not the group of executives"),
    "unknown_title": N_("no one in group %(group)s has one of the job titles given"),
    "name_taken": N_("another group is already called what group %(group)s would be called"),
}


class EditRefused(InputError):
    """An edit that cannot be made; `code` says why, `group` which group; nothing is changed."""

    def __init__(self, code: str, group: str, index: int) -> None:
        self.code, self.group, self.index = code, group, index
        super().__init__("edits", [Problem(f"edits[{index}]", self.say("en"))])

    def format_message(self) -> str:
        return f"edits[{self.index}]: {self.say('en')}"

    def say(self, language: Language) -> str:
        return gettext(EDIT_MESSAGES[self.code], language, group=self.group)


def apply_edits(
    proposal: Proposal, edits: Sequence[Edit], language: Language | None = None
) -> list[ProposedGroup]:
    """The proposal's groups after the edits, in order; EditRefused for the first impossible one."""
    language = language or proposal.language
    groups = list(proposal.groups)
    for index, edit in enumerate(edits):
        groups = _apply(groups, edit, index, proposal.cells, language)
    return groups


def _find(groups: list[ProposedGroup], group: str, index: int) -> int:
    for position, candidate in enumerate(groups):
        if candidate.id == group:
            return position
    raise EditRefused("unknown_group", group, index)


def _name_free(
    groups: Sequence[ProposedGroup], name: str, leaving: Sequence[str], group: str, index: int
) -> None:
    """EditRefused if a group other than those in `leaving` is already called `name` (case and
    spaces not counting): two groups of one name cannot be told apart in the plan."""
    key = tidy(name).casefold()
    if any(g.id not in leaving and tidy(g.name).casefold() == key for g in groups):
        raise EditRefused("name_taken", group, index)


def _apply(
    groups: list[ProposedGroup], edit: Edit, index: int, cells: Sequence[Cell], language: Language
) -> list[ProposedGroup]:
    if isinstance(edit, Merge):
        if len(set(edit.groups)) != len(edit.groups):
            repeated = next(g for g in edit.groups if edit.groups.count(g) > 1)
            raise EditRefused("repeated_group", repeated, index)
        positions = [_find(groups, g, index) for g in edit.groups]
        _name_free(groups, edit.name, edit.groups, edit.groups[0], index)
        merged = [groups[p] for p in positions]
        departments = {g.department for g in merged}
        first = min(positions)
        department = departments.pop() if len(departments) == 1 else None
        group = ProposedGroup(
            id=merged[0].id,
            name=edit.name,
            department=department,
            department_key=department_key(department),
            cells=sorted(i for g in merged for i in g.cells),
            it_department=all(g.it_department for g in merged),
            executives=all(g.executives for g in merged),
            executives_confirmed=all(g.executives_confirmed for g in merged),
            sites=sorted({s for g in merged for s in g.sites}),
            departments=sorted({d for g in merged for d in g.departments}),
        )
        kept = [g for p, g in enumerate(groups) if p not in positions]
        kept.insert(sum(1 for p in range(first) if p not in positions), group)
        return kept
    position = _find(groups, edit.group, index)
    group = groups[position]
    if isinstance(edit, Rename):
        _name_free(groups, edit.name, [group.id], group.id, index)
        return [*groups[:position], group.model_copy(update={"name": edit.name}), *groups[position + 1 :]]
    if isinstance(edit, Exclude):
        return [*groups[:position], *groups[position + 1 :]]
    if isinstance(edit, Executives | ConfirmExecutives):
        if not group.executives:
            raise EditRefused("not_executives", group.id, index)
        others = [*groups[:position], *groups[position + 1 :]]
        if isinstance(edit, Executives):
            if edit.confirmed:
                updated = group.model_copy(update={"executives_confirmed": True})
                return [*groups[:position], updated, *groups[position + 1 :]]
            return fold_executives(others, group, cells, language)
        titles = {tidy(t).casefold() for t in edit.titles}
        chosen = [i for i in group.cells if (cells[i].title or "").casefold() in titles]
        held = {(cells[i].title or "").casefold() for i in group.cells}
        if not titles <= held:
            raise EditRefused("unknown_title", group.id, index)
        back = group.model_copy(update={"cells": [i for i in group.cells if i not in chosen]})
        if chosen:
            at = sorted({s for i in chosen if (s := cells[i].site) is not None})
            confirmed = group.model_copy(update={"cells": chosen, "executives_confirmed": True, "sites": at})
            others = [*groups[:position], confirmed, *groups[position + 1 :]]
        return fold_executives(others, back, cells, language) if back.cells else others
    by_site: dict[str | None, list[int]] = defaultdict(list)
    for i in group.cells:
        by_site[cells[i].site].append(i)
    if len([s for s in by_site if s is not None]) < 2:
        raise EditRefused("one_site", group.id, index)
    sites = sorted(by_site, key=lambda s: (s is not None, s or ""))
    names = [part_name(group.name, s, language) for s in sites]
    ids = unique_ids(names, taken=[g.id for g in groups if g.id != group.id])
    parts = [
        group.model_copy(update={"id": i, "name": n, "cells": by_site[s], "sites": [] if s is None else [s]})
        for i, n, s in zip(ids, names, sites, strict=True)
    ]
    return [*groups[:position], *parts, *groups[position + 1 :]]


def fold_executives(
    groups: list[ProposedGroup], executives: ProposedGroup, cells: Sequence[Cell], language: Language = "en"
) -> list[ProposedGroup]:
    """The executives' users back where their department's users are: the group that holds their
    department's users at their site, else the department's first group. Where the respondent
    excluded those users, the executives are left out with them; a department of executives only
    becomes a group of its own."""
    groups = list(groups)
    home: dict[tuple[str, str | None], int] = {}  # (department, site) -> its users' cell
    department_cells: dict[str, list[int]] = defaultdict(list)
    for i, cell in enumerate(cells):
        if not cell.executive:
            home[(cell.department, cell.site)] = i
            department_cells[cell.department].append(i)
    owner = {i: p for p, g in enumerate(groups) if not g.executives for i in g.cells}
    for i in executives.cells:
        cell = cells[i]
        at_site = home.get((cell.department, cell.site))
        candidates = [at_site] if at_site is not None else department_cells.get(cell.department, [])
        targets = [owner[c] for c in candidates if c in owner]
        if candidates and not targets:
            continue  # their department's users here were excluded: so are they
        if not candidates:  # a department of executives only: put together with others?
            targets = [p for p, g in enumerate(groups) if cell.department in g.departments]
        target = min(targets) if targets else None
        if target is None:
            (new_id,) = unique_ids([cell.department], taken=[g.id for g in groups])
            groups.append(
                ProposedGroup(
                    id=new_id,
                    name=cell.department,
                    department=cell.department,
                    department_key=department_key(cell.department),
                    cells=[i],
                )
            )
            target = len(groups) - 1
            department_cells[cell.department].append(i)
            owner[i] = target
        else:
            found = groups[target]
            groups[target] = found.model_copy(update={"cells": sorted([*found.cells, i])})
        sites = {*groups[target].sites, *([cell.site] if cell.site else [])}
        groups[target] = groups[target].model_copy(update={"sites": sorted(sites)})
    return groups


def final_groups(proposal: Proposal, groups: Sequence[ProposedGroup]) -> list[ProposedGroup]:
    """The groups as they will be saved: executives not confirmed back in their departments (the
    group is never assumed), or left out where their department's users were excluded."""
    final = [g for g in groups if not (g.executives and not g.executives_confirmed)]
    for group in groups:
        if group.executives and not group.executives_confirmed:
            final = fold_executives(final, group, proposal.cells, proposal.language)
    return final


def assessment_groups(proposal: Proposal, groups: Sequence[ProposedGroup]) -> list[dict[str, Any]]:
    """The answers of the groups as they will be saved (see final_groups)."""
    return [
        to_group_answers(g, proposal.cells, has_devices=proposal.has_devices, language=proposal.language)
        for g in final_groups(proposal, groups)
    ]


# A re-import changes the counted answers only; every other answer is the respondent's. Fields
# that hang together change together, and only when the import counted them: an import that did
# not (no sites, no ownership, no device on a planned platform) leaves the respondent's answer.
USER_COUNTED = ("users", "locations", "users_by_location")
DEVICE_COUNTED = ("devices", "platforms", "devices_by_platform", "ownership", "personal_percent")
# Which users of a users export are the group's (see groups._held): the import's to say, as the
# users are, and only what it says now is right; not shown as changes (no answer of the respondent).
HELD = ("departments", "other_departments", "executive_titles")
_TOGETHER: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("users", ("users",)),  # (the field that says the import counted them, the fields)
    ("locations", ("locations", "users_by_location")),
)
_DEVICES_TOGETHER: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("devices", ("devices",)),
    ("devices_by_platform", ("platforms", "devices_by_platform")),
    ("ownership", ("ownership", "personal_percent")),
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldChange(_Frozen):
    group: str  # the group's id
    name: str
    field: str
    old: Any
    new: Any


class Changes(_Frozen):
    """What a re-import changed: counted answers, groups added (their other answers still the
    respondent's to give), groups no longer in the data (kept as they were), and groups whose new
    counts did not fit their other answers (kept as they were, for the respondent to correct)."""

    changed: list[FieldChange] = []
    added: list[str] = []
    not_in_data: list[str] = []
    conflicts: list[str] = []


def _key(text: object) -> str:
    return tidy(text).casefold() if isinstance(text, str) else ""


def _department(group: Mapping[str, Any]) -> str:
    return _key(group.get("department") or group.get("name"))


def _matches(old: Mapping[str, Any], new: Mapping[str, Any], how: str, split: bool) -> bool:
    """Whether `new` (from the import) is `old` (answered), matched `how`. An id is made from a name
    and the order, so two departments can share one ("Förvaltning", "Forvaltning"): it matches only
    with the name or the department. A part of a department now split by site is matched by its
    name, or by its id if the group answered was itself a part of that department (renamed since):
    never by the department, nor by the id the whole department had."""
    if split and how == "department":
        return False
    if split and how == "id":  # a part renamed since, not the whole department that had the id
        return (
            old.get("id") == new.get("id")
            and _department(old) == _department(new)
            and _key(old.get("name")) != _department(old)
        )
    if how == "id":
        return (
            bool(new.get("id"))
            and old.get("id") == new.get("id")
            and (_key(old.get("name")) == _key(new.get("name")) or _department(old) == _department(new))
        )
    if how == "name":
        return bool(_key(new.get("name"))) and _key(old.get("name")) == _key(new.get("name"))
    return bool(_department(new)) and _department(old) == _department(new)


def merge_answers(
    existing: Mapping[str, Any] | None, proposed: Sequence[Mapping[str, Any]], *, has_devices: bool
) -> tuple[list[dict[str, Any]], Changes]:
    """The groups of `existing` (an assessment's answers, or None) with the counts of `proposed`
    (group answers from the import): matched by id, then by name, then by department (see
    _matches). Each merged group is checked as the assessment checks it."""
    old_groups = [dict(g) for g in (existing or {}).get("groups", []) if isinstance(g, Mapping)]
    together = _TOGETHER + (_DEVICES_TOGETHER if has_devices else ())
    departments = [_department(g) for g in proposed]
    split = [departments.count(d) > 1 for d in departments]
    matched: dict[int, int] = {}  # proposed index -> existing index
    free = set(range(len(old_groups)))
    for how in ("id", "name", "department"):
        for p, new in enumerate(proposed):
            if p in matched:
                continue
            found = [o for o in sorted(free) if _matches(old_groups[o], new, how, split[p])]
            # One to one: a department now merged is not any one of the groups it was.
            if len(found) == 1:
                matched[p] = found[0]
                free.discard(found[0])
    result = [copy.deepcopy(g) for g in old_groups]
    changes: list[FieldChange] = []
    conflicts: list[str] = []
    for p, o in sorted(matched.items(), key=lambda kv: kv[1]):
        before = result[o]
        group, changed = _counted(before, proposed[p], together)
        # The counts must not make the group wrong where it was right (an answer still missing in
        # a draft is not the import's doing): else it is kept as it was, for the respondent.
        if not _problems(group) <= _problems(before):
            conflicts.append(str(before.get("id")))
            continue
        result[o] = group
        changes.extend(changed)
    added = []
    taken = [str(g.get("id")) for g in result]
    for p, new in enumerate(proposed):
        if p in matched:
            continue
        group = copy.deepcopy(dict(new))
        (group["id"],) = (
            unique_ids([str(new.get("name", "group"))], taken=taken)
            if new.get("id") in taken
            else (new["id"],)
        )
        taken.append(group["id"])
        result.append(group)
        added.append(group["id"])
    missing = [str(old_groups[o].get("id")) for o in sorted(free)]
    return result, Changes(changed=changes, added=added, not_in_data=missing, conflicts=conflicts)


def _problems(group: Mapping[str, Any]) -> set[tuple[str, str]]:
    """What the assessment's Group says is wrong with the answers (where, what kind)."""
    try:
        Group.model_validate(group)
    except ValidationError as exc:
        return {(".".join(map(str, e["loc"])), e["type"]) for e in exc.errors()}
    return set()


def _total(counts: object) -> int | None:
    """The sum of a division (by site, by platform), None if it is not one of whole numbers."""
    if not isinstance(counts, Mapping) or not all(type(n) is int for n in counts.values()):
        return None
    return sum(counts.values())


def _counted(
    old: Mapping[str, Any], new: Mapping[str, Any], together: Sequence[tuple[str, Sequence[str]]]
) -> tuple[dict[str, Any], list[FieldChange]]:
    """`old` with the counts of `new` the import made, and the divisions that no longer add up
    reconciled: a division of the devices that stood for the users' count keeps that count as
    the devices; a division of users by site the import did not count is dropped."""
    group = copy.deepcopy(dict(old))
    for counted, fields in (*together, ("users", HELD)):
        if new.get(counted) is None:
            continue
        for field in fields:
            if new.get(field) is None:
                group.pop(field, None)
            else:
                group[field] = copy.deepcopy(new[field])
    by_site = _total(group.get("users_by_location"))
    if by_site is not None and by_site != group.get("users"):
        group.pop("users_by_location")
    by_platform = _total(group.get("devices_by_platform"))
    if by_platform is not None and by_platform != group.get("devices", group.get("users")):
        if group.get("devices") is None and group["devices_by_platform"] == old.get("devices_by_platform"):
            group["devices"] = by_platform  # the devices the respondent divided
        else:
            group.pop("devices_by_platform")
    fields = [f for _, fs in _TOGETHER + _DEVICES_TOGETHER for f in fs]
    changed = [
        FieldChange(
            group=str(old.get("id")), name=str(old.get("name")), field=f, old=old.get(f), new=group.get(f)
        )
        for f in fields
        if old.get(f) != group.get(f)
    ]
    return group, changed
