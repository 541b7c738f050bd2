"""The messages IT sends each group for each phase it enrolls in, drafted from the plan's calendar:
what changes and why, when, what the user does on each kind of device, what IT can and cannot see
on a personal device, and where to get help. An organisation's own wording (`messages` in the
assessment) replaces a draft; wording whose group or phase the plan no longer has is reported,
never dropped. Written as Markdown (one document) and as e-mail drafts (`.eml`, one per message,
zipped for an assessment)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from pydantic import BaseModel, ConfigDict

from advisor.model.facts import Assessment, MessageEdit
from advisor.model.i18n import N_, gettext
from advisor.model.plan import Event, GroupPlan, MethodChoice, Plan
from advisor.model.vocabulary import (
    MESSAGE_KINDS,
    Approach,
    Language,
    MessageKind,
    PhaseKind,
    day_name,
    event_name,
    term,
)

# Microsoft's page for users on what an organisation can and cannot see on an enrolled device; the
# privacy paragraph below says the same in our words.
PRIVACY_SOURCE = (
    "https://learn.microsoft.com/mem/intune/user-help/"
    "what-info-can-your-company-see-when-you-enroll-your-device-in-intune"
)

_SUBJECTS: dict[MessageKind, str] = {
    "announce": N_("Your work devices move to Microsoft Intune from %(start)s"),
    "instructions": N_("How to enroll your devices in Intune, %(start)s to %(end)s"),
    "reminder": N_("Reminder: enroll your devices by %(end)s"),
    "follow_up": N_("Intune enrollment: thank you, and tell us how it went"),
}
HELP_PLACEHOLDER = N_("[where to get help]")
SURVEY_PLACEHOLDER = N_("[link to the feedback survey]")


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


def _approach(group: GroupPlan, phase: PhaseKind, number: int | None) -> Approach:
    for placement in group.placements:
        if placement.phase == phase and placement.number == number:
            return placement.enrollment
    return "self_service"


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

    def help_line(self) -> str:
        where = self.contact or self._(HELP_PLACEHOLDER)
        return gettext("Questions or problems? Contact %(contact)s.", self.language, contact=where)

    def method_lines(self, group: GroupPlan, *, brief: bool = False) -> list[str]:
        lines = []
        for choice in group.methods:
            platform = term(choice.platform, self.language)
            device = (
                gettext("%(platform)s, devices the organisation owns", self.language, platform=platform)
                if choice.ownership == "corporate"
                else gettext("%(platform)s, your own devices", self.language, platform=platform)
            )
            name = term(choice.method, self.language)
            if brief or not choice.experience:
                lines.append(f"- {device}: {name}.")
            else:
                lines.append(f"- {device}: {name}. {choice.experience}")
        return lines

    def privacy(self, methods: Sequence[MethodChoice]) -> list[str]:
        personal = [m for m in methods if m.ownership == "personal"]
        if not personal:
            return []
        enrolled = [m for m in personal if not m.method.endswith("_app_protection")]
        paragraphs = [gettext("Your privacy on your own devices", self.language)]
        if enrolled:
            paragraphs.append(
                gettext(
                    "When you enroll a device of your own, IT cannot see your personal content on it: "
                    "not your photos, messages, personal e-mail, contacts, calendar, files or passwords, "
                    "and not your call or browsing history. IT can see what managing the device needs: "
                    "who owns it, its name, model, manufacturer and serial number, its operating system "
                    "and version, and the apps the organisation manages on it, not your personal apps. "
                    "If you leave, or the device is lost, IT removes only the organisation's apps and "
                    "data from it, never your own.",
                    self.language,
                )
            )
        if len(enrolled) < len(personal):
            paragraphs.append(
                gettext(
                    "Where only the work apps are protected (app protection), your device is not "
                    "enrolled at all: IT sees only the work apps and the work data in them, never your "
                    "personal apps, photos, messages or browsing history, and can remove only that "
                    "work data.",
                    self.language,
                )
            )
        paragraphs.append(
            gettext(
                "Microsoft explains what an organisation can and cannot see: %(link)s",
                self.language,
                link=PRIVACY_SOURCE,
            )
        )
        return paragraphs

    def approach_lines(self, approach: Approach, events: Sequence[Event], kind: MessageKind) -> list[str]:
        if approach == "tech_fair":
            fairs = [e for e in events if e.kind == "tech_fair"]
            places = [
                gettext(
                    "%(day)s at %(site)s",
                    self.language,
                    day=self.day(e.date),
                    site=e.location or gettext("the office", self.language),
                )
                for e in fairs
            ]
            return [
                gettext(
                    "IT staff will be at the IT tech fair to enroll your devices with you: %(places)s. "
                    "Bring your devices, charged, and your work account's password.",
                    self.language,
                    places="; ".join(places),
                )
            ]
        if approach == "assisted":
            if kind == "reminder":
                return [
                    gettext(
                        "If you have not had your appointment yet, book one with IT now: IT staff "
                        "enroll your devices with you.",
                        self.language,
                    )
                ]
            return [
                gettext(
                    "IT staff will enroll your devices with you at an appointment within these dates; "
                    "you will be offered a time. Bring your devices and your work account's password.",
                    self.language,
                )
            ]
        return []

    def body(
        self, kind: MessageKind, group: GroupPlan, approach: Approach, events: Sequence[Event], title: str
    ) -> str:
        dates = {e.kind: e.date for e in reversed(events)}  # the first of each kind
        start = self.day(dates.get("enrollment_start", events[0].date))
        end = self.day(dates.get("enrollment_end", events[-1].date))
        values = {"start": start, "end": end, "organisation": self.organisation, "phase": title}
        parts: list[str] = [gettext("Hello,", self.language)]
        if kind == "announce":
            parts.append(
                gettext(
                    "From %(start)s, %(organisation)s manages the devices you use for work with "
                    "Microsoft Intune. Intune keeps the organisation's apps, e-mail and data protected "
                    "on every device, applies the same security settings everywhere, and lets IT help "
                    "you faster when something goes wrong. Your group enrolls in this phase of the "
                    "rollout: %(phase)s.",
                    self.language,
                    **values,
                )
            )
            parts.append(
                gettext(
                    "Your enrollment window runs from %(start)s to %(end)s. The instructions follow by "
                    "e-mail on %(instructions)s; until then there is nothing to do.",
                    self.language,
                    instructions=self.day(dates.get("instructions", events[0].date)),
                    **values,
                )
            )
            parts.append(
                "\n".join(
                    [gettext("What you will do:", self.language), *self.method_lines(group, brief=True)]
                )
            )
            parts.extend(self.approach_lines(approach, events, kind))
            parts.extend(self.privacy(group.methods))
        elif kind == "instructions":
            parts.append(
                gettext(
                    "Enrollment of your devices in Microsoft Intune opens on %(start)s and closes on "
                    "%(end)s. Here is what to do on each kind of device:",
                    self.language,
                    **values,
                )
            )
            parts.append("\n".join(self.method_lines(group)))
            parts.extend(self.approach_lines(approach, events, kind))
            parts.append(
                gettext(
                    "Before you start, make sure you know your work account's password and that the "
                    "device is charged and connected to the internet.",
                    self.language,
                )
            )
            parts.extend(self.privacy(group.methods))
        elif kind == "reminder":
            parts.append(
                gettext(
                    "Enrollment of your devices in Microsoft Intune closes on %(end)s. If you have "
                    "enrolled them already, thank you: there is nothing more to do. If not, please "
                    "enroll them before then, as the instructions of %(instructions)s describe:",
                    self.language,
                    instructions=self.day(dates.get("instructions", events[0].date)),
                    **values,
                )
            )
            parts.append("\n".join(self.method_lines(group, brief=True)))
            parts.extend(self.approach_lines(approach, events, kind))
        else:
            parts.append(
                gettext(
                    "Enrollment of your devices in Microsoft Intune closed on %(end)s. Thank you to "
                    "everyone who enrolled. If a device of yours is not enrolled yet, or something no "
                    "longer works as it did, tell us so that we can help.",
                    self.language,
                    **values,
                )
            )
            parts.append(
                gettext(
                    "Please tell us how it went: %(survey)s. It takes a few minutes and helps us "
                    "before the next groups enroll.",
                    self.language,
                    survey=self._(SURVEY_PLACEHOLDER),
                )
            )
        parts.append(self.help_line())
        parts.append(
            gettext("Kind regards,\nIT, %(organisation)s", self.language, organisation=self.organisation)
        )
        return "\n\n".join(parts) + "\n"

    def subject(self, kind: MessageKind, events: Sequence[Event]) -> str:
        dates = {e.kind: e.date for e in reversed(events)}
        return self._(
            _SUBJECTS[kind],
            start=self.day(dates.get("enrollment_start", events[0].date)),
            end=self.day(dates.get("enrollment_end", events[-1].date)),
        )


def drafts(plan: Plan, assessment: Assessment, language: Language) -> list[Draft]:
    """Every message of every group for every phase it enrolls in, in `language` (the plan's own:
    the users' steps come from it), in the order they go out; the organisation's own wording where
    it has one."""
    if plan.language != language:
        raise ValueError(f"the plan is in '{plan.language}', not '{language}'")
    writer = _Writer(plan, assessment, language)
    edits = {edit_key(edit): edit for edit in assessment.messages}  # the last of a key counts
    made: list[Draft] = []
    for (group_id, phase, number), events in _enrolments(plan).items():
        group = plan.group(group_id)
        title = _phase_title(plan, phase, number)
        approach = _approach(group, phase, number)
        for kind in MESSAGE_KINDS:
            day = next((e.date for e in events if e.kind == kind), None)
            if day is None:
                continue
            draft = Draft(
                group=group_id,
                group_name=group.name,
                phase=phase,
                number=number,
                phase_title=title,
                kind=kind,
                language=language,
                send_on=day,
                subject=writer.subject(kind, events),
                body=writer.body(kind, group, approach, events, title),
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
    """Every draft as one Markdown document, by phase and group, each with its day and subject."""
    heading = gettext("Messages to the users: %(organisation)s", language, organisation=organisation)
    lines = [f"# {heading}", ""]
    ordered = sorted(found, key=lambda d: (d.send_on, MESSAGE_KINDS.index(d.kind)))
    for phase_title in dict.fromkeys(d.phase_title for d in ordered):
        lines += [f"## {phase_title}", ""]
        in_phase = [d for d in ordered if d.phase_title == phase_title]
        for group_name in dict.fromkeys(d.group_name for d in in_phase):
            lines += [f"### {group_name}", ""]
            for draft in (d for d in in_phase if d.group_name == group_name):
                label = event_name(draft.kind, language)
                when = gettext("send on %(day)s", language, day=day_name(draft.send_on, language))
                edited = " (" + gettext("edited", language) + ")" if draft.edited else ""
                lines += [
                    f"#### {label}: {when}{edited}",
                    "",
                    "**" + gettext("Subject", language) + f":** {draft.subject}",
                    "",
                    draft.body.rstrip("\n"),
                    "",
                ]
    return "\n".join(lines).rstrip("\n") + "\n"


def to_eml(draft: Draft, sender: str | None = None) -> bytes:
    """The draft as an e-mail a mail client opens as a draft to send (`X-Unsent: 1`). It has no
    recipient: the group's address list is the organisation's to add; its date is the send day."""
    message = EmailMessage(policy=SMTP)
    message["Subject"] = draft.subject
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
