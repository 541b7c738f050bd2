"""The plan as two pictures: a timeline of its phases and groups over the months, and the helpdesk's
expected load week by week against its capacity.

Both are SVG written here as text, for the plan page and the PDF alike: no script, no style
attribute or element (the site's Content-Security-Policy allows neither), nothing fetched. They
scale by their viewBox to the width they are given, and read without colour: each phase kind has
its own pattern (dots, stripes, checks), every bar its text label, and the legend says which is
which. Each has a title and a description for screen readers; the tables beside them are the
full text alternative. Every text from the answers (group names, sites) is escaped here.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from advisor.model.i18n import N_, gettext, ngettext
from advisor.model.plan import Plan, add_months
from advisor.model.vocabulary import Language, PhaseKind, day_name, month_name
from advisor.output.escape import XML_ILLEGAL

# The most groups the timeline draws a row for; the others are in the calendar's table.
MAX_GROUP_ROWS = 40

# The width both pictures are drawn at (viewBox units); the page and the PDF scale them to fit.
WIDTH = 560
_MARGIN = 6
_FONT = 15  # the labels' size: large enough to read when a phone shows the picture 360 px wide
_SMALL = 12
_LANE = 24  # one bar's line
_NAME = 19  # a group's name above its bars
_BAR = 15
_AXIS = 14  # the load chart's scale, months and legend
_VALUE = 10  # a week's load over its bar
_INK = "#1a1a1a"
_GRID = "#b8b8b8"

_WORDS: dict[str, str] = {
    "timeline": N_("Timeline of the rollout"),
    "timeline_desc": N_(
        "The phases and the groups as bars over the months from %(first)s to %(last)s, each bar "
        "an enrollment window, and the go/no-go reviews between the phases. The calendar's table "
        "lists every event."
    ),
    "phases": N_("Phases"),
    "groups": N_("Groups"),
    "gate": N_("Go/no-go review"),
    "gate_after": N_("Go/no-go review after %(phase)s"),
    "go": N_("go"),
    "no_go": N_("no-go"),
    "quiet": N_("quiet"),
    "quiet_month": N_("Quiet month"),
    "quiet_desc": N_("Quiet months, in which nothing is planned: %(months)s."),
    "today": N_("Today"),
    "today_desc": N_("Today, %(day)s, is marked by a vertical line."),
    "production": N_("Production"),
    "load": N_("Helpdesk load per week"),
    "load_desc": N_(
        "The helpdesk's expected load, in users, for each week from %(first)s to %(last)s; the "
        "busiest is the week of %(top)s with about %(most)s. The table lists every week."
    ),
    "capacity": N_("Capacity"),
    "capacity_desc": N_("The line is the helpdesk's capacity in a week (about %(capacity)s at most)."),
    "no_capacity": N_("No support capacity is given: the chart shows the load only."),
    "over": N_("Over capacity"),
    "over_desc": N_("Weeks over capacity: %(weeks)s."),
    "users_week": N_("users a week"),
}


def word(key: str, language: Language, **values: object) -> str:
    return gettext(_WORDS[key], language, **values)


def text(value: str) -> str:
    """Text made safe inside SVG (and so inside the HTML that holds it): markup escaped, quotes
    too, and the characters XML cannot hold replaced."""
    return escape(XML_ILLEGAL.sub("\ufffd", value), quote=True)


def _width(label: str, size: int) -> float:
    """About how wide `label` is drawn at `size` (a sans-serif's average letter, a little more)."""
    return len(label) * size * 0.6


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


# A pattern per phase kind: a light ground and a dark figure, so that phases differ in black and
# white as well as in colour.
_PATTERNS: dict[PhaseKind, tuple[str, str]] = {
    "limited_pilot": (
        "#dbe9f7",
        '<circle cx="3" cy="3" r="1.3" fill="#1f4e79"/>',
    ),
    "expanded_pilot": (
        "#fde6c8",
        '<path d="M-1 1 l2 -2 M0 6 l6 -6 M5 7 l2 -2" stroke="#8a4b00" stroke-width="1.3"/>',
    ),
    "production": (
        "#d8efd9",
        '<path d="M0 3 H6 M3 0 V6" stroke="#1e5e24" stroke-width="1"/>',
    ),
}


def _defs(prefix: str, over: bool = False) -> str:
    parts = [
        f'<pattern id="{prefix}-{kind}" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{ground}"/>{figure}</pattern>'
        for kind, (ground, figure) in _PATTERNS.items()
    ]
    parts.append(
        f'<pattern id="{prefix}-quiet" width="8" height="8" patternUnits="userSpaceOnUse">'
        '<rect width="8" height="8" fill="#f1f1f1"/>'
        '<path d="M-2 2 l4 -4 M0 8 l8 -8 M6 10 l4 -4" stroke="#c4c4c4" stroke-width="1"/></pattern>'
    )
    if over:
        parts.append(
            f'<pattern id="{prefix}-over" width="6" height="6" patternUnits="userSpaceOnUse">'
            '<rect width="6" height="6" fill="#f6c9c4"/>'
            '<path d="M0 0 L6 6 M6 0 L0 6" stroke="#8b1a10" stroke-width="1.2"/></pattern>'
        )
    return "<defs>" + "".join(parts) + "</defs>"


def _svg(prefix: str, height: float, title: str, desc: str, body: Iterable[str], kind: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" '
        f'viewBox="0 0 {WIDTH} {_num(height)}" role="img" '
        f'aria-labelledby="{prefix}-title {prefix}-desc" font-family="DejaVu Sans, Verdana, sans-serif" '
        f'font-size="{_FONT}" fill="{_INK}">'
        f'<title id="{prefix}-title">{text(title)}</title><desc id="{prefix}-desc">{text(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _label(x0: float, x1: float, y: float, label: str, left: float, right: float) -> str:
    """A bar's label beside it: after it where there is room, else before it, else on it (on a
    light ground, so that the pattern does not hide it)."""
    size = _FONT
    wide = _width(label, size)
    if x1 + 4 + wide <= right:
        return f'<text x="{_num(x1 + 4)}" y="{_num(y)}">{text(label)}</text>'
    if x0 - 4 - wide >= left:
        return f'<text x="{_num(x0 - 4)}" y="{_num(y)}" text-anchor="end">{text(label)}</text>'
    start = max(x0 + 2, left)
    return (
        f'<rect x="{_num(start)}" y="{_num(y - size + 2)}" width="{_num(min(wide + 4, right - start))}" '
        f'height="{size + 2}" fill="#ffffff" fill-opacity="0.85"/>'
        f'<text x="{_num(start + 2)}" y="{_num(y)}">{text(label)}</text>'
    )


@dataclass(frozen=True)
class _Window:
    start: date
    end: date  # the last day, inclusive


class _Months:
    """The timeline's columns: a month each, from `first` to `last`, across `left` .. `right`."""

    def __init__(self, first: str, last: str, left: float, right: float):
        self.months = [first]
        while self.months[-1] != last:
            self.months.append(add_months(self.months[-1], 1))
        self.left, self.right = left, right
        self.width = (right - left) / len(self.months)
        self.index = {m: i for i, m in enumerate(self.months)}

    def x(self, day: date) -> float:
        """Where `day` begins."""
        month = f"{day.year:04d}-{day.month:02d}"
        if month not in self.index:
            return self.left if month < self.months[0] else self.right
        length = calendar.monthrange(day.year, day.month)[1]
        return self.left + (self.index[month] + (day.day - 1) / length) * self.width

    def column(self, month: str) -> float:
        return self.left + self.index[month] * self.width


def quiet_months(plan: Plan) -> list[str]:
    """The months of the rollout's span in which nothing happens: no event and no enrollment window
    running. The calendar never dates an event in a quiet month, so these are the quiet months
    between its first event and its last (and any month the plan leaves idle)."""
    if not plan.calendar:
        return []
    busy = {event.date[:7] for event in plan.calendar}
    for window in _windows(plan).values():
        month = window.start.strftime("%Y-%m")
        last = window.end.strftime("%Y-%m")
        while month <= last:
            busy.add(month)
            month = add_months(month, 1)
    span = _Months(plan.calendar[0].date[:7], plan.calendar[-1].date[:7], 0, 1).months
    return [month for month in span if month not in busy]


PhaseKey = tuple[str, int | None]


def _windows(plan: Plan) -> dict[tuple[PhaseKey, str | None], _Window]:
    """Each enrollment window: per phase and group, and per phase (group None) from the first
    group's opening to the last one's close."""
    starts: dict[tuple[PhaseKey, str | None], date] = {}
    ends: dict[tuple[PhaseKey, str | None], date] = {}
    for event in plan.calendar:
        if event.kind not in ("enrollment_start", "enrollment_end"):
            continue
        day = date.fromisoformat(event.date)
        phase = (event.phase, event.number)
        for key in ((phase, event.group), (phase, None)):
            if event.kind == "enrollment_start":
                starts[key] = min(starts.get(key, day), day)
            else:
                ends[key] = max(ends.get(key, day), day)
    return {key: _Window(start, ends.get(key, start)) for key, start in starts.items()}


def timeline_svg(plan: Plan, language: Language, today: date | None = None) -> str:
    """The rollout as bars over the months: a row per phase (its enrollment window, from the first
    group's opening to the last one's close) with the go/no-go review after it, then a row per
    group (a bar per phase it enrolls in, labelled with the phase). Quiet months are shaded, and a
    line marks `today` when it falls within the rollout. '' for a plan without a calendar."""
    if not plan.calendar:
        return ""
    prefix = "timeline"
    first_day = date.fromisoformat(plan.calendar[0].date)
    last_day = date.fromisoformat(plan.calendar[-1].date)
    cols = _Months(first_day.strftime("%Y-%m"), last_day.strftime("%Y-%m"), _MARGIN, WIDTH - _MARGIN)
    left, right = cols.left, cols.right
    windows = _windows(plan)
    titles = {(p.kind, p.number): p.title for p in plan.phases}
    kinds: dict[PhaseKey, PhaseKind] = {(p.kind, p.number): p.kind for p in plan.phases}
    quiet = quiet_months(plan)
    shown_today = today if today is not None and first_day <= today <= last_day else None

    body: list[str] = [_defs(prefix)]
    rows: list[str] = []
    y = 0.0

    # The header: the years, then the months (every month where there is room, else every few).
    step = max(1, math.ceil(30 / cols.width))
    header: list[str] = []
    for i, month in enumerate(cols.months):
        x = cols.column(month)
        if i == 0 or month.endswith("-01"):
            header.append(f'<text x="{_num(x + 2)}" y="13" font-weight="bold">{month[:4]}</text>')
        if i % step == 0:
            abbr = month_name(month, language)[:3]
            header.append(f'<text x="{_num(x + 2)}" y="29" font-size="{_SMALL}">{text(abbr)}</text>')
    y = 36.0
    if quiet:
        for month in quiet:
            if cols.width >= _width(word("quiet", language), _SMALL) + 4:
                header.append(
                    f'<text x="{_num(cols.column(month) + 2)}" y="{_num(y + 11)}" font-size="{_SMALL}" '
                    f'font-style="italic">{text(word("quiet", language))}</text>'
                )
        y += 16
    top = y

    def heading(label: str) -> None:
        nonlocal y
        rows.append(f'<text x="{left}" y="{_num(y + 15)}" font-weight="bold">{text(label)}</text>')
        y += 24

    def lane(window: _Window, kind: PhaseKind, label: str, hint: str) -> None:
        nonlocal y
        x0, x1 = cols.x(window.start), cols.x(window.end + timedelta(days=1))
        x1 = max(x1, x0 + 3)
        bar_y = y + (_LANE - _BAR) / 2
        rows.append(
            f'<g class="bar" data-kind="{kind}"><title>{text(hint)}</title>'
            f'<rect x="{_num(x0)}" y="{_num(bar_y)}" width="{_num(x1 - x0)}" height="{_BAR}" '
            f'fill="url(#{prefix}-{kind})" stroke="{_INK}" stroke-width="1"/>'
            + _label(x0, x1, bar_y + _BAR - 2, label, left, right)
            + "</g>"
        )
        y += _LANE

    def span(window: _Window) -> str:
        return (
            f"{day_name(window.start.isoformat(), language)} – {day_name(window.end.isoformat(), language)}"
        )

    gates = {(g.after.phase, g.after.number): g for g in plan.gates}
    heading(word("phases", language))
    for phase in plan.phases:
        key = (phase.kind, phase.number)
        window = windows.get((key, None))
        if window is not None:
            lane(window, phase.kind, phase.title, f"{phase.title}: {span(window)}")
        gate = gates.get(key)
        if gate is None:
            continue
        day = date.fromisoformat(gate.date)
        x = cols.x(day) + cols.width / 60
        middle = y + _LANE / 2
        label = word("gate", language)
        if gate.decisions:
            label += ": " + word(gate.decisions[-1].outcome, language)
        hint = f"{word('gate_after', language, phase=phase.title)}: {day_name(gate.date, language)}"
        rows.append(
            f'<g class="gate"><title>{text(hint)}</title>'
            f'<path d="M{_num(x)} {_num(middle - 7)} l7 7 l-7 7 l-7 -7 z" fill="{_INK}"/>'
            + _label(x - 7, x + 7, middle + 5, label, left, right)
            + "</g>"
        )
        y += _LANE

    y += 4
    heading(word("groups", language))
    placed = [
        (
            group,
            [
                (phase, windows[((phase.kind, phase.number), group.id)])
                for phase in plan.phases
                if ((phase.kind, phase.number), group.id) in windows
            ],
        )
        for group in plan.groups
    ]
    placed = [(group, bars) for group, bars in placed if bars]
    for group, bars in placed[:MAX_GROUP_ROWS]:
        rows.append(f'<text x="{left}" y="{_num(y + 13)}" class="group-name">{text(group.name)}</text>')
        y += _NAME
        for phase, window in bars:
            lane(
                window,
                kinds[(phase.kind, phase.number)],
                phase.title,
                f"{group.name}, {phase.title}: {span(window)}",
            )
        y += 4
    more = len(placed) - MAX_GROUP_ROWS
    if more > 0:
        line = ngettext(
            "…and %(num)d more group: see the table",
            "…and %(num)d more groups: see the table",
            more,
            language,
        )
        rows.append(
            f'<text x="{left}" y="{_num(y + 14)}" font-style="italic" class="more">{text(line)}</text>'
        )
        y += 22
    bottom = y

    # The grid behind the rows: quiet months shaded, a line between months.
    grid: list[str] = []
    for month in quiet:
        grid.append(
            f'<rect class="quiet" x="{_num(cols.column(month))}" y="{_num(top - 16)}" '
            f'width="{_num(cols.width)}" '
            f'height="{_num(bottom - top + 16)}" fill="url(#{prefix}-quiet)"/>'
        )
    for x in [*(cols.column(month) for month in cols.months[1:]), right]:
        grid.append(f'<path d="M{_num(x)} 17 V{_num(bottom)}" stroke="{_GRID}" stroke-width="0.6"/>')
    grid.append(f'<path d="M{_num(left)} 17 V{_num(bottom)}" stroke="{_GRID}" stroke-width="0.6"/>')
    for gate in plan.gates:
        x = cols.x(date.fromisoformat(gate.date)) + cols.width / 60
        grid.append(
            f'<path d="M{_num(x)} {_num(top)} V{_num(bottom)}" stroke="{_INK}" stroke-width="0.6" '
            'stroke-dasharray="2 3"/>'
        )

    # Today: a line down the rows, named under them.
    marker: list[str] = []
    if shown_today is not None:
        x = cols.x(shown_today) + cols.width / 60
        label = word("today", language)
        anchor = ' text-anchor="end"' if x + 4 + _width(label, _SMALL) > right else ""
        shift = -4 if anchor else 4
        marker.append(
            f'<g class="today"><path d="M{_num(x)} {_num(top - 16)} V{_num(bottom + 16)}" stroke="#b00020" '
            f'stroke-width="2"/><text x="{_num(x + shift)}" y="{_num(bottom + 14)}" font-size="{_SMALL}" '
            f'font-weight="bold"{anchor}>{text(label)}</text></g>'
        )
        y += 18

    # The legend: a swatch and a word per phase kind in the plan, the review, a quiet month.
    legend: list[str] = []
    y += 6
    x = left
    items: list[tuple[str, str]] = []
    shown_kinds = dict.fromkeys(p.kind for p in plan.phases)
    for kind in shown_kinds:
        name = word("production", language) if kind == "production" else titles[(kind, None)]
        items.append(
            (f'<rect width="18" height="{_BAR}" y="-11" fill="url(#{prefix}-{kind})" stroke="{_INK}"/>', name)
        )
    if plan.gates:
        items.append((f'<path d="M9 -11 l7 7 l-7 7 l-7 -7 z" fill="{_INK}"/>', word("gate", language)))
    if quiet:
        items.append(
            (
                f'<rect width="18" height="{_BAR}" y="-11" fill="url(#{prefix}-quiet)" stroke="{_GRID}"/>',
                word("quiet_month", language),
            )
        )
    for swatch, name in items:
        wide = 24 + _width(name, _SMALL) + 14
        if x + wide > right and x > left:
            x = left
            y += 20
        legend.append(
            f'<g class="legend" transform="translate({_num(x)} {_num(y + 14)})">{swatch}'
            f'<text x="24" font-size="{_SMALL}">{text(name)}</text></g>'
        )
        x += wide
    y += 22

    desc = word(
        "timeline_desc",
        language,
        first=month_name(cols.months[0], language),
        last=month_name(cols.months[-1], language),
    )
    if quiet:
        desc += " " + word("quiet_desc", language, months=", ".join(month_name(m, language) for m in quiet))
    if shown_today is not None:
        desc += " " + word("today_desc", language, day=day_name(shown_today.isoformat(), language))
    body.extend(grid)
    body.extend(header)
    body.extend(rows)
    body.extend(marker)
    body.extend(legend)
    return _svg(prefix, y, word("timeline", language), desc, body, "timeline")


def over_capacity(plan: Plan) -> set[str]:
    """The weeks (Mondays) whose expected load is past the helpdesk's capacity by more than the
    rulebook's margin: the weeks the plan warns about."""
    return {w.week for w in plan.support_load if w.over}


def _ticks(top: float) -> list[float]:
    """Three to six round values from 0 to at least `top`."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    count = math.ceil(top / step)
    return [i * step for i in range(count + 1)]


def load_svg(plan: Plan, language: Language) -> str:
    """The helpdesk's load as a bar per week, the capacity as a stepped line; a week the plan warns
    is over capacity has its own pattern and a mark. '' for a plan without weekly loads."""
    weeks = plan.support_load
    if not weeks:
        return ""
    prefix = "load"
    over = over_capacity(plan)
    capacities = [w.capacity for w in weeks if w.capacity is not None]
    most = max(weeks, key=lambda w: w.load)
    ticks = _ticks(max([w.load for w in weeks] + capacities) * 1.08)
    scale_top = ticks[-1] or 1.0
    left, right = 46.0, WIDTH - _MARGIN
    top, plot_bottom = 30.0, 230.0
    slot = (right - left) / len(weeks)

    def y_of(value: float) -> float:
        return plot_bottom - value / scale_top * (plot_bottom - top)

    body: list[str] = [_defs(prefix, over=bool(over))]
    for tick in ticks:
        ty = y_of(tick)
        body.append(
            f'<path d="M{_num(left)} {_num(ty)} H{_num(right)}" stroke="{_GRID}" stroke-width="0.6"/>'
        )
        body.append(
            f'<text x="{_num(left - 4)}" y="{_num(ty + 4)}" font-size="{_AXIS}" '
            f'text-anchor="end">{_num(tick)}</text>'
        )
    body.append(
        f'<text x="{_num(left)}" y="14" font-size="{_AXIS}">{text(word("users_week", language))}</text>'
    )

    digits = max(len(str(round(w.load))) for w in weeks)
    values = slot >= digits * _VALUE * 0.64 + 3  # each week's figure fits over its bar, a gap between
    for i, week in enumerate(weeks):
        x = left + i * slot + slot * 0.1
        height = plot_bottom - y_of(week.load)
        marked = week.week in over
        fill = f"url(#{prefix}-over)" if marked else "#7a9cc6"
        names = ", ".join(plan.group(g).name for g in week.groups)
        hint = f"{day_name(week.week, language)}: {round(week.load)}" + (f" ({names})" if names else "")
        parts = [
            f'<g class="week{" over" if marked else ""}" data-week="{week.week}"><title>{text(hint)}</title>',
            f'<rect x="{_num(x)}" y="{_num(plot_bottom - height)}" width="{_num(slot * 0.8)}" '
            f'height="{_num(height)}" fill="{fill}" stroke="{_INK}" stroke-width="{0.6 if height else 0}"/>',
        ]
        if marked:
            parts.append(
                f'<text x="{_num(x + slot * 0.4)}" y="{_num(plot_bottom - height - 3)}" font-weight="bold" '
                f'text-anchor="middle">!</text>'
            )
        elif values and week.load >= 0.5:
            parts.append(
                f'<text x="{_num(x + slot * 0.4)}" y="{_num(plot_bottom - height - 3)}" font-size="{_VALUE}" '
                f'text-anchor="middle">{round(week.load)}</text>'
            )
        parts.append("</g>")
        body.append("".join(parts))

    # The capacity: a step per week (a week with a holiday has less of the month's capacity).
    path: list[str] = []
    for i, week in enumerate(weeks):
        if week.capacity is None:
            continue
        x0, cy = left + i * slot, y_of(week.capacity)
        path.append(f"{'L' if path else 'M'}{_num(x0)} {_num(cy)} H{_num(x0 + slot)}")
    if path:
        first = next(w for w in weeks if w.capacity is not None)
        label = word("capacity", language)
        ly = y_of(first.capacity or 0) - 5
        body.append(
            f'<g class="capacity"><path d="{" ".join(path)}" fill="none" stroke="#b00020" stroke-width="2" '
            f'stroke-dasharray="6 3"/><rect x="{_num(left + 2)}" y="{_num(ly - _AXIS + 1)}" '
            f'width="{_num(_width(label, _AXIS) + 6)}" height="{_AXIS + 3}" fill="#ffffff" '
            f'fill-opacity="0.85"/><text x="{_num(left + 5)}" y="{_num(ly)}" font-size="{_AXIS}" '
            f'font-weight="bold">{text(label)}</text></g>'
        )

    # The months under the weeks (every few when the weeks are many).
    body.append(
        f'<path d="M{_num(left)} {_num(plot_bottom)} H{_num(right)}" stroke="{_INK}" stroke-width="1"/>'
    )
    free = 0.0  # where the last month's label ends
    for i, week in enumerate(weeks):
        month = week.week[:7]
        if i and weeks[i - 1].week[:7] == month:
            continue
        x = left + i * slot
        label = month_name(month, language)[:3]
        if month.endswith("-01") or i == 0:
            label += f" {month[:4]}"
        if x < free + 6 or x + _width(label, _AXIS) > right:
            continue
        body.append(f'<path d="M{_num(x)} {_num(plot_bottom)} v5" stroke="{_INK}"/>')
        body.append(
            f'<text x="{_num(x + 1)}" y="{_num(plot_bottom + 17)}" font-size="{_AXIS}">{text(label)}</text>'
        )
        free = x + _width(label, _AXIS)

    # The legend, and what the description says in words.
    y = plot_bottom + 26
    items: list[tuple[str, str]] = []
    if path:
        items.append(
            (
                '<path d="M0 -4 H18" stroke="#b00020" stroke-width="2" stroke-dasharray="6 3"/>',
                word("capacity", language),
            )
        )
    if over:
        items.append(
            (
                f'<rect width="18" height="{_BAR}" y="-11" fill="url(#{prefix}-over)" stroke="{_INK}"/>',
                word("over", language) + " (!)",
            )
        )
    x = left
    for swatch, name in items:
        body.append(
            f'<g class="legend" transform="translate({_num(x)} {_num(y + 14)})">{swatch}'
            f'<text x="24" font-size="{_AXIS}">{text(name)}</text></g>'
        )
        x += 24 + _width(name, _AXIS) + 14
    if items:
        y += 22
    desc = word(
        "load_desc",
        language,
        first=day_name(weeks[0].week, language),
        last=day_name(weeks[-1].week, language),
        top=day_name(most.week, language),
        most=round(most.load),
    )
    if capacities:
        desc += " " + word("capacity_desc", language, capacity=round(max(capacities)))
    else:
        desc += " " + word("no_capacity", language)
    if over:
        desc += " " + word(
            "over_desc", language, weeks=", ".join(day_name(w, language) for w in sorted(over))
        )
    return _svg(prefix, y + 4, word("load", language), desc, body, "load")
