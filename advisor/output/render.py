"""The plan as people read it: the guide's phases × months table, each group's enrollment methods,
the prerequisites checklist, the calendar, the go/no-go gates and the helpdesk's weekly load; as
text, Markdown, CSV and JSON."""

from __future__ import annotations

import csv
import io
from typing import NamedTuple
from urllib.parse import quote

from advisor.model.guide import source_links
from advisor.model.i18n import N_, gettext, ngettext
from advisor.model.plan import (
    Entry,
    Event,
    Gate,
    GateCriterion,
    GateDecision,
    MethodAlternative,
    MethodChoice,
    Placement,
    Plan,
    Prerequisite,
    Reason,
    ReviewState,
    Standing,
    WeekLoad,
    add_months,
)
from advisor.model.vocabulary import (
    APPROACHES,
    Language,
    PhaseKind,
    Provenance,
    day_name,
    month_name,
    origin,
    term,
)
from advisor.output.escape import markdown_text, spreadsheet_rows

# Words of the plan by key (the English is the catalogue's message id, advisor/model/i18n.py).
_WORDS: dict[str, str] = {
    "plan_for": N_("Rollout plan for %(name)s"),
    "split": N_("Production phases split by %(value)s"),
    "warnings": N_("Warnings"),
    "groups": N_("Groups"),
    "why": N_("Why"),
    "not": N_("Why not %(approach)s"),
    # A warning's kind, as the plan page labels it.
    "tension": N_("Tension"),
    "info": N_("Note"),
    "warning": N_("Warning"),
    "methods": N_("Enrollment methods"),
    "prerequisites": N_("Prerequisites"),
    "not_method": N_("Why not %(method)s"),
    # An alternative no rule argues against: the rulebook never picks it for these devices.
    "no_rule": N_("No rule of the rulebook chooses it for these devices."),
    "every_group": N_("every group"),
    "due": N_("due %(date)s"),
    "needed_by": N_("for %(groups)s"),
    "reset": N_("reset: %(answer)s"),
    "reset_required": N_("yes, devices in use are wiped"),
    "affinity": N_("user affinity: %(answer)s"),
    "calendar": N_("Calendar"),
    "gates": N_("Go/no-go gates"),
    "support_load": N_("Helpdesk load per week"),
    "criteria": N_("Exit criteria"),
    "rollback": N_("Rollback if the gate says no-go"),
    "decisions": N_("Decisions"),
    "no_decision": N_("No decision recorded yet."),
    # A gate's heading: its date, the phase it closes and the one it lets start.
    "gate_between": N_("%(date)s: after %(after)s, before %(before)s"),
    "gate_after": N_("%(date)s: after %(after)s"),
    "decided": N_("%(outcome)s, decided by %(by)s on %(on)s"),
    "at_least": N_("at least"),
    "at_most": N_("at most"),
    # Where the plan's review stood when it was downloaded (the site knows; the command line not).
    "status": N_("Status: %(status)s, version %(version)s."),
    "status_signed": N_("Status: signed off by %(by)s on %(on)s, version %(version)s."),
    "status_replanned": N_(
        "Status: version %(signed)s was signed off by %(by)s on %(on)s; this plan is of version "
        "%(version)s, made after the sign-off."
    ),
}
# The review statuses, as the site's pages name them.
STATUS_NAMES: dict[ReviewState, str] = {
    "draft": N_("Draft"),
    "in_review": N_("Waiting for review"),
    "changes_requested": N_("Sent back"),
    "signed_off": N_("Signed off"),
}
# The Markdown's calendar table (the XLSX sheet has more columns: export.py's CALENDAR_COLUMNS).
MARKDOWN_CALENDAR_COLUMNS = (N_("Date"), N_("Event"), N_("Phase"), N_("Site"), N_("What happens"))
# The helpdesk's load, a row per week (its Monday), in the Markdown and the XLSX alike.
SUPPORT_LOAD_COLUMNS = (
    N_("Week of"),
    N_("Load (users)"),
    N_("Capacity (users)"),
    N_("Share of capacity (%)"),
    N_("Groups"),
)
# The CSV's header, a column at a time. One file, three kinds of row, named by the first column so
# that a spreadsheet can filter them: a placement (a group in a phase: phase to rules), a method (a
# group's devices of one platform and owner: group, name, platforms, devices, rules and ownership to
# provenance, the reasons' texts in `text`), a prerequisite (the groups needing it in group and
# name, its code in `prerequisites`, then due, text, source and provenance) and a warning (its group
# in group and name, its rule in `rules`, then text, source, provenance, its kind and its code).
CSV_ROWS = {
    "placement": N_("placement"),
    "method": N_("method"),
    "prerequisite": N_("prerequisite"),
    "warning": N_("warning"),
}
CSV_COLUMNS = (
    N_("row"),
    N_("phase"),
    N_("number"),
    N_("month"),
    N_("group"),
    N_("name"),
    N_("users"),
    N_("enrollment"),
    N_("platforms"),
    N_("sites"),
    N_("devices"),
    N_("rules"),
    N_("ownership"),
    N_("method"),
    N_("reset"),
    N_("user affinity"),
    N_("prerequisites"),
    N_("due"),
    N_("text"),
    N_("source"),
    N_("provenance"),
    N_("kind"),
    N_("code"),
)


def word(key: str, language: Language, **values: object) -> str:
    return gettext(_WORDS[key], language, **values)


def standing_line(standing: Standing, language: Language) -> str:
    """Where the plan's review stands, in a sentence: "Status: signed off by lead on 25 November
    2026, version 3."; a plan made after its sign-off says which version was signed off."""
    if standing.signed_by is not None and standing.signed_on is not None:
        on = day_name(standing.signed_on, language)
        if standing.signed_version not in (None, standing.version):
            return word(
                "status_replanned",
                language,
                signed=standing.signed_version,
                by=standing.signed_by,
                on=on,
                version=standing.version,
            )
        return word("status_signed", language, by=standing.signed_by, on=on, version=standing.version)
    status = gettext(STATUS_NAMES[standing.status], language)
    return word("status", language, status=status, version=standing.version)


def made_with(plan: Plan) -> str:
    """The plan's last line: which rulebook made it, and how many rules it has."""
    return ngettext(
        "Rulebook version %(version)s (%(num)d rule)",
        "Rulebook version %(version)s (%(num)d rules)",
        plan.rulebook.rules,
        plan.language,
        version=plan.rulebook.version,
    )


def users(count: int, language: Language) -> str:
    """A count of users in words: "1 user", "3 users"."""
    return ngettext("%(num)d user", "%(num)d users", count, language)


def devices(count: int, language: Language) -> str:
    """A count of devices in words: "1 device", "130 devices"."""
    return ngettext("%(num)d device", "%(num)d devices", count, language)


def platforms(item: Entry | Placement, language: Language) -> str:
    """The platforms a placement enrolls, by their localized names ("Windows, iOS/iPadOS")."""
    return ", ".join(term(platform, language) for platform in item.platforms)


def enrolls(item: Entry | Placement, language: Language) -> str:
    """What a placement enrolls in a few words: "iOS/iPadOS · Umeå, Luleå · 130 devices".

    Sites as written (the caller escapes them for its format); what a plan saved before
    placements said so lacks is left out, so that such a plan shows "" here.
    """
    parts = [platforms(item, language), ", ".join(item.locations)]
    if item.devices is not None:
        parts.append(devices(item.devices, language))
    return " · ".join(part for part in parts if part)


def yes_no(answer: bool, language: Language) -> str:
    return term("yes" if answer else "no", language)


def reset_word(choice: MethodChoice, language: Language) -> str:
    """Whether enrolling wipes the devices, said plainly when it does."""
    return word("reset_required", language) if choice.reset_required else term("no", language)


def kind_of(choice: MethodChoice, language: Language) -> str:
    """Which of a group's devices a method enrolls: "iOS/iPadOS, corporate"."""
    return f"{term(choice.platform, language)}, {term(choice.ownership, language)}"


def method_summary(choice: MethodChoice, language: Language) -> str:
    """A method in one line: "iOS/iPadOS, corporate: Apple automated device enrollment (iOS/iPadOS);
    500 devices; reset: yes, devices in use are wiped; user affinity: yes"."""
    return "; ".join(
        (
            f"{kind_of(choice, language)}: {term(choice.method, language)}",
            devices(choice.devices, language),
            word("reset", language, answer=reset_word(choice, language)),
            word("affinity", language, answer=yes_no(choice.user_affinity, language)),
        )
    )


def why_not_method(alternative: MethodAlternative, language: Language) -> str:
    """The heading of an alternative method: "Why not Shared iPad"."""
    return word("not_method", language, method=term(alternative.method, language))


def needed_by(prerequisite: Prerequisite, plan: Plan) -> str:
    """The groups a prerequisite is for, by name ("IT, HR"); "every group" when every rollout needs it."""
    names = {g.id: g.name for g in plan.groups}
    if not prerequisite.groups:
        return word("every_group", plan.language)
    return ", ".join(names.get(group, group) for group in prerequisite.groups)


class Shown(NamedTuple):
    """One group in a cell of the guide's table: its name, its users and what it enrolls."""

    name: str
    users: str  # "50 users"
    what: str  # enrolls(): "" for a plan saved before placements said so

    def __str__(self) -> str:
        return f"{self.name} ({self.users}; {self.what})" if self.what else f"{self.name} ({self.users})"


def months(plan: Plan) -> list[str]:
    """Every month from the first phase to the last, empty months included."""
    if not plan.phases:
        return []
    first, last = plan.phases[0].month, plan.phases[-1].month
    out = [first]
    while out[-1] != last:
        out.append(add_months(out[-1], 1))
    return out


def table_cells(plan: Plan) -> tuple[list[str], list[tuple[str, list[list[Shown]]]]]:
    """The guide's table: a row per phase and enrollment approach, a column per month; each row
    its title and, per month, the groups it enrolls then."""
    language = plan.language
    names = {g.id: g.name for g in plan.groups}
    columns = months(plan)
    header = [term("phase", language), *(month_name(m, language) for m in columns)]
    held: dict[str, tuple[set[str], set[str]]] = {
        g.id: (
            {str(x) for p in g.placements for x in p.platforms},
            {x for p in g.placements for x in p.locations},
        )
        for g in plan.groups
    }
    rows = []
    for phase in plan.phases:
        for approach in APPROACHES:
            entries = [e for e in phase.entries if e.enrollment == approach]
            if not entries:
                continue
            cells: list[list[Shown]] = [[] for _ in columns]
            cells[columns.index(phase.month)] = [
                Shown(names[e.group], users(e.users, language), _cut(e, plan, held, language))
                for e in entries
            ]
            rows.append((f"{phase.title} — {term(approach, language)}", cells))
    return header, rows


def _cut(entry: Entry, plan: Plan, held: dict[str, tuple[set[str], set[str]]], language: Language) -> str:
    """What the table says an entry enrolls: its platforms when production is cut by platform or
    it holds some of the group's only, its sites likewise for geography; the rest (devices, a
    group's every platform) is in the group's own list, so the guide's table stays the guide's."""
    platforms_, sites = held.get(entry.group, (set(), set()))
    split = plan.split_by.value
    parts = []
    if entry.platforms and (split == "platform" or len(entry.platforms) < len(platforms_)):
        parts.append(platforms(entry, language))
    if entry.locations and (split == "geography" or len(entry.locations) < len(sites)):
        parts.append(", ".join(entry.locations))
    return " · ".join(parts)


def table_rows(plan: Plan) -> tuple[list[str], list[list[str]]]:
    """The guide's table as text, a cell a string: "HR (50 users; Windows · Umeå · 60 devices), …"."""
    header, rows = table_cells(plan)
    return header, [[title, *(", ".join(map(str, cell)) for cell in cells)] for title, cells in rows]


def to_table(plan: Plan) -> str:
    header, rows = table_rows(plan)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    out = [line(header), "-+-".join("-" * w for w in widths), *(line(r) for r in rows)]
    if plan.calendar:  # after the phases, a line a day's step: "2027-06-10  Helpdesk training"
        out += ["", word("calendar", plan.language) + ":"]
        out += [f"{event.date}  {event.title}" for event in plan.calendar]
    if plan.warnings:
        out += ["", word("warnings", plan.language) + ":"]
        language = plan.language
        out += [
            f"- [{word(w.severity, language)}] {_who(plan, w.group)}{w.text}{_noted(w.provenance, language)}"
            for w in plan.warnings
        ]
    return "\n".join(out + _methods_and_prerequisites(plan)) + "\n"


def _methods_and_prerequisites(plan: Plan) -> list[str]:
    """The text table's end: each group's methods, then what to set up by when."""
    language = plan.language
    out = []
    if any(group.methods for group in plan.groups):
        out += ["", word("methods", language) + ":"]
        for group in plan.groups:
            if group.methods:
                out.append(f"{group.name}:")
                out += [f"- {method_summary(m, language)}" for m in group.methods]
    if plan.prerequisites:
        out += ["", word("prerequisites", language) + ":"]
        out += [
            f"- [ ] {p.text} ({'; '.join(when_and_who(p, plan) + _said(p.provenance, language))})"
            for p in plan.prerequisites
        ]
    return out


def when_and_who(prerequisite: Prerequisite, plan: Plan) -> list[str]:
    """When a prerequisite is due and whom it is for: ["due 17 June 2027", "for IT, HR"]."""
    language = plan.language
    return [
        word("due", language, date=day_name(prerequisite.due, language)),
        word("needed_by", language, groups=needed_by(prerequisite, plan)),
    ]


def _said(provenance: Provenance | None, language: Language) -> list[str]:
    said = origin(provenance, language)
    return [said] if said else []


def _who(plan: Plan, group: str | None) -> str:
    return "" if group is None else f"{plan.group(group).name}: "


def limit(criterion: GateCriterion, language: Language) -> str:
    """Whether a measured figure must reach a criterion's threshold or stay at or under it."""
    return word("at_least" if criterion.at_least else "at_most", language)


class Names:
    """The plan's groups and phases by name, each found in a dictionary made once per export: a
    plan may hold a thousand groups and tens of thousands of events."""

    def __init__(self, plan: Plan) -> None:
        self.language = plan.language
        self._groups = {g.id: g.name for g in plan.groups}
        self._phases: dict[tuple[PhaseKind, int | None], str] = {}
        for shown in plan.phases:
            self._phases.setdefault((shown.kind, shown.number), shown.title)

    def phase(self, phase: PhaseKind, number: int | None) -> str:
        """A phase by its title ("Production phase 2"), found by its kind and number."""
        found = self._phases.get((phase, number))
        return found if found is not None else term(phase, self.language, number=number)

    def group(self, group: str | None) -> str:
        """A group's name by its id; "" for an event or step that is for everyone."""
        return "" if group is None else self._groups.get(group, group)

    def groups(self, groups: list[str]) -> str:
        return ", ".join(self.group(group) for group in groups)


def gate_heading(gate: Gate, names: Names) -> str:
    """A gate in a line: "14 July 2027: after Limited pilot, before Expanded pilot"."""
    language = names.language
    day, after = day_name(gate.date, language), names.phase(gate.after.phase, gate.after.number)
    if gate.before is None:
        return word("gate_after", language, date=day, after=after)
    before = names.phase(gate.before.phase, gate.before.number)
    return word("gate_between", language, date=day, after=after, before=before)


def decided(decision: GateDecision, language: Language) -> str:
    """A recorded decision in a line: "No-go, decided by Anna on 14 July 2027"."""
    return word(
        "decided",
        language,
        outcome=term(decision.outcome, language),
        by=decision.by,
        on=day_name(decision.date, language),
    )


def event_cells(event: Event, names: Names) -> list[str]:
    """An event as the Markdown's calendar table shows it (MARKDOWN_CALENDAR_COLUMNS)."""
    return [
        day_name(event.date, names.language),
        event.title,
        names.phase(event.phase, event.number),
        event.location or "",
        event.text,
    ]


def load_cells(week: WeekLoad, names: Names) -> list[str]:
    """A week's load as the Markdown's table shows it (SUPPORT_LOAD_COLUMNS): whole users."""
    share = "" if not week.capacity else f"{round(100 * week.load / week.capacity)}"
    return [
        day_name(week.week, names.language),
        f"{round(week.load)}",
        "" if week.capacity is None else f"{round(week.capacity)}",
        share,
        names.groups(week.groups),
    ]


_md = markdown_text  # names, reasons, titles and warnings: shown as written, never as HTML or links


def _link(url: str) -> str:
    """A URL as a Markdown link target: characters that would end or break the link (spaces,
    brackets, angle brackets, quotes) percent-encoded, so a rule's source stays one link."""
    return quote(url, safe=":/#?&=%.-_~+,;@!$*'")


def _sources(source: str | None, language: Language) -> list[str]:
    """Where to read what a text rests on, as Markdown links: the guide's section (2016) and its
    successor on Microsoft Learn, or the Microsoft page a current_practice rule follows."""
    return [f"[{_md(text)}]({_link(url)})" for text, url in source_links(source or "", language)]


def _cited(reason: Reason, language: Language) -> str:
    """A reason with the pages it follows, its rule and where it comes from (our judgement never
    reads as the guide's)."""
    parts = [
        *_sources(reason.source, language),
        _md(reason.rule),
        *map(_md, _said(reason.provenance, language)),
    ]
    return f"{_md(reason.text)} ({'; '.join(parts)})"


def _noted(provenance: Provenance | None, language: Language) -> str:
    """' (Our judgement)' after a warning; nothing for a plan saved before warnings said so."""
    said = origin(provenance, language)
    return f" ({said})" if said else ""


def to_markdown(plan: Plan, standing: Standing | None = None) -> str:
    language = plan.language
    header, rows = table_rows(plan)
    out = [f"# {_md(word('plan_for', language, name=plan.organisation))}", ""]
    if standing is not None:
        out += [f"**{_md(standing_line(standing, language))}**", ""]
    out += [word("split", language, value=term(plan.split_by.value, language)) + ".", ""]
    out += [f"> {_cited(r, language)}" for r in plan.split_by.reasons]
    out += ["", "| " + " | ".join(_md(h) for h in header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    if plan.warnings:
        out += ["", f"## {word('warnings', language)}", ""]
        out += [
            f"- **{word(w.severity, language)}** {_md(_who(plan, w.group) + w.text)}"
            + (f" ({'; '.join(noted)})" if noted else "")
            for w in plan.warnings
            for noted in [[*_sources(w.source, language), *map(_md, _said(w.provenance, language))]]
        ]
    if plan.prerequisites:
        out += ["", f"## {word('prerequisites', language)}", ""]
        out += [
            f"- [ ] {_md(p.text)} ("
            + "; ".join(
                [
                    *(_md(x) for x in when_and_who(p, plan)),
                    *_sources(p.source, language),
                    *map(_md, _said(p.provenance, language)),
                ]
            )
            + ")"
            for p in plan.prerequisites
        ]
    out += _markdown_calendar(plan)
    out += ["", f"## {word('groups', language)}"]
    for group in plan.groups:
        out += ["", f"### {_md(group.name)}", ""]
        for p in group.placements:
            phase = next(
                ph for ph in plan.phases if (ph.kind, ph.number, ph.month) == (p.phase, p.number, p.month)
            )
            what = enrolls(p, language)
            out.append(
                f"- {_md(phase.title)}, {month_name(p.month, language)}: "
                f"{users(p.users, language)}, {term(p.enrollment, language)}"
                + (f"; {_md(what)}" if what else "")
            )
        out += ["", f"**{word('why', language)}**", ""]
        out += [f"- {_cited(r, language)}" for r in group.reasons]
        for alternative in group.alternatives:
            if alternative.why_not:
                out += [
                    "",
                    f"**{word('not', language, approach=term(alternative.enrollment, language))}**",
                    "",
                ]
                out += [f"- {_cited(r, language)}" for r in alternative.why_not]
        out += _markdown_methods(group.methods, language)
    out += [
        "",
        "---",
        _md(made_with(plan)),
    ]
    return "\n".join(out) + "\n"


def _markdown_table(columns: tuple[str, ...], rows: list[list[str]], language: Language) -> list[str]:
    header = [gettext(column, language) for column in columns]
    out = ["| " + " | ".join(_md(h) for h in header) + " |", "|" + "---|" * len(header)]
    return out + ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]


def _markdown_calendar(plan: Plan) -> list[str]:
    """The calendar as a table, each gate with its exit criteria, rollback steps and decisions,
    and the helpdesk's load per week; nothing for a plan saved before the calendar."""
    language = plan.language
    names = Names(plan)
    out: list[str] = []
    if plan.calendar:
        out += ["", f"## {word('calendar', language)}", ""]
        out += _markdown_table(
            MARKDOWN_CALENDAR_COLUMNS, [event_cells(e, names) for e in plan.calendar], language
        )
    if plan.gates:
        out += ["", f"## {word('gates', language)}"]
    for gate in plan.gates:
        out += ["", f"### {_md(gate_heading(gate, names))}", "", f"**{word('criteria', language)}**", ""]
        out += [f"- {_md(c.text)}" for c in gate.criteria]
        out += ["", f"**{word('rollback', language)}**", ""]
        out += [
            f"- {_md(step.text)}" + (f" ({_md(names.groups(step.groups))})" if step.groups else "")
            for step in gate.rollback
        ]
        out += ["", f"**{word('decisions', language)}**", ""]
        out += [
            f"- {_md(decided(d, language))}" + (f": {_md(d.note)}" if d.note else "") for d in gate.decisions
        ] or [_md(word("no_decision", language))]
    if plan.support_load:
        out += ["", f"## {word('support_load', language)}", ""]
        out += _markdown_table(
            SUPPORT_LOAD_COLUMNS, [load_cells(w, names) for w in plan.support_load], language
        )
    return out


def _markdown_methods(methods: list[MethodChoice], language: Language) -> list[str]:
    """A group's methods: one item each, with what the user goes through, why, and why not each
    of the others."""
    if not methods:
        return []
    out = ["", f"**{word('methods', language)}**", ""]
    for m in methods:
        out.append(
            f"- {kind_of(m, language)}: **{term(m.method, language)}**; {devices(m.devices, language)}; "
            f"{word('reset', language, answer=reset_word(m, language))}; "
            f"{word('affinity', language, answer=yes_no(m.user_affinity, language))}"
        )
        if m.experience:
            out.append(f"  - {_md(m.experience)}")
        out += [f"  - {word('why', language)}: {_cited(r, language)}" for r in m.reasons]
        for alternative in m.alternatives:
            said = [_cited(r, language) for r in alternative.why_not] or [word("no_rule", language)]
            out.append(f"  - {_md(why_not_method(alternative, language))}: {' '.join(said)}")
    return out


def to_csv(plan: Plan) -> str:
    """One row per placement, then one per method of each group, then one per prerequisite (the
    first column says which, CSV_COLUMNS the rest); written with a BOM by the caller so that Excel
    reads UTF-8."""
    language = plan.language
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    titles = {(ph.kind, ph.number, ph.month): ph.title for ph in plan.phases}
    kind = {key: gettext(text, language) for key, text in CSV_ROWS.items()}
    after_rules = len(CSV_COLUMNS) - CSV_COLUMNS.index(N_("rules")) - 1
    rows: list[list[str | int]] = [[gettext(column, language) for column in CSV_COLUMNS]]
    for phase in plan.phases:
        for entry in phase.entries:
            group = plan.group(entry.group)
            rows.append(
                [
                    kind["placement"],
                    titles[(phase.kind, phase.number, phase.month)],
                    phase.number or "",
                    phase.month,
                    group.id,
                    group.name,
                    entry.users,
                    term(entry.enrollment, language),
                    platforms(entry, language),
                    ", ".join(entry.locations),
                    "" if entry.devices is None else entry.devices,
                    " ".join(r.rule for r in group.reasons),
                    *[""] * after_rules,
                ]
            )
    for group in plan.groups:
        for m in group.methods:
            rows.append(
                [
                    kind["method"],
                    "",
                    "",
                    "",
                    group.id,
                    group.name,
                    "",
                    "",
                    term(m.platform, language),
                    "",
                    m.devices,
                    " ".join(r.rule for r in m.reasons),
                    term(m.ownership, language),
                    term(m.method, language),
                    yes_no(m.reset_required, language),
                    yes_no(m.user_affinity, language),
                    " ".join(m.prerequisites),
                    "",
                    " ".join(r.text for r in m.reasons),
                    " ".join(r.source for r in m.reasons),
                    ", ".join(
                        dict.fromkeys(origin(r.provenance, language) for r in m.reasons if r.provenance)
                    ),
                    "",
                    "",
                ]
            )
    for p in plan.prerequisites:
        rows.append(
            [
                kind["prerequisite"],
                "",
                "",
                "",
                ", ".join(p.groups),
                needed_by(p, plan),
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                p.code,
                p.due,
                p.text,
                p.source,
                origin(p.provenance, language),
                "",
                "",
            ]
        )
    for w in plan.warnings:
        rows.append(
            [
                kind["warning"],
                *[""] * 3,
                w.group or "",
                plan.group(w.group).name if w.group else "",
                *[""] * 5,
                w.rule or "",
                *[""] * 6,
                w.text,
                w.source or "",
                origin(w.provenance, language),
                word(w.severity, language),
                w.code,
            ]
        )
    writer.writerows(spreadsheet_rows(rows))  # no cell is ever a formula (CSV injection)
    return buffer.getvalue()


def to_json(plan: Plan) -> str:
    return plan.model_dump_json(indent=2) + "\n"
