"""Counting: users into cells (department, site, executive), their devices joined by address.

No address is kept, not even for the join: each user's cell is filed under the hash of their
address (64 bits: two of 100,000 addresses collide about once in 10^9 imports), in a dict that is
dropped before the counts become the proposal. Everything kept is a count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from advisor.directory.columns import ColumnMapping
from advisor.directory.groups import proposed_groups
from advisor.directory.proposal import Cell, Owner, Proposal, Report, Unsupported, Variant
from advisor.directory.reading import DeviceRow, Readable, UserRow, read_devices, read_users
from advisor.directory.settings import DirectorySettings, version_tuple
from advisor.directory.text import tidy
from advisor.model.i18n import N_, gettext
from advisor.model.vocabulary import PLATFORMS, Language, Platform

UNASSIGNED = N_("Unassigned")
LEFT_OUT = -1  # the cell of a user left out (disabled, guest): their devices are counted apart
# Platforms Intune manages but the plan does not (counted in the report); every other OS string
# the exports write is mapped below or reported as unknown.
OTHER_PLATFORMS = {
    "linux": "Linux",
    "ubuntu": "Linux",
    "red hat": "Linux",
    "chromeos": "ChromeOS",
    "chrome os": "ChromeOS",
    "windows mobile": "Windows Mobile",
    "windows phone": "Windows Phone",
}
_PLATFORM_PREFIXES: tuple[tuple[str, Platform], ...] = (
    ("windows", "windows"),
    ("macos", "macos"),
    ("mac os", "macos"),
    ("macmdm", "macos"),
    ("os x", "macos"),
    ("osx", "macos"),
    ("ipados", "ios"),
    ("ios", "ios"),
    ("iphone", "ios"),
    ("ipad", "ios"),
    ("android", "android"),
    ("aosp", "android"),
)


def platform_of(os: str) -> Platform | str | None:
    """The planned platform of an OS string; the name of another platform Intune manages; None when
    the string is unknown."""
    word = os.strip().casefold()
    for prefix, name in OTHER_PLATFORMS.items():
        if word.startswith(prefix):
            return name
    for prefix, platform in _PLATFORM_PREFIXES:
        if word.startswith(prefix):
            return platform
    return "macos" if word == "mac" else None


@dataclass
class _Names:
    """Spellings of departments or sites, keyed by what makes two one (case, spaces)."""

    spellings: dict[str, Counter[str]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # raw -> key, computed once per spelling

    def key(self, raw: str) -> str:
        key = self.keys.get(raw)
        if key is None:
            key = tidy(raw).casefold()
            self.keys[raw] = key
        self.spellings.setdefault(key, Counter())[raw] += 1
        return key

    def name(self, key: str) -> str:
        """The most used spelling, tidied (ties: the first in sort order)."""
        counts = Counter[str]()
        for raw, n in self.spellings[key].items():
            counts[tidy(raw)] += n
        return min(counts, key=lambda s: (-counts[s], s))


@dataclass
class _Counts:
    users: int = 0
    devices: Counter[str] = field(default_factory=Counter)
    owners: Counter[str] = field(default_factory=Counter)


def propose(
    users: Readable | Iterable[UserRow],
    devices: Readable | Iterable[DeviceRow] | None = None,
    *,
    settings: DirectorySettings,
    mapping: ColumnMapping | None = None,
    language: Language = "en",
) -> Proposal:
    """Read both exports (streams, or rows already read) and propose groups; see the module."""
    user_rows = read_users(users, mapping) if isinstance(users, Readable) else users
    report = Counter[str]()
    departments, sites = _Names(), _Names()
    unassigned = tidy(gettext(UNASSIGNED, language)).casefold()
    titles: dict[str, str] = {}  # job title as written -> tidied if an executive's, else ""
    executive_titles = Counter[str]()
    # (department, site, the executive's job title or None): per title, so that the respondent
    # confirms executives title by title.
    cells: dict[tuple[str, str | None, str | None], int] = {}
    counts: list[_Counts] = []
    where: dict[int, int] = {}  # hash of the address -> cell (LEFT_OUT): the join, in memory only
    executive = settings.executive_matcher.search
    for row in user_rows:
        report["users_read"] += 1
        if not row.upn:
            report["without_upn"] += 1
            continue
        address = hash(row.upn)
        if address in where:
            report["duplicates"] += 1
            continue
        if not row.enabled or row.guest:
            report["disabled" if not row.enabled else "guests"] += 1
            where[address] = LEFT_OUT
            continue
        if row.department is None or not tidy(row.department):
            report["unassigned"] += 1
            department = unassigned
        else:
            department = departments.key(row.department)
        site = sites.key(row.site) if row.site and tidy(row.site) else None
        title: str | None = None
        if row.job_title is not None:
            known = titles.get(row.job_title)
            if known is None:
                matched = executive(row.job_title) is not None and tidy(row.job_title)
                known = titles[row.job_title] = matched or ""
            if known:
                title = known
                executive_titles[title] += 1
        key = (department, site, title)
        index = cells.get(key)
        if index is None:
            index = cells[key] = len(counts)
            counts.append(_Counts())
        counts[index].users += 1
        where[address] = index
    unsupported = Counter[tuple[Platform, str, str]]()
    other = Counter[str]()
    unknown = Counter[str]()
    has_devices = devices is not None
    joined = 0  # devices whose user is in the users file
    if devices is not None:
        device_rows = read_devices(devices, mapping) if isinstance(devices, Readable) else devices
        platforms: dict[str, Platform | str | None] = {}
        minimum = settings.minimum_versions
        for device in device_rows:
            report["devices_read"] += 1
            if device.upn is None:
                report["devices_without_user"] += 1
                continue
            index = where.get(hash(device.upn))
            if index is None:
                report["devices_of_unknown_users"] += 1
                continue
            joined += 1
            if index == LEFT_OUT:
                report["devices_of_left_out_users"] += 1
                continue
            if device.os not in platforms:
                platforms[device.os] = platform_of(device.os)
            platform = platforms[device.os]
            if platform is None:
                unknown[tidy(device.os)[:64]] += 1
                continue
            if platform not in PLATFORMS:
                other[platform] += 1
                continue
            counted = counts[index]
            counted.devices[platform] += 1
            counted.owners[device.ownership] += 1
            floor = minimum.get(platform)
            if floor is not None:
                version = version_tuple(device.os_version)
                if version and version[: len(floor)] < floor:
                    label = ".".join(str(p) for p in version[: len(floor)])
                    unsupported[(platform, label, ".".join(map(str, floor)))] += 1
    del where  # the join goes here, before anything is built from the counts
    # Not one device found its user: the devices file's user column holds something else (email
    # addresses that are not the UPNs, say). Every group would say "0 devices": say so instead, and
    # leave the device answers to the respondent.
    not_joined = has_devices and joined == 0 and report["devices_of_unknown_users"] > 0
    has_devices = has_devices and not not_joined

    department_names = {key: departments.name(key) for key in departments.spellings}
    department_names[unassigned] = department_names.get(unassigned) or gettext(UNASSIGNED, language)
    cell_list = [
        Cell(
            department=department_names[dept],
            site=None if site is None else sites.name(site),
            executive=title is not None,
            title=title,
            users=counts[i].users,
            devices={p: counts[i].devices[p] for p in PLATFORMS if counts[i].devices[p]},
            ownership={o: counts[i].owners[o] for o in _OWNERS if counts[i].owners[o]},
        )
        for (dept, site, title), i in cells.items()
    ]
    variants = [
        Variant(department=department_names[key], spellings=dict(spelled.most_common(50)))
        for key, spelled in sorted(departments.spellings.items(), key=lambda kv: department_names[kv[0]])
        if len(+spelled) > 1
    ]
    result = Report(
        **{k: report[k] for k in _REPORT_COUNTS},
        department_variants=variants,
        executive_titles=capped(executive_titles, 200),
        other_platforms=dict(other.most_common()),
        unknown_os=capped(unknown, 200),
        unsupported=[
            Unsupported(platform=p, version=v, minimum=m, devices=n)
            for (p, v, m), n in sorted(unsupported.items())
        ],
    )
    groups, many_sites, combined = proposed_groups(cell_list, settings, language)
    result = result.model_copy(
        update={
            "sites_capped": many_sites,
            "devices_not_joined": not_joined,
            "departments_combined": combined,
        }
    )
    return Proposal(language=language, has_devices=has_devices, cells=cell_list, groups=groups, report=result)


def capped(counts: Counter[str], most: int) -> dict[str, int]:
    """The `most` - 1 commonest, and the rest under "…" (so the counts still add up)."""
    if len(counts) <= most:
        return dict(counts.most_common())
    kept = dict(counts.most_common(most - 1))
    kept["…"] = sum(counts.values()) - sum(kept.values())
    return kept


_OWNERS: tuple[Owner, ...] = ("corporate", "personal", "unknown")
_REPORT_COUNTS = (
    "users_read",
    "disabled",
    "guests",
    "without_upn",
    "duplicates",
    "unassigned",
    "devices_read",
    "devices_without_user",
    "devices_of_unknown_users",
    "devices_of_left_out_users",
)
