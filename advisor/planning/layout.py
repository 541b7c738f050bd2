"""Laying production out in phases: pieces of groups (a group, or its share on one platform or at
one site), kept together in units (a department, a site, a platform), months limited by capacity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from advisor.model.vocabulary import WAVES


def divide(total: int, weights: Sequence[int]) -> list[int]:
    """`total` divided in proportion to `weights`, in whole numbers that add up to `total` (largest
    remainders first, ties to the earlier). All-zero weights divide evenly."""
    if not weights:
        return []
    if sum(weights) <= 0:
        weights = [1] * len(weights)
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    left = total - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares


@dataclass(frozen=True)
class Piece:
    """What one group enrolls together: all of it, or its share on one platform or at one site."""

    group: int
    users: int
    devices: int
    platforms: tuple[str, ...]
    locations: tuple[str, ...]
    key: str  # the unit it belongs to: a department, a site or a platform ('' for no site)
    wave: str
    # What it weighs on the helpdesk, in hundredths of a user-equivalent (support capacity counts
    # users onboarded a month; each device counts by its enrollment method's weight). -1: one per
    # user, as when nothing says otherwise.
    load: int = -1

    @property
    def weight(self) -> int:
        return self.users * 100 if self.load < 0 else self.load


@dataclass
class Slot:
    """One production phase being filled: (piece index, users) entries, and their load (in
    hundredths of a user-equivalent)."""

    entries: list[tuple[int, int]] = field(default_factory=list)
    load: int = 0

    def add(self, piece: int, users: int, load: int) -> None:
        self.entries.append((piece, users))
        self.load += load


@dataclass(frozen=True)
class Unit:
    """Pieces that go together: one department, one site or one platform."""

    key: str
    members: tuple[int, ...]


def _rank(wave: str) -> int:
    return WAVES.index(wave) if wave in WAVES else 1


def units_for(
    split: str, pieces: Sequence[Piece], platform_order: Sequence[str], capacity: int | None
) -> list[list[Unit]]:
    """Bins of units: the units of one bin may share a phase, bins never do.

    - Department: departments stay whole and the bins are the waves, so several small departments
      of one wave share a phase.
    - Platform: one bin per platform, in the rulebook's order, so each phase enrolls one platform;
      inside it, ready groups first.
    - Geography: sites are units, ordered by their readiest piece, and small sites share a phase up
      to the capacity (with no capacity given, one site a phase); the pieces that go late (the
      guide's executives and high-risk groups) form a second bin, so they still go after the others.
    """
    # With a geography split the pieces that go late form units of their own (per site).
    by_key: dict[tuple[bool, str], list[int]] = {}
    for index, piece in enumerate(pieces):
        goes_late = split == "geography" and piece.wave == "late"
        by_key.setdefault((goes_late, piece.key), []).append(index)

    def rank(i: int) -> int:
        return _rank(pieces[i].wave)

    units = [
        Unit(key, tuple(sorted(members, key=lambda i: (rank(i), pieces[i].group))))
        for (_, key), members in by_key.items()
    ]
    late_units = {id(u) for u, (goes_late, _) in zip(units, by_key, strict=True) if goes_late}
    if split == "department":
        bins: dict[int, list[Unit]] = {}
        for unit in sorted(units, key=lambda u: (max(rank(i) for i in u.members), u.members[0])):
            bins.setdefault(max(rank(i) for i in unit.members), []).append(unit)
        return [bins[w] for w in sorted(bins)]
    if split == "platform":
        order = {p: n for n, p in enumerate(platform_order)}
        return [
            [Unit(f"{u.key}:{i}", (i,)) for i in u.members]
            for u in sorted(units, key=lambda u: order.get(u.key, len(order)))
        ]

    def first(unit: Unit) -> tuple[int, int]:
        return (min(rank(i) for i in unit.members), pieces[unit.members[0]].group)

    early = sorted((u for u in units if id(u) not in late_units), key=first)
    late = sorted((u for u in units if id(u) in late_units), key=first)
    if capacity is None:  # nothing says how many sites fit a month: one site at a time
        return [[u] for u in [*early, *late]]
    return [b for b in (early, late) if b]


class TooManyPhases(Exception):
    """Packing needs more phases than it was allowed; nothing past the allowance was built."""


def pack(
    bins: Sequence[Sequence[Unit]], pieces: Sequence[Piece], capacity: int | None, max_slots: int
) -> list[Slot]:
    """Fill phases bin by bin, each up to `capacity` user-equivalents of load: a unit that does not
    fit moves to a new phase; a piece heavier than a whole month is spread over consecutive phases,
    its users in proportion to its load.

    At most `max_slots` phases are built, else TooManyPhases: every pass of the loop below adds
    a phase or ends a piece or fills a phase, so the work is bounded by the pieces and the
    allowance, never by users ÷ capacity.
    """
    slots: list[Slot] = []
    most = (capacity or 0) * 100  # a month's load, in hundredths

    def new_slot() -> Slot:
        if len(slots) >= max_slots:
            raise TooManyPhases
        slots.append(Slot())
        return slots[-1]

    for units in bins:
        slot = new_slot()
        for unit in units:
            unit_load = sum(pieces[i].weight for i in unit.members)
            if capacity and slot.entries and slot.load + unit_load > most:
                slot = new_slot()
            for i in unit.members:
                remaining, load = pieces[i].users, pieces[i].weight
                while remaining:
                    room = most - slot.load
                    if capacity is None or load <= room:
                        take = remaining
                    elif load <= most and slot.entries:
                        slot = new_slot()  # a new month, rather than splitting a piece that fits one
                        continue
                    else:  # as many users as the month has room for (one, in a month of its own)
                        take = max(0, room) * remaining // load
                        if take == 0 and slot.entries:
                            slot = new_slot()
                            continue
                        take = max(take, 1)
                    cost = load if take == remaining else -(-take * load // remaining)
                    slot.add(i, take, cost)
                    remaining -= take
                    load -= cost
    return [slot for slot in slots if slot.entries]
