"""The plan's calendar as an iCalendar file (RFC 5545), written by the `icalendar` library: one
all-day event per event of `Plan.calendar`, which a calendar program imports, and imports again
after the plan changes without doubling what it already holds."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from advisor.model.i18n import N_, gettext
from advisor.model.plan import Event, Plan
from advisor.model.vocabulary import event_name, term
from advisor.output.escape import calendar_text
from advisor.output.render import Names, word

PRODUCT = "Rollout Advisor"
_GROUP = N_("Group")


def event_uid(plan: Plan, event: Event, occurrence: int) -> str:
    """An event's UID: the same for the same step of the same organisation's rollout, so that a
    calendar updates it on the next import. Made of what the step is (organisation, kind, phase,
    group, site) and which of such steps it is (the first announcement or the second), never of
    its date: a step that a no-go moves keeps its UID, and a calendar moves it rather than keep
    the old day beside the new one."""
    key = [plan.organisation, event.kind, event.phase, event.number, event.group, event.location]
    digest = hashlib.sha256(json.dumps([*key, occurrence], ensure_ascii=False).encode()).hexdigest()
    return f"{digest[:32]}@rollout-advisor"


def _description(plan: Plan, event: Event, names: Names) -> str:
    """The event's text, then its phase and group; a gate's exit criteria after them."""
    language = plan.language
    lines = [event.text, "", f"{term('phase', language)}: {names.phase(event.phase, event.number)}"]
    if event.group is not None:
        lines.append(f"{gettext(_GROUP, language)}: {names.group(event.group)}")
    if event.kind == "gate":
        after = (event.phase, event.number)
        gate = next((g for g in plan.gates if (g.after.phase, g.after.number) == after), None)
        if gate is not None:
            lines += ["", f"{word('criteria', language)}:", *(f"- {c.text}" for c in gate.criteria)]
    return "\n".join(lines)


def to_ics(plan: Plan) -> bytes:
    """The calendar as iCalendar bytes (UTF-8, CRLF line ends, long lines folded by the library)."""
    language = plan.language
    calendar = Calendar()
    calendar.add("prodid", f"-//{PRODUCT}//Rollout plan//{language.upper()}")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", calendar_text(word("plan_for", language, name=plan.organisation)))
    stamp = datetime.now(UTC).replace(microsecond=0)
    names = Names(plan)
    seen: Counter[tuple[object, ...]] = Counter()
    for event in plan.calendar:
        key = (event.kind, event.phase, event.number, event.group, event.location)
        occurrence = seen[key]
        seen[key] += 1
        day = date.fromisoformat(event.date)
        entry = CalendarEvent()
        entry.add("uid", event_uid(plan, event, occurrence))
        entry.add("dtstamp", stamp)
        entry.add("dtstart", day)
        entry.add("dtend", day + timedelta(days=1))  # all day: DTEND is the next day, exclusive
        entry.add("summary", calendar_text(event.title))
        entry.add("description", calendar_text(_description(plan, event, names)))
        if event.location:
            entry.add("location", calendar_text(event.location))
        entry.add("categories", [calendar_text(event_name(event.kind, language))])
        entry.add("transp", "TRANSPARENT")  # a day's step, not a meeting that fills the day
        calendar.add_component(entry)
    written: bytes = calendar.to_ical()
    return written
