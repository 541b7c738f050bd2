"""The devices of a group by kind (platform and owner), the method each kind enrolls by, and what
follows from the methods: the load on the helpdesk and the prerequisites."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from advisor.evaluate.decisions import Decision, Facts
from advisor.model.facts import Group
from advisor.model.methods import ALWAYS, LOAD_PARAMETERS, METHODS, MethodSpec
from advisor.model.vocabulary import Owner, Platform
from advisor.planning.layout import divide

Kind = tuple[Platform, Owner]

# What the planner assumes for a kind of device when no rule decides (and says so): the method
# Microsoft's enrollment guide starts from for it.
FALLBACK_METHOD: dict[Kind, str] = {
    ("windows", "corporate"): "windows_autopilot_user_driven",
    ("windows", "personal"): "windows_app_protection",
    ("macos", "corporate"): "macos_ade",
    ("macos", "personal"): "macos_company_portal",
    ("ios", "corporate"): "ios_ade",
    ("ios", "personal"): "ios_app_protection",
    ("android", "corporate"): "android_fully_managed",
    ("android", "personal"): "android_app_protection",
}


# For corporate devices the group will not have reset: a fallback that resets nothing.
FALLBACK_KEPT: dict[Kind, str] = {
    ("windows", "corporate"): "windows_automatic_enrollment",
    ("macos", "corporate"): "macos_company_portal",
    ("ios", "corporate"): "ios_company_portal_device_enrollment",
    ("android", "corporate"): "android_personal_work_profile",
}


def owners(group: Group) -> tuple[Owner, ...]:
    """Whose devices the group has: a mixed group both."""
    if group.ownership == "mixed":
        return ("corporate", "personal")
    return (group.ownership,)


def device_split(group: Group, by_platform: Mapping[str, int], personal_percent: int) -> dict[Kind, int]:
    """The group's devices by platform and owner: each platform's devices divided by the personal
    share (a mixed group's), in whole numbers that add up."""
    split: dict[Kind, int] = {}
    for platform in group.platforms:
        devices = by_platform.get(platform, 0)
        if group.ownership == "mixed":
            corporate, personal = divide(devices, [100 - personal_percent, personal_percent])
            split[(platform, "corporate")], split[(platform, "personal")] = corporate, personal
        else:
            split[(platform, group.ownership)] = devices
    return split


@dataclass
class Chosen:
    """The method of one kind of a group's devices, and what it means for them."""

    group: int
    platform: Platform
    owner: Owner
    facts: Facts
    decision: Decision
    spec: MethodSpec
    devices: int
    shared: bool  # corporate devices the group uses as shared devices
    reset_required: bool
    reset_assumed: bool  # the reset follows from assuming the devices are in use
    prerequisites: list[str] = field(default_factory=list)
    reset_if_in_use: bool = False  # taken as new (not known), but a device in use would be reset

    @property
    def user_affinity(self) -> bool:
        return self.spec.affinity == "user" or (self.spec.affinity == "either" and not self.shared)


def resets(
    spec: MethodSpec, group: Group, owner: Owner, platform: str, assumed_in_use: Sequence[str]
) -> tuple[bool, bool]:
    """Whether enrolling this way resets the devices (they are in use, or assumed to be in use when
    the group does not say), and whether that rests on the assumption."""
    if owner != "corporate" or not spec.resets:
        return False, False
    state = group.corporate_devices
    if state in ("in_use_reset_ok", "in_use_keep"):
        return True, False
    assumed = state == "unknown" and platform in assumed_in_use
    return assumed, assumed


def prerequisites_of(spec: MethodSpec, owner: Owner, table: Mapping[str, Sequence[str]]) -> list[str]:
    """The prerequisite codes a method needs for this owner's devices (beside those of every
    rollout): the method's own, those of every device of this owner, those of the pair."""
    codes = [*table.get(spec.slug, ()), *table.get(owner, ()), *table.get(f"{spec.slug}@{owner}", ())]
    return list(dict.fromkeys(codes))


def always(table: Mapping[str, Sequence[str]]) -> list[str]:
    return list(table.get(ALWAYS, ()))


def who_enrolls(piece_devices: int, platforms: Sequence[str], chosen: Sequence[Chosen]) -> str:
    """Who enrolls a piece's devices: its users when some device needs a user's step (every method
    with user affinity, but automatic enrollment), else IT when some are shared, else nobody (they
    enroll by themselves). A piece with no devices is its users'."""
    kinds = [c for c in chosen if c.platform in platforms and c.devices > 0]
    if piece_devices <= 0 or not kinds:
        return "users"
    if any(c.user_affinity and c.spec.load != "automatic" for c in kinds):
        return "users"
    return "it_staff" if any(not c.user_affinity for c in kinds) else "nobody"


def load_of(
    piece_devices: int,
    platforms: Sequence[str],
    chosen: Sequence[Chosen],
    parameters: Mapping[str, int],
) -> int | None:
    """What a piece's devices weigh on the helpdesk (hundredths of a user-equivalent): its devices
    divided over the group's kinds of devices on its platforms, as the group's devices divide.
    None for a piece with no devices: its users count one each, as the capacity counts users."""
    kinds = [c for c in chosen if c.platform in platforms]
    if not kinds or piece_devices <= 0:
        return None
    counts = divide(piece_devices, [c.devices for c in kinds])
    return sum(n * parameters[LOAD_PARAMETERS[c.spec.load]] for n, c in zip(counts, kinds, strict=True))


def due(month: str, lead_days: int) -> str:
    """The day a prerequisite is due: `lead_days` before the first day of `month` (YYYY-MM)."""
    year, number = (int(p) for p in month.split("-"))
    try:
        return (date(year, number, 1) - timedelta(days=lead_days)).isoformat()
    except (ValueError, OverflowError):  # before year 1: the first day of the month itself
        return f"{year:04d}-{number:02d}-01"


__all__ = ["FALLBACK_METHOD", "METHODS", "Chosen", "device_split", "due", "load_of", "owners"]
