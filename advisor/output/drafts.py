"""The messages IT sends each group for each phase it enrolls in, drafted from the plan's calendar:
what changes and why, when, what the user does on each kind of device, what IT can and cannot see
on a personal device, and where to get help. An organisation's own wording (`messages` in the
assessment) replaces a draft; wording whose group or phase the plan no longer has is reported,
never dropped. Written as Markdown (one document) and as e-mail drafts (`.eml`, one per message,
zipped for an assessment)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from pydantic import BaseModel, ConfigDict

from advisor.model.facts import Assessment, MessageEdit
from advisor.model.i18n import N_, gettext
from advisor.model.methods import METHODS
from advisor.model.plan import Event, GroupPlan, MethodChoice, Placement, Plan
from advisor.model.vocabulary import (
    MESSAGE_KINDS,
    Approach,
    Language,
    MessageKind,
    PhaseKind,
    Platform,
    day_name,
    event_name,
    term,
)
from advisor.output import user_steps
from advisor.output.escape import markdown_text
from advisor.output.user_steps import PRIVACY_SOURCE

_SUBJECTS: dict[str, dict[MessageKind, str]] = {
    # Devices that enroll (some may be protected apps only, or shared).
    "enroll": {
        "announce": N_("Your devices for work move to Microsoft Intune from %(start)s"),
        "instructions": N_("How to enroll your devices in Intune, %(start)s to %(end)s"),
        "reminder": N_("Reminder: enroll your devices by %(end)s"),
        "follow_up": N_("Intune enrollment: thank you, and tell us how it went"),
    },
    # Only the work apps are protected: no device enrolls.
    "apps": {
        "announce": N_("The work apps on your own devices are protected from %(start)s"),
        "instructions": N_("How to set up the work apps on your devices, %(start)s to %(end)s"),
        "reminder": N_("Reminder: set up the work apps by %(end)s"),
        "follow_up": N_("The work apps: thank you, and tell us how it went"),
    },
    # Shared devices that IT sets up: the users have nothing to enroll.
    "shared": {
        "announce": N_("The shared devices change from %(start)s"),
        "instructions": N_("Using the shared devices from %(start)s"),
        "reminder": N_("The shared devices are being set up until %(end)s"),
        "follow_up": N_("The shared devices: tell us how it went"),
    },
}
HELP_PLACEHOLDER = N_("[where to get help]")
SURVEY_PLACEHOLDER = N_("[link to the feedback survey]")
COHORT_PLACEHOLDER = N_("[who is in this round: a team, a shift or a list of names]")


class Draft(BaseModel):
    """One message to one group for one phase, in one language, and the day it goes out."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    group: str  # the group's id
    group_name: str
    phase: PhaseKind
    number: int | None
    phase_title: str
    kind: MessageKind
    language: Language
    send_on: str  # YYYY-MM-DD: the calendar's day for this message (the first announcement)
    subject: str
    body: str
    edited: bool = False  # the organisation's own wording, not the generated draft


Key = tuple[str, PhaseKind, int | None, MessageKind, Language]


def edit_key(edit: MessageEdit) -> Key:
    return (edit.group, edit.phase.phase, edit.phase.number, edit.kind, edit.language)


def draft_key(draft: Draft) -> Key:
    return (draft.group, draft.phase, draft.number, draft.kind, draft.language)


def _enrolments(plan: Plan) -> dict[tuple[str, PhaseKind, int | None], list[Event]]:
    """Each (group, phase, number) the calendar enrolls, with its events, in the calendar's order."""
    found: dict[tuple[str, PhaseKind, int | None], list[Event]] = {}
    for event in plan.calendar:
        if event.group is not None:
            found.setdefault((event.group, event.phase, event.number), []).append(event)
    return found


def _phase_title(plan: Plan, phase: PhaseKind, number: int | None) -> str:
    for candidate in plan.phases:
        if candidate.kind == phase and candidate.number == number:
            return candidate.title
    return term(phase, plan.language, number=number) if number else term(phase, plan.language)


@dataclass(frozen=True)
class _Round:
    """What one phase enrolls of one group: its placements, and so its platforms, sites, users and
    methods; which of the group's rounds it is; and the calendar's days for it."""

    group: GroupPlan
    phase: PhaseKind
    number: int | None
    events: tuple[Event, ...]
    placements: tuple[Placement, ...]
    methods: tuple[MethodChoice, ...]
    platforms: tuple[Platform, ...]
    sites: tuple[str, ...]
    users: int
    total_users: int  # the group's, in every phase
    index: int  # 1-based, among the group's rounds
    rounds: int
    later_starts: tuple[str, ...]  # the days the group's later rounds open

    def day(self, kind: str) -> str:
        return next((e.date for e in self.events if e.kind == kind), "")

    @property
    def mode(self) -> str:
        """`apps` when only work apps are protected, `shared` when IT sets up shared devices only,
        else `enroll` (users enroll devices, whatever else the round has)."""
        if self.methods and all(not METHODS[m.method].enrolls for m in self.methods):
            return "apps"
        if self.methods and all(METHODS[m.method].enrolls and not m.user_affinity for m in self.methods):
            return "shared"
        return "enroll"

    @property
    def resets(self) -> tuple[MethodChoice, ...]:
        return tuple(
            m for m in self.methods if m.reset_required and m.devices > 0 and METHODS[m.method].enrolls
        )


def _round(
    plan: Plan, assessment: Assessment, key: tuple[str, PhaseKind, int | None], events: list[Event]
) -> _Round:
    group_id, phase, number = key
    group = plan.group(group_id)
    placements = tuple(p for p in group.placements if (p.phase, p.number) == (phase, number))
    platforms = tuple(dict.fromkeys(pl for p in placements for pl in p.platforms)) or tuple(
        dict.fromkeys(m.platform for m in group.methods)
    )
    sites = tuple(dict.fromkeys(site for p in placements for site in p.locations))
    order = list(dict.fromkeys((p.phase, p.number) for p in group.placements)) or [(phase, number)]
    here = order.index((phase, number)) if (phase, number) in order else 0
    later = order[here + 1 :]
    starts = {
        (e.phase, e.number): e.date
        for e in reversed(plan.calendar)
        if e.group == group_id and e.kind == "enrollment_start"
    }
    answered = next((g.users for g in assessment.groups if g.id == group_id), 0)
    users = sum(p.users for p in placements)
    return _Round(
        group=group,
        phase=phase,
        number=number,
        events=tuple(events),
        placements=placements,
        methods=tuple(m for m in group.methods if m.platform in platforms),
        platforms=platforms,
        sites=sites,
        users=users,
        total_users=max(answered, users),
        index=here + 1,
        rounds=len(order),
        later_starts=tuple(sorted(starts[k] for k in later if k in starts)),
    )


class _Writer:
    """Writes the drafts of one plan in one language."""

    def __init__(self, plan: Plan, assessment: Assessment, language: Language):
        self.plan = plan
        self.language = language
        self.organisation = assessment.organisation.name
        self.contact = assessment.organisation.support_contact

    def _(self, text: str, **values: object) -> str:
        return gettext(text, self.language, **values)

    def day(self, value: str) -> str:
        return day_name(value, self.language)

    def days(self, values: Sequence[str]) -> str:
        return self.listing([self.day(v) for v in values])

    def listing(self, items: Sequence[str]) -> str:
        if len(items) < 2:
            return "".join(items)
        return self._("%(items)s and %(last)s", items=", ".join(items[:-1]), last=items[-1])

    def help_line(self) -> str:
        where = self.contact or self._(HELP_PLACEHOLDER)
        return self._("Questions or problems? Contact %(contact)s.", contact=where)

    def device(self, choice: MethodChoice) -> str:
        platform = term(choice.platform, self.language)
        if not choice.user_affinity:
            return self._("%(platform)s, shared devices", platform=platform)
        if choice.ownership == "corporate":
            return self._("%(platform)s, devices the organisation owns", platform=platform)
        return self._("%(platform)s, your own devices", platform=platform)

    def helpdesk_name(self, choice: MethodChoice) -> str:
        return self._("for the helpdesk: %(method)s", method=term(choice.method, self.language))

    def platforms(self, methods: Sequence[MethodChoice]) -> str:
        return self.listing([term(p, self.language) for p in dict.fromkeys(m.platform for m in methods)])

    def method_lines(self, found: _Round) -> list[str]:
        """One line per kind of device, the method named only for the helpdesk."""
        return [f"- {self.device(m)} ({self.helpdesk_name(m)})" for m in found.methods]

    def step_blocks(self, found: _Round) -> list[str]:
        """Each kind of device with its numbered steps, in the second person."""
        blocks = []
        for choice in found.methods:
            shared = not choice.user_affinity
            numbered = [
                f"{n}. {self._(step)}"
                for n, step in enumerate(user_steps.steps(choice.method, shared=shared), 1)
            ]
            blocks.append("\n".join([f"{self.device(choice)} ({self.helpdesk_name(choice)}):", *numbered]))
        return blocks

    def cohort(self, found: _Round) -> list[str]:
        """Who this round is, when the group is not enrolled all at once: its users, sites or
        platforms, and when the others have their turn."""
        group_platforms = tuple(dict.fromkeys(pl for p in found.group.placements for pl in p.platforms))
        group_sites = tuple(dict.fromkeys(s for p in found.group.placements for s in p.locations))
        by_platform = bool(found.platforms) and set(found.platforms) < set(group_platforms)
        by_site = bool(found.sites) and set(found.sites) < set(group_sites)
        by_users = found.users < found.total_users
        if found.rounds < 2 and not (by_platform or by_site or by_users):
            return []
        if by_users:
            who = self._(
                "%(users)s of the %(total)s people in %(group)s",
                users=found.users,
                total=found.total_users,
                group=found.group.name,
            )
        else:
            who = self._("everyone in %(group)s", group=found.group.name)
        if by_site:
            who = self._("%(who)s at %(sites)s", who=who, sites=self.listing(list(found.sites)))
        if by_platform:
            devices = self.listing([self._(user_steps.DEVICE[p]) for p in found.platforms])
            who = self._("%(who)s, for your %(devices)s only", who=who, devices=devices)
        lines = [
            self._(
                "This message is for %(who)s: round %(index)s of %(rounds)s.",
                who=who,
                index=found.index,
                rounds=found.rounds,
            )
        ]
        if by_users and not by_site and not by_platform:
            lines.append(
                self._("IT has chosen who is in this round: %(who)s.", who=self._(COHORT_PLACEHOLDER))
            )
        if found.later_starts:
            lines.append(
                self._(
                    "The others in %(group)s have their turn later, from %(days)s, and hear from us "
                    "before then.",
                    group=found.group.name,
                    days=self.days(found.later_starts),
                )
            )
        return [" ".join(lines)]

    def pilot_line(self, found: _Round) -> list[str]:
        if found.phase == "production":
            return []
        return [
            self._(
                "You are among the first at %(organisation)s to do this, before the rest of the "
                "organisation: please tell us what works and what does not, so that we can fix it for "
                "everyone who follows.",
                organisation=self.organisation,
            )
        ]

    def reset_lines(self, found: _Round, approaches: set[Approach]) -> list[str]:
        """For devices in use that are erased to enroll: what is lost, what to back up, and how
        it is done for this round's approach."""
        resets = found.resets
        if not resets:
            return []
        platforms = list(dict.fromkeys(m.platform for m in resets))
        devices = self.listing([self._(user_steps.DEVICE[p]) for p in platforms])
        start, end = self.day(found.day("enrollment_start")), self.day(found.day("enrollment_end"))
        lines = [
            self._(
                "Important: the devices of yours already in use (%(devices)s) will be erased and set up "
                "again from the start: everything on them is deleted, apps, files, photos and settings.",
                devices=devices,
            ),
            self._(
                "Before %(start)s, back up what you want to keep: your work files to OneDrive, and "
                "your personal photos and files to your own cloud storage or a computer. If Microsoft "
                "Authenticator on the phone is how you approve your work sign-ins, tell the helpdesk "
                "before you erase it, so that you can still sign in afterwards.",
                start=start,
            ),
        ]
        if "self_service" in approaches:
            ways = "; ".join(
                f"{self._(user_steps.DEVICE[p])}: {self._(user_steps.ERASE[p])}" for p in platforms
            )
            lines.append(
                self._(
                    "Between %(start)s and %(end)s, once your back-up is done, erase the device yourself "
                    "(%(ways)s). It then starts with its setup screens: follow the instructions.",
                    start=start,
                    end=end,
                    ways=ways,
                )
            )
        if approaches & {"assisted", "tech_fair"}:
            lines.append(
                self._("Bring it with you, backed up: IT erases it and sets it up again with you there.")
            )
        return lines

    def approach_lines(self, found: _Round, kind: MessageKind, sent_on: str) -> list[str]:
        """How IT helps, per site where the round's sites are helped differently."""
        lines: list[str] = []
        verb_shared = found.mode == "shared"
        fairs = [e for e in found.events if e.kind == "tech_fair"]
        if kind == "reminder":
            fairs = [e for e in fairs if e.date > sent_on]  # a day already past is not repeated
        fair_sites = [p for p in found.placements if p.enrollment == "tech_fair"]
        if fair_sites and not verb_shared:
            if fairs:
                places = "; ".join(
                    self._(
                        "%(day)s at %(site)s", day=self.day(e.date), site=e.location or self._("the office")
                    )
                    for e in fairs
                )
                lines.append(
                    self._(
                        "IT staff will be at the IT tech fair to help you set up your devices: %(places)s. "
                        "Bring your devices, charged, and your work account's password.",
                        places=places,
                    )
                )
            else:
                lines.append(
                    self._(
                        "The IT tech fair days are over: if you could not come, contact the helpdesk and "
                        "IT will help you."
                    )
                )
        assisted = [p for p in found.placements if p.enrollment == "assisted"]
        if assisted and not verb_shared:
            sites = list(dict.fromkeys(s for p in assisted for s in p.locations))
            where = " " + self._("(at %(sites)s)", sites=self.listing(sites)) if fair_sites and sites else ""
            if kind == "reminder":
                lines.append(
                    self._(
                        "If you have not been offered a time yet, or could not come to yours, contact IT "
                        "to get one%(where)s.",
                        where=where,
                    )
                )
            else:
                lines.append(
                    self._(
                        "IT staff will set up your devices with you at an appointment within these "
                        "dates%(where)s: IT will offer you a time. Bring your devices and your work "
                        "account's password.",
                        where=where,
                    )
                )
        return lines

    def privacy(self, found: _Round) -> list[str]:
        personal = [m for m in found.methods if m.ownership == "personal"]
        if not personal:
            return []
        enrolled = [m for m in personal if METHODS[m.method].enrolls]
        protected = [m for m in personal if not METHODS[m.method].enrolls]
        paragraphs = [self._("Your privacy on your own devices")]
        if enrolled:
            paragraphs.append(
                self._(
                    "On a device of your own that you enroll, IT can never see your calls or browsing "
                    "history, your e-mail and text messages, your contacts, calendar or passwords, your "
                    "photos, or what your own documents contain. IT cannot see where the device is."
                )
            )
            full = [m for m in enrolled if m.method not in user_steps.NO_HARDWARE_IDS]
            apple_user = [m for m in enrolled if m.method in user_steps.NO_HARDWARE_IDS]
            if full:
                paragraphs.append(
                    self._(
                        "On your own %(platforms)s devices, IT can see the device's owner and name, its "
                        "model and manufacturer, its serial number and IMEI, its operating system and "
                        "version, on a phone the last four digits of its number, and the apps the "
                        "organisation manages on it (not your own apps).",
                        platforms=self.platforms(full),
                    )
                )
            if apple_user:
                paragraphs.append(
                    self._(
                        "On your own %(platforms)s devices, where you sign in under Settings, work apps and "
                        "data are kept apart from yours: IT sees the work part only, and Intune does not "
                        "collect the device's serial number, IMEI or phone number, nor the apps outside the "
                        "work part.",
                        platforms=self.platforms(apple_user),
                    )
                )
            part_only = [m for m in enrolled if m.method in user_steps.WORK_PART_ONLY]
            wipeable = [m for m in enrolled if m.method not in user_steps.WORK_PART_ONLY]
            if part_only:
                paragraphs.append(
                    self._(
                        "On your own %(platforms)s devices, IT can remove only the work part: the "
                        "organisation's apps and data. Your own stays.",
                        platforms=self.platforms(part_only),
                    )
                )
            if wipeable:
                paragraphs.append(
                    self._(
                        "On your own %(platforms)s devices, Intune would let IT erase the whole device, but "
                        "%(organisation)s commits to removing only its own apps and data (Intune's retire), "
                        "never to erasing a device of yours, also when you leave or lose it.",
                        platforms=self.platforms(wipeable),
                        organisation=self.organisation,
                    )
                )
        if protected:
            paragraphs.append(
                self._(
                    "On your own %(platforms)s devices, only the work apps are protected: IT does not "
                    "manage the device itself. IT sees only what the work apps report about "
                    "themselves (the app and its version, the device's model and operating system, and "
                    "whether the protection applies), never your personal apps, files, photos, messages or "
                    "browsing. IT can remove the organisation's data from the work apps, and nothing else.",
                    platforms=self.platforms(protected),
                )
            )
        paragraphs.append(
            self._(
                "Microsoft explains what an organisation can and cannot see: %(link)s", link=PRIVACY_SOURCE
            )
        )
        return paragraphs

    def body(self, kind: MessageKind, found: _Round, sent_on: str) -> str:
        mode = found.mode
        start = self.day(found.day("enrollment_start") or found.events[0].date)
        end = self.day(found.day("enrollment_end") or found.events[-1].date)
        instructions = self.day(found.day("instructions") or found.events[0].date)
        approaches = {p.enrollment for p in found.placements} or {"self_service"}
        values = {"start": start, "end": end, "organisation": self.organisation}
        parts: list[str] = [self._("Hello,")]
        if kind == "announce":
            parts.append(self._(_LEADS[mode], **values))
            parts.extend(self.pilot_line(found))
            parts.extend(self.cohort(found))
            if mode == "shared":
                parts.append(self._("IT sets them up between %(start)s and %(end)s.", **values))
            else:
                parts.append(
                    self._(
                        "You do it between %(start)s and %(end)s. The instructions follow by e-mail on "
                        "%(instructions)s; until then there is nothing to do.",
                        instructions=instructions,
                        **values,
                    )
                )
            parts.append("\n".join([self._("The devices this concerns:"), *self.method_lines(found)]))
            parts.extend(self.reset_lines(found, approaches))
            parts.extend(self.approach_lines(found, kind, sent_on))
            parts.extend(self.privacy(found))
        elif kind == "instructions":
            parts.append(self._(_OPENINGS[mode], **values))
            parts.extend(self.cohort(found))
            parts.extend(self.reset_lines(found, approaches))
            if mode != "shared":
                parts.append(
                    self._(
                        "Before you start, make sure you know your work account's password, have the "
                        "phone you approve sign-ins with at hand, and that the device is charged and "
                        "connected to the internet."
                    )
                )
            parts.extend(self.step_blocks(found))
            parts.extend(self.approach_lines(found, kind, sent_on))
            parts.extend(self.privacy(found))
        elif kind == "reminder":
            parts.append(self._(_REMINDERS[mode], instructions=instructions, **values))
            parts.extend(self.cohort(found))
            parts.append("\n".join(self.method_lines(found)))
            parts.extend(self.approach_lines(found, kind, sent_on))
        else:
            parts.append(self._(_FOLLOW_UPS[mode], **values))
            parts.extend(self.cohort(found))
            parts.append(
                self._(
                    "Please tell us how it went: %(survey)s. It takes a few minutes and helps us before "
                    "the next groups.",
                    survey=self._(SURVEY_PLACEHOLDER),
                )
            )
        parts.append(self.help_line())
        parts.append(self._("Kind regards,\nIT, %(organisation)s", organisation=self.organisation))
        return "\n\n".join(parts) + "\n"

    def subject(self, kind: MessageKind, found: _Round) -> str:
        return self._(
            _SUBJECTS[found.mode][kind],
            start=self.day(found.day("enrollment_start") or found.events[0].date),
            end=self.day(found.day("enrollment_end") or found.events[-1].date),
        )


_LEADS = {
    "enroll": N_(
        "From %(start)s, %(organisation)s sets up the devices you use for work with Microsoft Intune. "
        "Intune keeps the organisation's apps, e-mail and data protected, applies the same security "
        "settings everywhere, and lets IT help you faster when something goes wrong."
    ),
    "apps": N_(
        "From %(start)s, %(organisation)s protects its apps and data on your own devices: you sign in "
        "to the work apps, such as Outlook, Teams and Microsoft Edge, with your work account, and the "
        "apps keep the organisation's data protected. Your device itself is not managed: IT does not "
        "set it up or control it."
    ),
    "shared": N_(
        "From %(start)s, IT sets up the shared devices you use at work with Microsoft Intune, so that "
        "they have the apps and settings for your work and stay protected. You do not need to set "
        "anything up yourself."
    ),
}
_OPENINGS = {
    "enroll": N_("Enrollment of your devices opens on %(start)s and closes on %(end)s. Here is what to do:"),
    "apps": N_("From %(start)s to %(end)s, set up the work apps on your devices. Here is what to do:"),
    "shared": N_(
        "IT sets up the shared devices between %(start)s and %(end)s. Here is what changes when you "
        "pick one up:"
    ),
}
_REMINDERS = {
    "enroll": N_(
        "Enrollment of your devices closes on %(end)s. If you have enrolled them already, thank you: "
        "there is nothing more to do. If not, please do it before then, as the instructions of "
        "%(instructions)s describe:"
    ),
    "apps": N_(
        "The work apps must be set up by %(end)s. If you have done it already, thank you: there is "
        "nothing more to do. If not, please do it before then, as the instructions of %(instructions)s "
        "describe:"
    ),
    "shared": N_(
        "IT finishes setting up the shared devices on %(end)s. You do not need to do anything: here is "
        "what this concerns:"
    ),
}
_FOLLOW_UPS = {
    "enroll": N_(
        "Enrollment of your devices closed on %(end)s. Thank you to everyone who enrolled. If a "
        "device of yours is not enrolled yet, or something no longer works as it did, tell us so that "
        "we can help."
    ),
    "apps": N_(
        "Setting up the work apps closed on %(end)s. Thank you to everyone who did it. If a work app "
        "does not open your work data yet, or something no longer works as it did, tell us so that we "
        "can help."
    ),
    "shared": N_(
        "IT finished setting up the shared devices on %(end)s. If a shared device does not work as it "
        "should, tell us so that we can help."
    ),
}


def drafts(plan: Plan, assessment: Assessment, language: Language) -> list[Draft]:
    """Every message of every group for every phase it enrolls in, in `language` (the plan's own:
    the users' steps come from it), in the order they go out; the organisation's own wording where
    it has one. A round of shared devices only has no reminder: its users have nothing to do."""
    if plan.language != language:
        raise ValueError(f"the plan is in '{plan.language}', not '{language}'")
    writer = _Writer(plan, assessment, language)
    edits = {edit_key(edit): edit for edit in assessment.messages}  # the last of a key counts
    made: list[Draft] = []
    for key, events in _enrolments(plan).items():
        found = _round(plan, assessment, key, events)
        title = _phase_title(plan, found.phase, found.number)
        for kind in MESSAGE_KINDS:
            day = found.day(kind)
            if not day or (kind == "reminder" and found.mode == "shared"):
                continue
            draft = Draft(
                group=found.group.id,
                group_name=found.group.name,
                phase=found.phase,
                number=found.number,
                phase_title=title,
                kind=kind,
                language=language,
                send_on=day,
                subject=writer.subject(kind, found),
                body=writer.body(kind, found, day),
            )
            edit = edits.get(draft_key(draft))
            if edit is not None:
                draft = draft.model_copy(update={"subject": edit.subject, "body": edit.body, "edited": True})
            made.append(draft)
    made.sort(key=lambda d: (d.send_on, MESSAGE_KINDS.index(d.kind)))
    return made


def orphaned(plan: Plan, assessment: Assessment) -> list[MessageEdit]:
    """The organisation's wording for a group and phase the plan no longer enrolls, in any
    language: kept in the assessment, used by no draft."""
    enrolled = set(_enrolments(plan))
    return [e for e in assessment.messages if (e.group, e.phase.phase, e.phase.number) not in enrolled]


def to_markdown(found: Iterable[Draft], organisation: str, language: Language) -> str:
    """Every draft as one Markdown document, by phase and group, each with its day and subject
    (names and subjects shown as written, never as Markdown; a body is the message's own text)."""
    heading = gettext("Messages to the users: %(organisation)s", language, organisation=organisation)
    lines = [f"# {markdown_text(heading)}", ""]
    ordered = sorted(found, key=lambda d: (d.send_on, MESSAGE_KINDS.index(d.kind)))
    for phase_title in dict.fromkeys(d.phase_title for d in ordered):
        lines += [f"## {markdown_text(phase_title)}", ""]
        in_phase = [d for d in ordered if d.phase_title == phase_title]
        for group_name in dict.fromkeys(d.group_name for d in in_phase):
            lines += [f"### {markdown_text(group_name)}", ""]
            for draft in (d for d in in_phase if d.group_name == group_name):
                label = event_name(draft.kind, language)
                when = gettext("send on %(day)s", language, day=day_name(draft.send_on, language))
                edited = " (" + gettext("edited", language) + ")" if draft.edited else ""
                lines += [
                    f"#### {label}: {when}{edited}",
                    "",
                    "**" + gettext("Subject", language) + f":** {markdown_text(draft.subject)}",
                    "",
                    draft.body.rstrip("\n"),
                    "",
                ]
    return "\n".join(lines).rstrip("\n") + "\n"


def to_eml(draft: Draft, sender: str | None = None) -> bytes:
    """The draft as an e-mail a mail client opens as a draft to send (`X-Unsent: 1`). It has no
    recipient: the group's address list is the organisation's to add; its date is the send day."""
    message = EmailMessage(policy=SMTP)
    # A header is one line: line and paragraph separators (which free text may hold) become spaces.
    message["Subject"] = re.sub(r"[\r\n\u2028\u2029\u0085]+", " ", draft.subject)
    if sender:
        message["From"] = sender
    year, month, day = (int(part) for part in draft.send_on.split("-"))
    message["Date"] = format_datetime(datetime(year, month, day, 9, 0))  # 09:00, zone not known
    message["X-Unsent"] = "1"
    message["Content-Language"] = draft.language
    message.set_content(draft.body, subtype="plain", charset="utf-8", cte="quoted-printable")
    return message.as_bytes()


def eml_name(draft: Draft) -> str:
    """A safe file name for the draft: its day, phase, group and kind (the group id is a slug)."""
    phase = draft.phase.replace("_", "-") + (f"-{draft.number}" if draft.number else "")
    return f"{draft.send_on}-{phase}-{draft.group}-{draft.kind.replace('_', '-')}.eml"


def to_zip(found: Iterable[Draft], sender: str | None = None) -> bytes:
    """Every draft as an `.eml` file in one zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for draft in found:
            archive.writestr(eml_name(draft), to_eml(draft, sender))
    return buffer.getvalue()
