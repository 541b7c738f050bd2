"""Laying production groups out in phases: units kept together, months limited by capacity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from advisor.model.facts import Group
from advisor.model.vocabulary import WAVES

# The guide's example of a platform split starts with iOS, then Android, then Windows.
PLATFORM_ORDER = ("ios", "android", "windows", "macos")


@dataclass
class Slot:
    """One production phase being filled: (group index, users) entries."""

    entries: list[tuple[int, int]] = field(default_factory=list)
    users: int = 0

    def add(self, group: int, users: int) -> None:
        self.entries.append((group, users))
        self.users += users


@dataclass(frozen=True)
class Unit:
    """Groups that go together: one department, one site or one platform."""

    key: str
    members: tuple[int, ...]


def units_for(
    split: str, groups: Sequence[Group], indices: Sequence[int], waves: Sequence[str]
) -> list[list[Unit]]:
    """Bins of units: the units of one bin may share a phase, bins never do.

    By department, departments stay whole and the bins are the waves, so several small
    departments of one wave share a phase. By geography or platform, each site or platform is
    a bin of its own (one place, or one platform, per phase), ordered by its readiest group.
    """

    def rank(i: int) -> int:
        return WAVES.index(waves[i])

    def key(i: int) -> str:
        group = groups[i]
        if split == "department":
            return group.department_name.strip().casefold()
        if split == "geography":
            return group.locations[0].strip().casefold() if group.locations else ""
        return group.platforms[0]

    by_key: dict[str, list[int]] = {}
    for i in indices:
        by_key.setdefault(key(i), []).append(i)
    units = [Unit(k, tuple(sorted(members, key=lambda i: (rank(i), i)))) for k, members in by_key.items()]
    if split == "department":
        bins: dict[int, list[Unit]] = {}
        for unit in sorted(units, key=lambda u: (max(rank(i) for i in u.members), u.members[0])):
            bins.setdefault(max(rank(i) for i in unit.members), []).append(unit)
        return [bins[w] for w in sorted(bins)]

    def order(unit: Unit) -> tuple[int, int, int]:
        platform = PLATFORM_ORDER.index(unit.key) if split == "platform" else 0
        return (min(rank(i) for i in unit.members), platform, unit.members[0])

    return [[unit] for unit in sorted(units, key=order)]


class TooManyPhases(Exception):
    """Packing needs more phases than it was allowed; nothing past the allowance was built."""


def pack(
    bins: Sequence[Sequence[Unit]], groups: Sequence[Group], capacity: int | None, max_slots: int
) -> list[Slot]:
    """Fill phases bin by bin: a unit that does not fit moves to a new phase; a group larger than
    a whole month is spread over consecutive phases.

    At most `max_slots` phases are built, else TooManyPhases: every pass of the loop below adds
    a phase or ends a group or fills a phase, so the work is bounded by the groups and the
    allowance, never by users ÷ capacity.
    """
    slots: list[Slot] = []

    def new_slot() -> Slot:
        if len(slots) >= max_slots:
            raise TooManyPhases
        slots.append(Slot())
        return slots[-1]

    for units in bins:
        slot = new_slot()
        for unit in units:
            unit_users = sum(groups[i].users for i in unit.members)
            if capacity and slot.entries and slot.users + unit_users > capacity:
                slot = new_slot()
            for i in unit.members:
                remaining = groups[i].users
                while remaining:
                    room = remaining if capacity is None else capacity - slot.users
                    if room <= 0 or (remaining > room and remaining <= (capacity or 0) and slot.entries):
                        slot = new_slot()  # a new month, rather than splitting a group that fits one
                        continue
                    take = min(remaining, room)
                    slot.add(i, take)
                    remaining -= take
    return [slot for slot in slots if slot.entries]
