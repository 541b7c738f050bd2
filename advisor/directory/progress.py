"""The plan against what actually enrolled: an Intune device export measured per group and phase.

The device export names no department, and no map from a person to a group is kept, so both
exports are read together: each user's department and site (the users export) place them in one
of the assessment's groups, and each device follows its primary user there. Only counts leave
this module: no UPN, name or device name is in a `Progress`.

A device counts as enrolled when Intune manages it (the export's "Managed by", or the Graph
`managementAgent`, names Intune or MDM, alone or co-managed, as the reader decides:
https://learn.microsoft.com/graph/api/resources/intune-devices-managementagenttype) and it
checked in within the rulebook's `directory_active_days` before the end of the day measured
(`reading.is_enrolled`).
A group's enrolled devices fill its placements in the order of the phases, each placement taking
the devices of its platforms and sites up to what it plans (a group the planner split over a
pilot and a later phase enrolls its pilot first); what exceeds every placement is counted apart
(over plan: the group's and the whole measure's), never in a phase's rate, which a group past its
plan would otherwise lift over another group's shortfall.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel, ConfigDict

from advisor.directory.aggregate import UNASSIGNED, platform_of
from advisor.directory.groups import NO_SITE, OTHER_SITES
from advisor.directory.reading import DeviceRow, UserRow, is_enrolled
from advisor.directory.settings import matcher as pattern_matcher
from advisor.directory.text import tidy
from advisor.model.facts import Assessment, Group, site_key
from advisor.model.i18n import gettext
from advisor.model.plan import Placement, Plan
from advisor.model.vocabulary import LANGUAGES, PLATFORMS, PhaseKind, Platform
from advisor.rulebook.loader import Rulebook


@dataclass(frozen=True)
class ProgressSettings:
    """The rulebook's parameters for measuring progress (rules/directory.yaml, rules/progress.yaml,
    rules/calendar.yaml)."""

    active_days: int
    behind_margin_percent: int
    enrollment_success_percent: int  # a phase's target when its gate does not say
    executive_patterns: tuple[str, ...] = ()
    # The share of the users read in no group past which the measure is flagged as not to be trusted.
    no_group_warning_percent: int = 100

    @classmethod
    def from_rulebook(cls, rulebook: Rulebook) -> ProgressSettings:
        return cls(
            active_days=rulebook.parameters["directory_active_days"],
            behind_margin_percent=rulebook.parameters["progress_behind_margin_percent"],
            enrollment_success_percent=rulebook.parameters["gate_enrollment_success_percent"],
            executive_patterns=rulebook.lists["directory_executive_patterns"],
            no_group_warning_percent=rulebook.parameters["progress_no_group_warning_percent"],
        )


def department_key(name: str | None) -> str:
    """What makes two department names one, as the import compares them: case, control characters
    and runs of spaces do not count. A user without a department is Unassigned."""
    text = tidy(name or "")
    return text.casefold() if text else _UNASSIGNED_KEY


# The import names the group of users without a department in the assessment's language.
_UNASSIGNED_KEY = "\0unassigned"
_UNASSIGNED_NAMES = frozenset(tidy(gettext(UNASSIGNED, language)).casefold() for language in LANGUAGES)
# And the part of a group of the users with no site, and its sites past the model's limit, in the
# assessment's language: either names a user's site as much as a site name does.
_NO_SITE_KEYS = frozenset(site_key(gettext(NO_SITE, language)) for language in LANGUAGES)
_OTHER_SITES_KEYS = frozenset(site_key(gettext(OTHER_SITES, language)) for language in LANGUAGES)


def _department_of(name: str | None) -> str:
    key = department_key(name)
    return _UNASSIGNED_KEY if key in _UNASSIGNED_NAMES else key


def title_key(title: str | None) -> str:
    """What makes two job titles one, as the import confirms them: case and spaces do not count."""
    return tidy(title or "").casefold()


def group_departments(group: Group) -> frozenset[str]:
    """The departments (as department_key compares them) whose users are the group's: those the
    import listed, else its department, else its name."""
    return frozenset(_department_of(d) for d in group.departments or [group.department or group.name])


def site_of(group: Group, site: str) -> str:
    """A user's site as the group names it: the site key of one of its locations (users with no site
    under "No site given", a site it does not list under "Other sites" when it has them), or "" for
    a site the group's answers do not tell apart (it fits any of the group's placements)."""
    keys = {site_key(name) for name in group.locations}
    own = site_key(site)
    if own and own in keys:
        return own
    if not own:
        return next((k for k in keys if k in _NO_SITE_KEYS), "")
    return next((k for k in keys if k in _OTHER_SITES_KEYS), "")


def planned_platform(os: str) -> Platform | None:
    """The plan's platform of an OS as the export writes it; None for one the plan does not enroll
    (Linux, ChromeOS, unknown)."""
    found = platform_of(os)
    return found if found in PLATFORMS else None


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def rate(enrolled: int, planned: int) -> float | None:
    """Enrolled as a percentage of planned, one decimal; None when nothing is planned."""
    return round(100 * enrolled / planned, 1) if planned else None


class PlacementProgress(_Out):
    group: str
    phase: PhaseKind
    number: int | None
    month: str
    planned: int  # the placement's devices (its users when the plan gives no device count)
    enrolled: int
    rate: float | None


class PhaseProgress(_Out):
    phase: PhaseKind
    number: int | None
    month: str
    start: str  # YYYY-MM-DD: the first day its enrollment window opens
    end: str  # YYYY-MM-DD: the last day it is open
    planned: int
    enrolled: int
    rate: float | None
    target: int  # percent: what it should reach by `end` (its gate's enrollment criterion)
    expected: float  # percent it should have reached on the day measured (0 before it starts)
    started: bool
    behind: bool


class GroupProgress(_Out):
    group: str
    name: str
    users: int  # users of the users export placed in the group
    devices: int  # of their devices in the export, whatever their state
    planned: int
    enrolled: int  # at most what its placements plan
    rate: float | None
    over_plan: int = 0  # enrolled beyond every placement of the group


class GateProgress(_Out):
    after_phase: PhaseKind
    after_number: int | None
    date: str
    threshold: int  # percent: the gate's enrollment criterion
    measured: float | None  # the phase's rate on the day measured
    met: bool | None  # None: nothing planned in the phase
    due: bool = True  # the review's day has come (before it, a rate short of the criterion is not yet a miss)


class Unmatched(_Out):
    """What the exports hold that the plan does not count, by reason (counts only)."""

    users_repeated: int = 0  # rows for an address already read
    users_disabled: int = 0
    users_guest: int = 0
    users_in_no_group: int = 0  # their department (and site) match no group of the assessment
    devices_without_user: int = 0
    devices_user_not_found: int = 0  # their primary user is not in the users export
    devices_of_left_out_users: int = 0  # their primary user's account is disabled or a guest
    devices_in_no_group: int = 0  # their user is in no group
    devices_not_intune: int = 0  # managed by something other than Intune
    devices_stale: int = 0  # Intune's, but no check-in within the active days
    devices_other_platform: int = 0  # Linux, ChromeOS, unknown: the plan enrolls none of them
    devices_over_plan: int = 0  # enrolled beyond every placement of their group


class Progress(_Out):
    """The plan against what enrolled on one day: aggregates only."""

    version: int = 1
    measured_on: str  # YYYY-MM-DD
    active_days: int
    users_read: int
    devices_read: int
    planned: int
    enrolled: int
    rate: float | None
    phases: list[PhaseProgress]
    groups: list[GroupProgress]
    placements: list[PlacementProgress]
    gates: list[GateProgress]
    unmatched: Unmatched

    # Many of the users read are in no group: the groups' answers do not say which departments
    # (and sites) they hold, and the measure cannot be trusted as it stands.
    few_placed: bool = False

    @property
    def behind(self) -> list[PhaseProgress]:
        return [p for p in self.phases if p.behind]


_LEFT_OUT = ("", "")  # where a disabled or guest account's devices go: counted apart, never planned


class _Matcher:
    """The assessment's groups by department, executives and site.

    A user goes to the group that holds their department (the departments a directory import
    listed on it, else its department, else its name; else a group holding "every other
    department"). Executives: where the import kept the job titles the respondent confirmed, a
    user with one of them goes to the group that lists it, and every other user is placed by
    department; a group typed by hand has no such titles, and its executives are found by the
    rulebook's job-title patterns: to the executive group of their department, else to the one
    executive group carved out as a department of its own. Where a department is cut by location,
    a user goes to the group that lists their site (no site: the one that lists "No site given";
    a site none lists: the one that lists "Other sites"; no site and no part lists "No site
    given": the one part that lists no site)."""

    def __init__(self, groups: Iterable[Group]) -> None:
        groups = list(groups)
        self.by_department: dict[str, list[Group]] = {}
        for group in groups:
            for key in sorted(group_departments(group)):
                self.by_department.setdefault(key, []).append(group)
        self.others = [g for g in groups if g.other_departments]
        self.by_title: dict[str, list[Group]] = {}
        for group in groups:
            for title in group.executive_titles:
                self.by_title.setdefault(title_key(title), []).append(group)
        # Executives carved out of their departments: executive groups with a department of
        # their own (the import's executive group; the guide's "HR, Finance and Executives").
        self.carved_out = [
            group
            for members in self.by_department.values()
            if all(g.executives for g in members)
            for group in members
        ]
        self.groups = {g.id: g for g in groups}
        self._cache: dict[tuple[str | None, str, str | None], str | None] = {}

    @property
    def by_titles(self) -> bool:
        """Whether executives are the users of the confirmed job titles (else the patterns')."""
        return bool(self.by_title)

    def group_of(self, department: str | None, site: str, title: str | None, executive: bool) -> str | None:
        # Keyed by the values as written: an export repeats a few spellings many times.
        raw = (department, site, title if self.by_titles else str(executive))
        if raw not in self._cache:
            self._cache[raw] = self._find(_department_of(department), site, title, executive)
        return self._cache[raw]

    def _find(self, department: str, site: str, title: str | None, executive: bool) -> str | None:
        if self.by_titles:
            confirmed = self.by_title.get(title_key(title), []) if title else []
            if confirmed:
                theirs = [g for g in confirmed if department in group_departments(g)]
                return (theirs or confirmed)[0].id
            executive = False
        candidates = self.by_department.get(department) or self.others
        if executive and not self.by_titles:
            mine = [g for g in candidates if g.executives]
            if not mine and len(self.carved_out) == 1:
                return self.carved_out[0].id
            candidates = mine or candidates
        else:
            candidates = [g for g in candidates if not g.executives] or candidates
        if len(candidates) == 1:
            # A department in one group: a site its answers do not list is still that
            # department's (sites of a few users are often left out of the answers).
            return candidates[0].id
        own = site_key(site)
        for group in candidates:  # the part that names the site (or "No site given")
            at = site_of(group, site)
            if at and (at == own or (not own and at in _NO_SITE_KEYS)):
                return group.id
        for group in candidates:  # else the part of the sites no part lists
            if site_of(group, site) in _OTHER_SITES_KEYS:
                return group.id
        if not own:  # no site: the part that lists none (the import's "… – No site given")
            unplaced = [g for g in candidates if not g.locations]
            if len(unplaced) == 1:
                return unplaced[0].id
        return None  # no group, or a department cut by location at a site none of them lists


def measure(
    assessment: Assessment,
    plan: Plan,
    users: Iterable[UserRow],
    devices: Iterable[DeviceRow],
    *,
    today: date,
    settings: ProgressSettings,
) -> Progress:
    """The plan's phases and groups against the devices enrolled on `today`.

    The users are read first, into a map from UPN to group that lives only while this runs; the
    devices then stream past it, leaving counts."""
    matcher = _Matcher(assessment.groups)
    titles = pattern_matcher(settings.executive_patterns)
    groups_by_id = {g.id: g for g in assessment.groups}
    lost = Counter[str]()
    # The hash of the UPN -> (group id, site key), None for a user in no group: the join, in
    # memory only (as the import keeps it), dropped when measure returns.
    group_of_user: dict[int, tuple[str, str] | None] = {}
    users_in = Counter[str]()
    users_read = 0
    executive_titles: dict[str, bool] = {}  # a job title as written -> an executive's (once each)
    for user in users:
        users_read += 1
        address = hash(user.upn)
        if address in group_of_user:
            lost["users_repeated"] += 1  # a second row for one address: the person counts once
            continue
        if not user.enabled or user.guest:
            lost["users_disabled" if not user.enabled else "users_guest"] += 1
            group_of_user[address] = _LEFT_OUT
            continue
        executive = False
        if user.job_title and not matcher.by_titles:
            if user.job_title not in executive_titles:
                executive_titles[user.job_title] = titles.search(user.job_title) is not None
            executive = executive_titles[user.job_title]
        group_id = matcher.group_of(user.department, user.site or "", user.job_title, executive)
        group_of_user[address] = (
            None if group_id is None else (group_id, site_of(groups_by_id[group_id], user.site or ""))
        )
        if group_id is None:
            lost["users_in_no_group"] += 1
        else:
            users_in[group_id] += 1
    # The end of the day measured: a device counts that checked in within the active days before
    # it (reading.is_enrolled, the one definition of enrolled).
    now = datetime.combine(today + timedelta(days=1), time(), UTC)
    # (group, platform, site) -> enrolled devices: what the placements are filled from.
    enrolled_by = Counter[tuple[str, Platform, str]]()
    devices_in = Counter[str]()
    devices_read = 0
    platforms: dict[str, Platform | None] = {}  # OS as written -> platform (computed once)
    for device in devices:
        devices_read += 1
        if not device.upn:
            lost["devices_without_user"] += 1
            continue
        address = hash(device.upn)
        if address not in group_of_user:
            lost["devices_user_not_found"] += 1
            continue
        placed = group_of_user[address]
        if placed is _LEFT_OUT:
            lost["devices_of_left_out_users"] += 1
            continue
        if placed is None:
            lost["devices_in_no_group"] += 1
            continue
        group_id, site = placed
        devices_in[group_id] += 1
        if device.os not in platforms:
            platforms[device.os] = planned_platform(device.os)
        platform = platforms[device.os]
        if platform is None:
            lost["devices_other_platform"] += 1
        elif not device.intune:
            lost["devices_not_intune"] += 1
        elif not is_enrolled(device, now, settings.active_days):
            lost["devices_stale"] += 1
        else:
            enrolled_by[(group_id, platform, site)] += 1
    del group_of_user
    placements, over = _fill(plan, enrolled_by)
    lost["devices_over_plan"] = sum(over.values())
    phases = _phases(assessment, plan, placements, today, settings)
    groups = _groups(assessment, plan, placements, users_in, devices_in, over)
    planned = sum(p.planned for p in placements)
    enrolled = sum(p.enrolled for p in placements)
    return Progress(
        measured_on=today.isoformat(),
        active_days=settings.active_days,
        users_read=users_read,
        devices_read=devices_read,
        planned=planned,
        enrolled=enrolled,
        rate=rate(enrolled, planned),
        phases=phases,
        groups=groups,
        placements=placements,
        gates=_gates(plan, phases, today),
        unmatched=Unmatched(**lost),
        few_placed=bool(users_read)
        and 100 * lost["users_in_no_group"] > settings.no_group_warning_percent * users_read,
    )


def planned_devices(placement: Placement) -> int:
    return placement.devices if placement.devices is not None else placement.users


def _accepts(placement: Placement, platform: Platform, site: str) -> bool:
    """Whether the placement takes a device of the platform at the site (as site_of names it: ""
    fits any of the group's placements)."""
    if placement.platforms and platform not in placement.platforms:
        return False
    return not (placement.locations and site and site not in {site_key(n) for n in placement.locations})


def _fill(
    plan: Plan, enrolled_by: Counter[tuple[str, Platform, str]]
) -> tuple[list[PlacementProgress], Counter[str]]:
    """Each group's enrolled devices poured into its placements in phase order, each up to its plan;
    what no placement takes (beyond every plan, or on a platform none holds) is returned as over,
    by group."""
    order = {(p.kind, p.number): i for i, p in enumerate(plan.phases)}
    made: list[PlacementProgress] = []
    over = Counter[str]()
    by_group: dict[str, list[tuple[Platform, str, int]]] = {}
    for (group_id, platform, site), count in enrolled_by.items():
        by_group.setdefault(group_id, []).append((platform, site, count))
    for group in plan.groups:
        placements = sorted(group.placements, key=lambda p: order.get((p.phase, p.number), len(order)))
        room = [planned_devices(p) for p in placements]
        filled = [0] * len(placements)
        # The devices of a named site first: those that fit any site then take the room left.
        for platform, site, count in sorted(by_group.get(group.id, []), key=lambda e: (e[1] == "", e)):
            left = count
            accepting = [i for i, p in enumerate(placements) if _accepts(p, platform, site)]
            for i in accepting:
                take = min(left, room[i] - filled[i])
                filled[i] += take
                left -= take
            if left:
                over[group.id] += left
        made += [
            PlacementProgress(
                group=group.id,
                phase=p.phase,
                number=p.number,
                month=p.month,
                planned=room[i],
                enrolled=filled[i],
                rate=rate(filled[i], room[i]),
            )
            for i, p in enumerate(placements)
        ]
    return made, over


def _month_days(month: str) -> tuple[date, date]:
    first = date.fromisoformat(f"{month}-01")
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def _windows(plan: Plan) -> dict[tuple[PhaseKind, int | None], tuple[date, date]]:
    """Each phase's enrollment window: from its first group's opening to its last group's close
    (the calendar's events); the phase's month for a plan made before the calendar."""
    starts: dict[tuple[PhaseKind, int | None], date] = {}
    ends: dict[tuple[PhaseKind, int | None], date] = {}
    for event in plan.calendar:
        key = (event.phase, event.number)
        day = date.fromisoformat(event.date)
        if event.kind == "enrollment_start":
            starts[key] = min(day, starts.get(key, day))
        elif event.kind == "enrollment_end":
            ends[key] = max(day, ends.get(key, day))
    windows = {}
    for phase in plan.phases:
        key = (phase.kind, phase.number)
        first, last = _month_days(phase.month)
        start = starts.get(key, first)
        windows[key] = (start, max(start, ends.get(key, last)))
    return windows


def _target(assessment: Assessment, plan: Plan, key: tuple[PhaseKind, int | None], default: int) -> int:
    for gate in plan.gates:
        if (gate.after.phase, gate.after.number) == key:
            for criterion in gate.criteria:
                if criterion.code == "enrollment_success":
                    return criterion.threshold
    own = assessment.organisation.gate_thresholds or {}
    return int(own.get("enrollment_success", default))


def _phases(
    assessment: Assessment,
    plan: Plan,
    placements: list[PlacementProgress],
    today: date,
    settings: ProgressSettings,
) -> list[PhaseProgress]:
    windows = _windows(plan)
    made = []
    for phase in plan.phases:
        key = (phase.kind, phase.number)
        mine = [p for p in placements if (p.phase, p.number) == key]
        planned = sum(p.planned for p in mine)
        enrolled = sum(p.enrolled for p in mine)
        start, end = windows[key]
        target = _target(assessment, plan, key, settings.enrollment_success_percent)
        elapsed = min(max((today - start).days + 1, 0), (end - start).days + 1)
        expected = round(target * elapsed / ((end - start).days + 1), 1)
        measured = rate(enrolled, planned)
        started = today >= start
        behind = started and measured is not None and measured + settings.behind_margin_percent < expected
        made.append(
            PhaseProgress(
                phase=phase.kind,
                number=phase.number,
                month=phase.month,
                start=start.isoformat(),
                end=end.isoformat(),
                planned=planned,
                enrolled=enrolled,
                rate=measured,
                target=target,
                expected=expected,
                started=started,
                behind=behind,
            )
        )
    return made


def _groups(
    assessment: Assessment,
    plan: Plan,
    placements: list[PlacementProgress],
    users_in: Mapping[str, int],
    devices_in: Mapping[str, int],
    over: Mapping[str, int],
) -> list[GroupProgress]:
    names = {g.id: g.name for g in assessment.groups}
    made = []
    for group in plan.groups:
        mine = [p for p in placements if p.group == group.id]
        planned = sum(p.planned for p in mine)
        enrolled = sum(p.enrolled for p in mine)
        made.append(
            GroupProgress(
                group=group.id,
                name=names.get(group.id, group.name),
                users=users_in.get(group.id, 0),
                devices=devices_in.get(group.id, 0),
                planned=planned,
                enrolled=enrolled,
                rate=rate(enrolled, planned),
                over_plan=over.get(group.id, 0),
            )
        )
    return made


def _gates(plan: Plan, phases: list[PhaseProgress], today: date) -> list[GateProgress]:
    by_key = {(p.phase, p.number): p for p in phases}
    made = []
    for gate in plan.gates:
        criterion = next((c for c in gate.criteria if c.code == "enrollment_success"), None)
        phase = by_key.get((gate.after.phase, gate.after.number))
        if criterion is None or phase is None:
            continue
        made.append(
            GateProgress(
                after_phase=gate.after.phase,
                after_number=gate.after.number,
                date=gate.date,
                threshold=criterion.threshold,
                measured=phase.rate,
                met=None if phase.rate is None else phase.rate >= criterion.threshold,
                due=today >= date.fromisoformat(gate.date),
            )
        )
    return made
