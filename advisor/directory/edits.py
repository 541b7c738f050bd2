"""The respondent in charge: merge, split, rename and exclude proposed groups, confirm or reject the
executives; and a re-import that updates the counts of the groups already answered, nothing else."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

from advisor.directory.aggregate import tidy
from advisor.directory.groups import to_group_answers, unique_ids
from advisor.directory.proposal import Cell, Name, Proposal, ProposedGroup
from advisor.model.errors import InputError, Problem
from advisor.model.i18n import N_, gettext
from advisor.model.vocabulary import Language

GroupId = Annotated[str, Field(pattern=r"^[a-z0-9-]{1,64}$")]


class _Edit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Merge(_Edit):
    op: Literal["merge"] = "merge"
    groups: Annotated[list[GroupId], Field(min_length=2, max_length=1000)]
    name: Name


class Split(_Edit):
    """One group per site (users without a site stay under the group's own name)."""

    op: Literal["split"] = "split"
    group: GroupId


class Rename(_Edit):
    op: Literal["rename"] = "rename"
    group: GroupId
    name: Name


class Exclude(_Edit):
    """Left out of the assessment (contractors, say); its users are counted as excluded."""

    op: Literal["exclude"] = "exclude"
    group: GroupId


class Executives(_Edit):
    """Confirmed, the executives stay a group; rejected, they go back to their departments."""

    op: Literal["executives"] = "executives"
    group: GroupId
    confirmed: bool


Edit = Annotated[Union[Merge, Split, Rename, Exclude, Executives], Field(discriminator="op")]  # noqa: UP007

EDIT_MESSAGES: dict[str, str] = {
    "unknown_group": N_("there is no group %(group)s (it may have been merged, split or excluded already)"),
    "repeated_group": N_("the merge names group %(group)s twice"),
    "one_site": N_("group %(group)s has users at one site only: there is nothing to split"),
    "not_executives": N_("group %(group)s is not the group of executives"),
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


def _apply(
    groups: list[ProposedGroup], edit: Edit, index: int, cells: Sequence[Cell], language: Language
) -> list[ProposedGroup]:
    if isinstance(edit, Merge):
        if len(set(edit.groups)) != len(edit.groups):
            repeated = next(g for g in edit.groups if edit.groups.count(g) > 1)
            raise EditRefused("repeated_group", repeated, index)
        positions = [_find(groups, g, index) for g in edit.groups]
        merged = [groups[p] for p in positions]
        departments = {g.department for g in merged}
        first = min(positions)
        group = ProposedGroup(
            id=merged[0].id,
            name=edit.name,
            department=departments.pop() if len(departments) == 1 else None,
            cells=sorted(i for g in merged for i in g.cells),
            it_department=all(g.it_department for g in merged),
            executives=all(g.executives for g in merged),
            executives_confirmed=all(g.executives_confirmed for g in merged),
            sites=sorted({s for g in merged for s in g.sites}),
        )
        kept = [g for p, g in enumerate(groups) if p not in positions]
        kept.insert(sum(1 for p in range(first) if p not in positions), group)
        return kept
    position = _find(groups, edit.group, index)
    group = groups[position]
    if isinstance(edit, Rename):
        return [*groups[:position], group.model_copy(update={"name": edit.name}), *groups[position + 1 :]]
    if isinstance(edit, Exclude):
        return [*groups[:position], *groups[position + 1 :]]
    if isinstance(edit, Executives):
        if not group.executives:
            raise EditRefused("not_executives", group.id, index)
        if edit.confirmed:
            updated = group.model_copy(update={"executives_confirmed": True})
            return [*groups[:position], updated, *groups[position + 1 :]]
        return fold_executives([*groups[:position], *groups[position + 1 :]], group, cells)
    by_site: dict[str | None, list[int]] = defaultdict(list)
    for i in group.cells:
        by_site[cells[i].site].append(i)
    if len([s for s in by_site if s is not None]) < 2:
        raise EditRefused("one_site", group.id, index)
    sites = sorted(by_site, key=lambda s: (s is not None, s or ""))
    names = [group.name if s is None else f"{group.name} – {s}"[:200].rstrip() for s in sites]
    ids = unique_ids(names, taken=[g.id for g in groups if g.id != group.id])
    parts = [
        group.model_copy(update={"id": i, "name": n, "cells": by_site[s], "sites": [] if s is None else [s]})
        for i, n, s in zip(ids, names, sites, strict=True)
    ]
    return [*groups[:position], *parts, *groups[position + 1 :]]


def fold_executives(
    groups: list[ProposedGroup], executives: ProposedGroup, cells: Sequence[Cell]
) -> list[ProposedGroup]:
    """The executives' users back in their departments' groups: the group with their department at
    their site, else the department's first group, else a new group for the department."""
    groups = list(groups)
    for i in executives.cells:
        cell = cells[i]
        same = [p for p, g in enumerate(groups) if not g.executives and g.department == cell.department]
        here = [p for p in same if any(cells[j].site == cell.site for j in groups[p].cells)]
        target = here[0] if here else (same[0] if same else None)
        if target is None:
            (new_id,) = unique_ids([cell.department], taken=[g.id for g in groups])
            groups.append(
                ProposedGroup(id=new_id, name=cell.department, department=cell.department, cells=[i])
            )
            target = len(groups) - 1
        else:
            found = groups[target]
            groups[target] = found.model_copy(update={"cells": sorted([*found.cells, i])})
        sites = {*groups[target].sites, *([cell.site] if cell.site else [])}
        groups[target] = groups[target].model_copy(update={"sites": sorted(sites)})
    return groups


def assessment_groups(proposal: Proposal, groups: Sequence[ProposedGroup]) -> list[dict[str, Any]]:
    """The answers of the groups as they will be saved: executives not confirmed go back to their
    departments first (the group is never assumed)."""
    final = [g for g in groups if not (g.executives and not g.executives_confirmed)]
    for group in groups:
        if group.executives and not group.executives_confirmed:
            final = fold_executives(final, group, proposal.cells)
    return [
        to_group_answers(g, proposal.cells, has_devices=proposal.has_devices, language=proposal.language)
        for g in final
    ]


# A re-import changes the counted answers only; every other answer is the respondent's.
USER_COUNTED = ("users", "locations", "users_by_location")
DEVICE_COUNTED = ("devices", "platforms", "devices_by_platform", "ownership", "personal_percent")


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
    respondent's to give), groups no longer in the data (kept as they were)."""

    changed: list[FieldChange] = []
    added: list[str] = []
    not_in_data: list[str] = []


def _key(text: object) -> str:
    return tidy(text).casefold() if isinstance(text, str) else ""


def _match_key(group: Mapping[str, Any], how: str) -> str:
    """What matches two groups: their id as written; their name or department (else name) as
    compared without regard to case and spaces."""
    if how == "id":
        return str(group.get("id") or "")
    return _key(group.get(how) or group.get("name"))


def merge_answers(
    existing: Mapping[str, Any] | None, proposed: Sequence[Mapping[str, Any]], *, has_devices: bool
) -> tuple[list[dict[str, Any]], Changes]:
    """The groups of `existing` (an assessment's answers, or None) with the counts of `proposed`
    (group answers from the import): matched by id, then by name, then by department."""
    old_groups = [dict(g) for g in (existing or {}).get("groups", []) if isinstance(g, Mapping)]
    counted = USER_COUNTED + (DEVICE_COUNTED if has_devices else ())
    matched: dict[int, int] = {}  # proposed index -> existing index
    free = set(range(len(old_groups)))
    for how in ("id", "name", "department"):
        mine = [_match_key(g, how) for g in old_groups]
        theirs = [_match_key(g, how) for g in proposed]
        for p, want in enumerate(theirs):
            if p in matched or not want:
                continue
            found = [o for o in sorted(free) if mine[o] == want]
            # By department only one to one: a department now split by site (or merged) is not
            # any one of the groups it was; the old ones are kept and flagged, the new ones added.
            if len(found) == 1 and (how != "department" or theirs.count(want) == 1):
                matched[p] = found[0]
                free.discard(found[0])
    result = [copy.deepcopy(g) for g in old_groups]
    changes: list[FieldChange] = []
    for p, o in sorted(matched.items(), key=lambda kv: kv[1]):
        group, new = result[o], proposed[p]
        for field in counted:
            before, after = group.get(field), new.get(field)
            if before == after:
                continue
            changes.append(
                FieldChange(
                    group=str(group.get("id")),
                    name=str(group.get("name")),
                    field=field,
                    old=before,
                    new=after,
                )
            )
            if after is None:
                group.pop(field, None)
            else:
                group[field] = copy.deepcopy(after)
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
    return result, Changes(changed=changes, added=added, not_in_data=missing)
