"""Groups from cells: one per department, split by site where it is large, executives apart; and a
group's answers for the assessment, computed from its cells."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from advisor.directory.proposal import Cell, ProposedGroup
from advisor.directory.settings import MAX_SITES, DirectorySettings
from advisor.directory.text import tidy
from advisor.model.facts import MAX_GROUPS, Group, site_key
from advisor.model.i18n import N_, gettext
from advisor.model.vocabulary import PLATFORMS, Language

EXECUTIVES = N_("Executives")
NO_SITE = N_("No site given")
OTHER_SITES = N_("Other sites")
OTHER_DEPARTMENTS = N_("Other departments")
EXECUTIVES_BY_TITLE = N_("Executives (by job title)")
_NOT_ID = re.compile(r"[^a-z0-9]+")


def slug(name: str) -> str:
    """An id from a name: `Försäljning – Umeå` -> `forsaljning-umea`."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return _NOT_ID.sub("-", ascii_text).strip("-")[:64].strip("-") or "group"


def unique_ids(names: Iterable[str], taken: Iterable[str] = ()) -> list[str]:
    """An id for each name, none used twice (nor among `taken`): `sales`, `sales-2`, ..."""
    used = set(taken)
    ids = []
    for name in names:
        base = slug(name)
        candidate, n = base, 1
        while candidate in used:
            n += 1
            suffix = f"-{n}"
            candidate = base[: 64 - len(suffix)].strip("-") + suffix
        used.add(candidate)
        ids.append(candidate)
    return ids


def part_name(group: str, site: str | None, language: Language) -> str:
    """The name of one site's part of a group split by site; the users with no site are a part of
    their own, named so (never the group's own name, which a re-import would take for the whole)."""
    return f"{group} – {gettext(NO_SITE, language) if site is None else site}"[:200].rstrip()


def department_key(name: str | None) -> str | None:
    """What makes two spellings of a department one (as the import counts them)."""
    return None if name is None else tidy(name).casefold() or None


def proposed_groups(
    cells: Sequence[Cell], settings: DirectorySettings, language: Language
) -> tuple[list[ProposedGroup], int, int]:
    """The groups, ordered by name (executives last); how many have more sites than a group may
    name (their smallest sites are put together when answers are made); and how many of the
    smallest departments were put together so that the groups stay within the assessment's limit."""
    by_department: dict[str, list[int]] = defaultdict(list)
    executives: list[int] = []
    for index, cell in enumerate(cells):
        (executives if cell.executive else by_department[cell.department]).append(index)
    # A department is split by site only when it is large; past the model's limit of sites, its
    # smallest sites are put together (see _locations), never a group per site for a small one.
    plans: list[tuple[str, list[int], int, bool]] = []  # department, cells, users, split
    # A department of executives only is a group once its executives go back (unconfirmed): it
    # counts as one here, with no cells of its own.
    for department in sorted({cells[i].department for i in executives} - set(by_department)):
        plans.append((department, [], 0, False))
    for department in sorted(by_department):
        members = by_department[department]
        users = sum(cells[i].users for i in members)
        sites = {cells[i].site for i in members if cells[i].site is not None}
        plans.append((department, members, users, len(sites) > 1 and users > settings.site_split_users))

    def parts(plan: tuple[str, list[int], int, bool]) -> int:
        return len({cells[i].site for i in plan[1]}) if plan[3] else 1

    total = sum(parts(p) for p in plans) + bool(executives)
    combined: list[tuple[str, list[int], int, bool]] = []
    if total > MAX_GROUPS:
        for plan in sorted(plans, key=lambda p: (p[2], p[0])):
            if combined and total + 1 <= MAX_GROUPS:  # with the group they are put together in
                break
            combined.append(plan)
            total -= parts(plan)
        gone = {plan[0] for plan in combined}  # (a set: a messy file may hold 100,000 departments)
        plans = [p for p in plans if p[0] not in gone]
    drafts: list[tuple[str, str | None, list[int], bool, bool]] = []
    for department, members, _, split in plans:
        if not members:
            continue
        it = settings.it_matcher.search(department) is not None
        if not split:
            drafts.append((department, department, members, it, False))
            continue
        by_site: dict[str | None, list[int]] = defaultdict(list)
        for i in members:
            by_site[cells[i].site].append(i)
        for site in sorted(by_site, key=lambda s: (s is not None, s or "")):
            drafts.append((part_name(department, site, language), department, by_site[site], it, False))
    together = sorted(plan[0] for plan in combined)
    if combined:
        members = sorted(i for plan in combined for i in plan[1])
        if members:
            drafts.append((gettext(OTHER_DEPARTMENTS, language), None, members, False, False))
    if executives:
        name = gettext(EXECUTIVES, language)
        if name.casefold() in {draft[0].casefold() for draft in drafts}:  # a department of that name
            name = gettext(EXECUTIVES_BY_TITLE, language)
        drafts.append((name, None, executives, False, True))
    ids = unique_ids(name for name, *_ in drafts)
    groups = [
        ProposedGroup(
            id=group_id,
            name=name,
            department=department,
            department_key=department_key(department),
            cells=members,
            it_department=it,
            executives=is_exec,
            sites=sorted({cells[i].site for i in members if cells[i].site is not None}),
            departments=together if department is None and not is_exec else [],
        )
        for group_id, (name, department, members, it, is_exec) in zip(ids, drafts, strict=True)
    ]
    return groups, sum(len(g.sites) > MAX_SITES for g in groups), len(combined)


def to_group_answers(
    proposed: ProposedGroup, cells: Sequence[Cell], *, has_devices: bool, language: Language = "en"
) -> dict[str, Any]:
    """The group's counted answers (users, devices, platforms, ownership, sites, IT, executives,
    department), checked against the assessment's Group; the discussion points are left to the
    respondent (the model's defaults)."""
    members = [cells[i] for i in proposed.cells]
    users = sum(c.users for c in members)
    answers: dict[str, Any] = {"id": proposed.id, "name": proposed.name}
    if proposed.department is not None and proposed.department != proposed.name:
        answers["department"] = proposed.department
    answers["users"] = users
    by_platform: Counter[str] = Counter()
    owners: Counter[str] = Counter()
    for cell in members:
        by_platform.update(cell.devices)
        owners.update(cell.ownership)
    platforms = [p for p in PLATFORMS if by_platform[p]]
    if has_devices:
        answers["devices"] = sum(by_platform.values())
    # A group without a device counted on a planned platform still needs one platform: Windows,
    # which the respondent sees and corrects (the preview marks counts the data did not give).
    answers["platforms"] = platforms or ["windows"]
    if has_devices and platforms:
        answers["devices_by_platform"] = {p: by_platform[p] for p in platforms}
    corporate, personal = owners["corporate"], owners["personal"]
    if personal and corporate:
        answers["ownership"] = "mixed"
        answers["personal_percent"] = round(personal * 100 / (personal + corporate))
    elif personal:
        answers["ownership"] = "personal"
    elif corporate:
        answers["ownership"] = "corporate"
    locations = _locations(members, language)
    if locations:
        answers["locations"] = list(locations)
        answers["users_by_location"] = locations
    answers["it_department"] = proposed.it_department
    answers["executives"] = proposed.executives
    answers.update(_held(proposed, members))
    Group.model_validate(answers)
    return answers


def _held(proposed: ProposedGroup, members: Sequence[Cell]) -> dict[str, Any]:
    """Which users of a users export are the group's, for measuring progress later: the
    departments it holds when its name or department does not say (merged groups; the smallest
    departments put together hold every department no other group holds), the job titles of
    executives confirmed (not department by department). Names of departments and titles only."""
    held: dict[str, Any] = {}
    if proposed.executives:
        titles = sorted({c.title for c in members if c.title is not None}, key=str.casefold)
        if titles:
            held["executive_titles"] = titles
        return held
    own = {c.department for c in members if not c.executive}
    put_together = set(proposed.departments)
    # Executives in the group though their department is not (a group of executives merged
    # with another): found by their titles.
    titles = sorted(
        {
            c.title
            for c in members
            if c.executive and c.title is not None and c.department not in own | put_together
        },
        key=str.casefold,
    )
    if not own:  # a department of executives only (see edits.fold_executives)
        own = {c.department for c in members}
        titles = []
    listed = sorted(own - put_together, key=str.casefold) if put_together else sorted(own, key=str.casefold)
    named = department_key(proposed.department or proposed.name)
    if put_together:
        held["other_departments"] = True
        if listed:
            held["departments"] = listed
    elif {department_key(d) for d in listed} != {named}:
        held["departments"] = listed
    if titles:
        held["executive_titles"] = titles
    return held


def _locations(members: Sequence[Cell], language: Language) -> dict[str, int]:
    """Users by site (none when no user has one); users without a site under "No site given"; past
    the model's limit, the smallest sites together under "Other sites"."""
    users: Counter[str] = Counter()
    names: dict[str, str] = {}
    for cell in members:
        name = cell.site if cell.site is not None else gettext(NO_SITE, language)
        key = site_key(name)
        names.setdefault(key, name)
        users[key] += cell.users
    if not any(c.site is not None for c in members):
        return {}
    ranked = sorted(users, key=lambda k: (-users[k], names[k]))
    if len(ranked) > MAX_SITES:
        other = gettext(OTHER_SITES, language)
        kept = {names[k]: users[k] for k in ranked if k != site_key(other)}
        kept = dict(list(kept.items())[: MAX_SITES - 1])
        kept[other] = sum(users.values()) - sum(kept.values())
        return kept
    return {names[k]: users[k] for k in ranked}
