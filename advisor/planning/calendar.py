"""The rollout as a calendar: the days each phase's messages go out, its groups enroll, its tech
fairs are held and its go/no-go review falls; the exit criteria and rollback of each gate; and the
helpdesk's load week by week.

Every date is a working day (no weekend, none of the country's holidays of the rulebook's
categories) and none falls in a quiet month (nor, for a group's own steps, in a month the group
avoids): a message due in a quiet month goes out after it, once people are back (the phase then
opens the week after); one due in a month the group avoids goes out before it; a group's
enrollment window closes before a month it avoids; steps that follow a window move later. The
phases' months come from the planner; the days inside them come from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays

from advisor.model.facts import Group
from advisor.model.i18n import N_, gettext, ngettext
from advisor.model.plan import (
    Event,
    Gate,
    GateCriterion,
    GateDecision,
    PhaseRef,
    RollbackStep,
    WeekLoad,
)
from advisor.model.vocabulary import CRITERIA, Criterion, EventKind, Language, PhaseKind, Unit, day_name, term

# Each criterion: its parameter, its unit, whether a figure must reach it (else stay under it),
# and how it reads.
_CRITERIA: dict[Criterion, tuple[str, Unit, bool, str]] = {
    "enrollment_success": (
        "gate_enrollment_success_percent",
        "percent",
        True,
        N_(
            "Devices enrolled, of those the phase targets, at least %(threshold)s%% (Intune's "
            "enrollment reports)"
        ),
    ),
    "devices_compliant": (
        "gate_compliance_percent",
        "percent",
        True,
        N_("Enrolled devices compliant at least %(threshold)s%% (Intune's device compliance report)"),
    ),
    "tickets_per_100_users": (
        "gate_tickets_per_100_users",
        "per_100_users",
        False,
        N_("Helpdesk tickets at most %(threshold)s per 100 users"),
    ),
    "blocking_issues": (
        "gate_blocking_issues",
        "count",
        False,
        N_("Blocking issues open at most %(threshold)s"),
    ),
    "feedback": (
        "gate_feedback_percent",
        "percent",
        True,
        N_("Feedback gathered from at least %(threshold)s%% of the users"),
    ),
}
_ROLLBACK = {
    "stop-new-enrollments": N_(
        "Stop new enrollments for these groups: remove them from the enrollment profiles' assignments "
        "(Windows Autopilot, automated device enrollment) and the MDM user scope, or block their "
        "platform with an enrollment restriction. Unassign only the policy or app that caused the "
        "problem: unassigning every policy strips Wi-Fi, VPN and certificate profiles from the devices "
        "already enrolled."
    ),
    "conditional-access-exclude": N_(
        "Exclude these groups from the Conditional Access policies that require a compliant device or "
        "app protection (report-only is a state of a whole policy: use it only for a policy that "
        "targets these groups alone) until the problem is fixed, so that nobody is locked out."
    ),
    "fix-wrongly-enrolled": N_(
        "Devices that enrolled the wrong way: retire a personal device (only the organisation's apps "
        "and data are removed); wipe a corporate device and enroll it again with the right profile "
        "(retiring it would leave it unmanaged)."
    ),
    "hold-next-phase": N_(
        "Hold the next phase's instructions e-mail, tell its users the new date, and brief the helpdesk."
    ),
}
_TITLES: dict[str, str] = {
    "training": N_("Helpdesk training"),
    "kickoff": N_("Rollout kickoff"),
    "announce_1": N_("%(group)s: first announcement"),
    "announce_2": N_("%(group)s: second announcement"),
    "instructions": N_("%(group)s: enrollment instructions"),
    "enrollment_start": N_("%(group)s: enrollment opens"),
    "tech_fair": N_("%(group)s: IT tech fair at %(site)s"),
    "reminder": N_("%(group)s: reminder"),
    "enrollment_end": N_("%(group)s: enrollment closes"),
    "follow_up": N_("%(group)s: follow-up"),
    "gate": N_("Go/no-go review after %(phase)s"),
}
_TEXTS: dict[str, str] = {
    "training": N_(
        "Train every support tier on the enrollment methods and the known problems before %(phase)s "
        "starts on %(start)s; during the pilots and the first production phase, keep all tiers in a "
        "shared channel with a daily check-in."
    ),
    "kickoff": N_(
        "Kickoff for everyone taking part: the plan, the phases and who to ask; %(phase)s starts on "
        "%(start)s."
    ),
    "announce_1": N_("Tell the users that they enroll their devices from %(start)s, and why."),
    "announce_2": N_("Tell them again: enrollment opens on %(start)s."),
    "instructions": N_("The enrollment e-mail: the instructions for their devices and where to get help."),
    "enrollment_start": N_("%(users)s users enroll their devices from today until %(end)s (%(approach)s)."),
    "tech_fair": N_("IT staff help the users enroll, on site."),
    "reminder": N_("Remind the users who have not enrolled their devices: enrollment closes on %(end)s."),
    "enrollment_end": N_("Enrollment in %(phase)s closes."),
    "follow_up": N_("What is done, what is left, and the feedback survey."),
    "gate": N_("Hold %(phase)s to its exit criteria before %(next)s starts on %(start)s."),
}


@dataclass(frozen=True)
class Part:
    """One group's part in one phase: its users, its load (hundredths of a user-equivalent), the
    approach and the sites."""

    group: int
    users: int
    load: int
    approach: str
    locations: tuple[str, ...]


@dataclass
class PhaseDays:
    """A dated phase: its kind, number, month and groups."""

    kind: PhaseKind
    number: int | None
    month: str
    slots: list[Part]


@dataclass
class Laid:
    """What the calendar adds to a plan, and what the planner warns about."""

    events: list[Event] = field(default_factory=list)
    gates: list[Gate] = field(default_factory=list)
    load: list[WeekLoad] = field(default_factory=list)
    # (code, group id or None, text, severity)
    warnings: list[tuple[str, str | None, str, str]] = field(default_factory=list)


@lru_cache(maxsize=256)
def _categories(country: str) -> tuple[str, ...] | None:
    """The holiday categories the library has for the country; None if it does not know it."""
    try:
        return tuple(holidays.country_holidays(country).supported_categories)
    except NotImplementedError:
        return None


@lru_cache(maxsize=64)
def _holidays(country: str, categories: tuple[str, ...], first: int, last: int) -> frozenset[date]:
    """The country's holidays of the given categories (those it has) over the years, or an empty
    set for a country the library does not know."""
    known = _categories(country)
    if known is None:
        return frozenset()
    wanted = tuple(c for c in categories if c in known) or ("public",)
    found = holidays.country_holidays(country, years=range(first, last + 1), categories=wanted)
    return frozenset(found.keys())


def knows_holidays(country: str) -> bool:
    return _categories(country) is not None


class WorkingDays:
    """Working days: not a weekend, not a holiday, not in a quiet month."""

    def __init__(self, off: frozenset[date], quiet: Callable[[str], bool]):
        self.off = off
        self.quiet = quiet
        # Remembered answers: a plan asks about the same few hundred days many times over.
        self._works: dict[date, bool] = {}
        self._months: dict[str, list[date]] = {}
        self._between: dict[tuple[date, date], tuple[date, ...]] = {}

    def works(self, day: date, avoid: Callable[[str], bool] | None = None) -> bool:
        known = self._works.get(day)
        if known is None:
            known = day.weekday() < 5 and day not in self.off and not self.quiet(_month_of(day))
            self._works[day] = known
        return known and not (avoid is not None and avoid(_month_of(day)))

    def step(self, day: date, count: int, avoid: Callable[[str], bool] | None = None) -> date:
        """The working day `count` working days after `day` (before it if negative; `day` itself,
        or the next working day after it, for 0)."""
        direction = -1 if count < 0 else 1
        if count == 0:
            return self.on_or_after(day, avoid)
        left = abs(count)
        while left:
            day += timedelta(days=direction)
            if self.works(day, avoid):
                left -= 1
        return day

    def on_or_after(self, day: date, avoid: Callable[[str], bool] | None = None) -> date:
        for _ in range(800):  # quiet months cover at most 11 in 12 (the contract refuses all twelve)
            if self.works(day, avoid):
                return day
            day += timedelta(days=1)
        return day

    def on_or_before(self, day: date, avoid: Callable[[str], bool] | None = None) -> date:
        for _ in range(800):
            if self.works(day, avoid):
                return day
            day -= timedelta(days=1)
        return day

    def between(self, start: date, end: date) -> Sequence[date]:
        """The working days from `start` to `end` (both included); `start` alone if there is none.
        Remembered: the groups of a phase share its window."""
        known = self._between.get((start, end))
        if known is None:
            found, day = [], start
            while day <= end:
                if self.works(day):
                    found.append(day)
                day += timedelta(days=1)
            known = self._between[(start, end)] = tuple(found or [start])
        return known

    def in_month(self, month: str) -> list[date]:
        """The month's working days (weekends and holidays skipped; a quiet month has none)."""
        known = self._months.get(month)
        if known is None:
            year, number = int(month[:4]), int(month[5:])
            day = date(year, number, 1)
            known = []
            while day.month == number:
                if self.works(day):
                    known.append(day)
                day += timedelta(days=1)
            self._months[month] = known
        return known


def _month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _hits(month: str, months: Iterable[str]) -> bool:
    return any(month == m or month[5:] == m for m in months)


class CalendarMaker:
    """Lays one plan's phases out in days."""

    def __init__(
        self,
        groups: Sequence[Group],
        params: Mapping[str, int],
        categories: Sequence[str],
        everywhere: Sequence[str],
        country: str | None,
        quiet: set[str],
        language: Language,
        capacity: int | None,
        decisions: Mapping[tuple[str, int | None], list[GateDecision]],
        thresholds: Mapping[Criterion, int] | None,
        app_protected: frozenset[int] = frozenset(),
    ):
        self.groups = groups
        self.params = params
        self.categories = tuple(categories)
        self.everywhere = tuple(everywhere)  # MM-DD: days off where the country's are not known
        self.country = country
        self.quiet_months = quiet
        self.language = language
        self.capacity = capacity
        self.decisions = decisions
        self.thresholds: dict[Criterion, int] = dict(thresholds or {})
        self.app_protected = app_protected  # groups whose devices use app protection policies

    def _text(self, key: str, table: Mapping[str, str], **values: object) -> str:
        return gettext(table[key], self.language, **values)

    def lay_out(self, phases: Sequence[PhaseDays]) -> Laid:
        laid = Laid()
        if not phases:
            return laid
        years = (int(phases[0].month[:4]) - 1, int(phases[-1].month[:4]) + 1)
        off = _holidays(self.country, self.categories, *years) if self.country else frozenset()
        if not off:  # no holiday calendar: at least the days off nearly everywhere
            off = frozenset(
                date(year, int(day[:2]), int(day[3:]))
                for year in range(max(1, years[0]), min(9999, years[1]) + 1)
                for day in self.everywhere
            )
        days = WorkingDays(off, lambda month: _hits(month, self.quiet_months))
        # The same days, quiet months counted: lead times are counted in them, so that a message
        # due in a quiet month moves after it rather than weeks before.
        plain = WorkingDays(off, lambda month: False)
        starts = self._starts(phases, days)
        ends: list[date] = []
        gate_days: list[date] = []
        soak = self.params["gate_soak_days"]
        for i in range(len(phases)):
            latest = (
                self._before(days, starts[i + 1], self.params["gate_days_before_phase"], floor=starts[i])
                if i + 1 < len(phases)
                else None
            )
            # The window closes early enough for the devices to settle and the follow-up's survey
            # to be answered before the review.
            limit = days.step(latest, -soak) if latest is not None and soak else latest
            end = self._window_end(days, starts[i], limit)
            ends.append(end)
            if latest is not None:
                gate_days.append(max(min(days.step(end, soak) if soak else end, latest), end))
        events: list[tuple[date, int, Event]] = []  # (day, order of kinds, event)

        def add(
            day: date,
            kind: EventKind,
            phase: PhaseDays,
            group: int | None,
            title: str,
            text: str,
            location: str | None = None,
        ) -> None:
            events.append(
                (
                    day,
                    len(events),
                    Event(
                        date=day.isoformat(),
                        kind=kind,
                        phase=phase.kind,
                        number=phase.number,
                        group=None if group is None else self.groups[group].id,
                        location=location,
                        title=title,
                        text=text,
                    ),
                )
            )

        first, start = phases[0], starts[0]
        first_title = self._phase_title(first)
        opening: tuple[tuple[EventKind, str], ...] = (
            ("training", "helpdesk_training_lead_days"),
            ("kickoff", "kickoff_lead_days"),
        )
        leads = self._leads(days, plain, start, [self.params[lead] for _, lead in opening], None)
        for (kind, _), day in zip(opening, leads, strict=True):
            add(
                day,
                kind,
                first,
                None,
                self._text(kind, _TITLES),
                self._text(kind, _TEXTS, phase=first_title, start=day_name(start.isoformat(), self.language)),
            )
        weekly: dict[date, dict[int, float]] = {}  # Monday -> group -> load (user-equivalents)
        for i, phase in enumerate(phases):
            start, end = starts[i], ends[i]
            title = self._phase_title(phase)
            review = gate_days[i] if i < len(gate_days) else None
            for slot_group, slots in _by_group(phase.slots).items():
                self._group_events(
                    add, days, plain, phase, title, slot_group, slots, start, end, review, weekly
                )
            if review is not None:
                add(
                    review,
                    "gate",
                    phase,
                    None,
                    self._text("gate", _TITLES, phase=title),
                    self._text(
                        "gate",
                        _TEXTS,
                        phase=title,
                        next=self._phase_title(phases[i + 1]),
                        start=day_name(starts[i + 1].isoformat(), self.language),
                    ),
                )
                laid.gates.append(self._gate(phase, phases[i + 1], review))
        events.sort(key=lambda e: (e[0], e[1]))
        laid.events = [e for _, _, e in events]
        enrolling = {
            day for start, end in zip(starts, ends, strict=True) for day in _between(days, start, end)
        }
        self._load(laid, days, weekly, enrolling)
        return laid

    # -- days ---------------------------------------------------------------------------------
    def _starts(self, phases: Sequence[PhaseDays], days: WorkingDays) -> list[date]:
        """Each phase's first day of enrollment: the first working day of its month, or after a
        quiet month the rulebook's days later (people are back, and have heard of it first);
        phases that share a month share its working days out, in order."""
        by_month: dict[str, list[int]] = {}
        for i, phase in enumerate(phases):
            by_month.setdefault(phase.month, []).append(i)
        starts = [date.min] * len(phases)
        for month, members in by_month.items():
            working = days.in_month(month) or [date(int(month[:4]), int(month[5:]), 1)]
            back = self.params["return_days_after_quiet"]
            month_before = _month_of(date(int(month[:4]), int(month[5:]), 1) - timedelta(days=1))
            if back and _hits(month_before, self.quiet_months):
                working = working[min(back, len(working) - 1) :]
            for n, i in enumerate(members):
                starts[i] = working[n * len(working) // len(members)]
        return starts

    def _leads(
        self,
        days: WorkingDays,
        plain: WorkingDays,
        start: date,
        leads: Sequence[int],
        avoid: Callable[[str], bool] | None,
    ) -> list[date]:
        """The days of steps that lead up to `start`, each its lead in working days before it
        (quiet months counted); one that falls in a quiet month moves after it (never to `start` or
        later), one in a month the group avoids moves before it; each step after the one before it
        where there is room."""
        found: list[date] = []
        for lead in leads:
            day = plain.step(start, -lead) if lead else start
            if not days.works(day):  # a quiet month: after it, when people are back
                day = days.on_or_after(day)
            if avoid is not None and not days.works(day, avoid):  # the group's busy months: before
                day = days.on_or_before(day, avoid)
            if found and day <= found[-1]:
                day = days.step(found[-1], 1, avoid)
            if day >= start:
                day = max(found[-1] if found else start, days.step(start, -1, avoid)) if lead else start
                if day > start or not days.works(day, avoid):
                    day = start
            found.append(day)
        return found

    def _before(
        self,
        days: WorkingDays,
        day: date,
        count: int,
        avoid: Callable[[str], bool] | None = None,
        floor: date | None = None,
    ) -> date:
        """`count` working days before `day`, out of quiet (and avoided) months by moving earlier;
        never before `floor` (then on `floor` or the next working day after it)."""
        found = days.step(day, -count, avoid) if count else days.on_or_before(day - timedelta(days=1), avoid)
        if floor is not None and found < floor:
            return days.on_or_after(floor)
        return found

    def _window_end(self, days: WorkingDays, start: date, limit: date | None) -> date:
        """The last day of enrollment: the window's length, cut short before the next gate and
        before a quiet month begins."""
        end = start
        for _ in range(self.params["enrollment_window_days"] - 1):
            following = days.step(end, 1)
            if (limit is not None and following >= limit) or (following - end).days > 10:
                break  # the next review, or a quiet month (no working day for more than a week)
            end = following
        return end

    def _group_events(
        self,
        add: Callable[..., None],
        days: WorkingDays,
        plain: WorkingDays,
        phase: PhaseDays,
        title: str,
        group: int,
        slots: Sequence[Part],
        start: date,
        end: date,
        review: date | None,
        weekly: dict[date, dict[int, float]],
    ) -> None:
        spec = self.groups[group]
        avoided = spec.avoid_months
        # None when the group avoids no month: the working days need no second look then.
        avoid: Callable[[str], bool] | None = (lambda month: _hits(month, avoided)) if avoided else None

        users = sum(s.users for s in slots)
        approaches = list(dict.fromkeys(s.approach for s in slots))
        # The group's window closes before a month it avoids begins.
        if avoid is not None:
            for day in _between(days, start, end):
                if day > start and avoid(_month_of(day)):
                    end = days.on_or_before(day, avoid)
                    break
        start_word, end_word = (day_name(d.isoformat(), self.language) for d in (start, end))
        values = {"group": spec.name, "phase": title, "start": start_word, "end": end_word, "users": users}
        steps = ("announce_1", "announce_2", "instructions")
        leads = ("announce_lead_days", "second_announce_lead_days", "instructions_lead_days")
        for key, day in zip(
            steps, self._leads(days, plain, start, [self.params[n] for n in leads], avoid), strict=True
        ):
            kind: EventKind = "instructions" if key == "instructions" else "announce"
            add(
                day, kind, phase, group, self._text(key, _TITLES, **values), self._text(key, _TEXTS, **values)
            )
        add(
            start,
            "enrollment_start",
            phase,
            group,
            self._text("enrollment_start", _TITLES, **values),
            self._text(
                "enrollment_start",
                _TEXTS,
                approach=", ".join(term(a, self.language) for a in approaches),
                **values,
            ),
        )
        window = _between(days, start, end)
        fair_days: list[date] = []
        fairs = [s for s in slots if s.approach == "tech_fair"]
        if fairs:  # days at each site whose users come to a tech fair, enough for its users
            per_day = max(1, self.params["tech_fair_users_per_day"])
            sites: dict[str | None, int] = {}
            for part in fairs:
                for site, count in zip(
                    part.locations or (None,), _even(part.users, len(part.locations) or 1), strict=True
                ):
                    sites[site] = sites.get(site, 0) + count
            offset = self.params["tech_fair_day_offset"]
            day = min(days.step(start, offset) if offset else start, end)
            for site, count in sites.items():
                first = day
                held = [first]
                while len(held) * per_day < count and days.step(held[-1], 1) <= end:
                    held.append(days.step(held[-1], 1))
                fair_days.extend(held)
                where = site or gettext("the office", self.language)
                add(
                    first,
                    "tech_fair",
                    phase,
                    group,
                    self._text("tech_fair", _TITLES, site=where, **values),
                    ngettext(
                        "IT staff help %(count)s users enroll on site, on %(num)d day.",
                        "IT staff help %(count)s users enroll on site, on %(num)d days until %(last)s.",
                        len(held),
                        self.language,
                        count=count,
                        last=day_name(held[-1].isoformat(), self.language),
                    ),
                    location=site,
                )
                following = days.step(held[-1], 1)  # the next site after this one's days
                day = following if following <= end else end
        ahead = self.params["reminder_days_before_end"]
        reminder = days.step(end, -ahead) if ahead else end
        if reminder <= start:  # a short window: halfway through it, never on its first day
            reminder = window[len(window) // 2] if len(window) >= 3 else end
        add(
            reminder,
            "reminder",
            phase,
            group,
            self._text("reminder", _TITLES, **values),
            self._text("reminder", _TEXTS, **values),
        )
        add(
            end,
            "enrollment_end",
            phase,
            group,
            self._text("enrollment_end", _TITLES, **values),
            self._text("enrollment_end", _TEXTS, **values),
        )
        after = max(1, self.params["follow_up_days"])
        follow = days.step(end, after, avoid)
        if review is not None and follow >= review:  # the survey's answers are in before the review
            earlier = days.step(review, -1, avoid)
            follow = earlier if end < earlier < follow else follow
        add(
            follow,
            "follow_up",
            phase,
            group,
            self._text("follow_up", _TITLES, **values),
            self._text("follow_up", _TEXTS, **values),
        )
        # The group's load on the helpdesk over its window; a tech fair's share is handled at the
        # fair, by the IT staff there.
        load = sum(s.load for s in slots) / 100
        at_fair = sum(s.load for s in fairs) / 100 * self.params["tech_fair_load_percent"] / 100
        for day in window:
            share = (load - at_fair) / len(window)
            week = weekly.setdefault(day - timedelta(days=day.weekday()), {})
            week[group] = week.get(group, 0.0) + share

    # -- gates --------------------------------------------------------------------------------
    def _phase_title(self, phase: PhaseDays) -> str:
        if phase.number:
            return term(phase.kind, self.language, number=phase.number)
        return term(phase.kind, self.language)

    def _gate(self, phase: PhaseDays, following: PhaseDays, day: date) -> Gate:
        members = list(dict.fromkeys(s.group for s in phase.slots))
        ids = [self.groups[g].id for g in members]
        compliance = [self.groups[g].id for g in members if "compliance" in self.groups[g].requirements]
        protected = [
            self.groups[g].id
            for g in members
            if g in self.app_protected or "compliance" in self.groups[g].requirements
        ]
        pilot = phase.kind != "production"
        feedback = pilot or any(self.groups[g].feedback for g in members)
        criteria = []
        for code in CRITERIA:
            if (code == "feedback" and not feedback) or (code == "devices_compliant" and not compliance):
                continue  # feedback where users give it; compliance where groups need it
            parameter, unit, at_least, words = _CRITERIA[code]
            threshold = self.thresholds.get(code, self.params[parameter])
            if code == "blocking_issues" and threshold == 0:
                words = N_("No blocking issue open")
            criteria.append(
                GateCriterion(
                    code=code,
                    text=gettext(words, self.language, threshold=threshold),
                    threshold=threshold,
                    unit=unit,
                    at_least=at_least,
                    provenance="beyond_guide" if code not in self.thresholds else None,
                )
            )
        following_ids = list(dict.fromkeys(self.groups[s.group].id for s in following.slots))
        steps = {
            "stop-new-enrollments": ids,
            "conditional-access-exclude": protected,
            "fix-wrongly-enrolled": ids,
            "hold-next-phase": following_ids,
        }
        rollback = [
            RollbackStep(code=code, text=gettext(_ROLLBACK[code], self.language), groups=groups)
            for code, groups in steps.items()
            if groups
        ]
        return Gate(
            after=PhaseRef(phase=phase.kind, number=phase.number),
            before=PhaseRef(phase=following.kind, number=following.number),
            date=day.isoformat(),
            criteria=criteria,
            rollback=rollback,
            decisions=self.decisions.get((phase.kind, phase.number), []),
        )

    # -- the helpdesk's week ------------------------------------------------------------------
    def _load(
        self, laid: Laid, days: WorkingDays, weekly: dict[date, dict[int, float]], enrolling: set[date]
    ) -> None:
        """The helpdesk's load week by week against its capacity: a month's support capacity is
        spent over the days of that month on which groups enroll, so a week is over only where
        enrollment crowds into it; a day nobody enrolls on shows the plain share of its month."""
        if not laid.events:
            return
        first = date.fromisoformat(laid.events[0].date)
        last = date.fromisoformat(laid.events[-1].date)
        monday = first - timedelta(days=first.weekday())
        month_days: dict[str, int] = {}
        over_percent = self.params["support_week_over_percent"]
        # The weeks past capacity, by the group that weighs most in them: one warning per group.
        over_weeks: dict[int, list[tuple[date, float, float, dict[int, float]]]] = {}
        while monday <= last:
            groups = weekly.get(monday, {})
            load = sum(groups.values())
            capacity = None
            if self.capacity is not None:
                capacity = 0.0
                for offset in range(5):
                    day = monday + timedelta(days=offset)
                    month = _month_of(day)
                    if month not in month_days:
                        in_month = days.in_month(month)
                        month_days[month] = sum(d in enrolling for d in in_month) or len(in_month)
                    if not days.works(day):
                        continue
                    if day in enrolling or month_days[month] == len(days.in_month(month)):
                        capacity += self.capacity / month_days[month]
                    else:  # a day nobody enrolls on: the helpdesk's plain share of its month
                        capacity += self.capacity / len(days.in_month(month))
            heaviest = sorted(groups, key=lambda g: (-groups[g], g))
            over = capacity is not None and load > capacity * over_percent / 100 and load >= 1
            laid.load.append(
                WeekLoad(
                    week=monday.isoformat(),
                    load=round(load, 1),
                    capacity=None if capacity is None else round(capacity, 1),
                    groups=[self.groups[g].id for g in heaviest],
                    over=over,
                )
            )
            if over:
                over_weeks.setdefault(heaviest[0], []).append((monday, load, capacity or 0.0, groups))
            monday += timedelta(days=7)
        for group, weeks in over_weeks.items():
            listed = "; ".join(
                gettext(
                    "the week of %(week)s, about %(load)s users against %(capacity)s (%(groups)s)",
                    self.language,
                    week=day_name(week.isoformat(), self.language),
                    load=round(load),
                    capacity=round(capacity),
                    groups=", ".join(
                        f"{self.groups[g].name} {round(shares[g])}"
                        for g in sorted(shares, key=lambda g: (-shares[g], g))[:3]
                    ),
                )
                for week, load, capacity, shares in weeks
            )
            text = ngettext(
                "%(num)d week loads the helpdesk past its capacity, %(group)s the most: "
                "%(weeks)s. Spread the enrollment over more days, or plan extra support for that week.",
                "%(num)d weeks load the helpdesk past its capacity, %(group)s the most: "
                "%(weeks)s. Spread the enrollment over more days, or plan extra support for those weeks.",
                len(weeks),
                self.language,
                group=self.groups[group].name,
                weeks=listed,
            )
            laid.warnings.append(("support-week-over-capacity", self.groups[group].id, text, "warning"))


def _by_group(slots: Sequence[Part]) -> dict[int, list[Part]]:
    found: dict[int, list[Part]] = {}
    for slot in slots:
        found.setdefault(slot.group, []).append(slot)
    return found


def _even(total: int, parts: int) -> list[int]:
    """`total` in `parts` whole shares, the remainder on the first."""
    share, rest = divmod(total, parts)
    return [share + (rest if i == 0 else 0) for i in range(parts)]


def _between(days: WorkingDays, start: date, end: date) -> Sequence[date]:
    return days.between(start, end)
