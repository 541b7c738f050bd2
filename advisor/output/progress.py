"""Enrollment progress for people: a picture of each phase's devices planned against enrolled, a
trend over the uploads, and a plain-text report for the command line.

The pictures are SVG written as text, as charts.py writes the plan's: no script or style, a title
and a description for screen readers, readable without colour (the enrolled part is solid, what
the phase should have reached by today a marked line, the gate's target a dashed one, and every
bar has its figures in words beside it). The page's tables are the full text alternative.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from advisor.directory.progress import PhaseProgress, Progress
from advisor.model.i18n import N_, gettext
from advisor.model.vocabulary import Language, PhaseKind, day_name, month_name, term
from advisor.output.charts import WIDTH, text

_WORDS: dict[str, str] = {
    "title": N_("Devices enrolled per phase"),
    "desc": N_(
        "For each phase, the devices enrolled against those planned, measured on %(day)s. A solid "
        "bar is the share enrolled; a short line marks the share the phase should have reached by "
        "that day, a dashed line the share its go/no-go review asks for. Phases behind plan: %(behind)s."
    ),
    "none": N_("none"),
    "figures": N_("%(enrolled)s of %(planned)s (%(rate)s%%)"),
    "nothing_planned": N_("nothing planned"),
    "behind": N_("behind plan"),
    "trend": N_("Devices enrolled over time"),
    "version": N_("version %(n)s"),
    "trend_versions": N_(
        "A dashed upright line marks where the uploads were measured against another version of "
        "the answers, and so perhaps another plan."
    ),
    "trend_desc": N_(
        "The share of the plan's devices enrolled at each upload, from %(first)s (%(low)s%%) to "
        "%(last)s (%(high)s%%). The table lists every upload."
    ),
    "report_head": N_(
        "Enrollment on %(day)s: devices managed by Intune that checked in within %(days)s days, of "
        "%(devices)s devices and %(users)s users read."
    ),
    "report_total": N_("Altogether: %(figures)s."),
    "report_phase": N_("%(phase)s (%(month)s): %(figures)s; by today %(expected)s%% expected"),
    "report_gate": N_(
        "Go/no-go review after %(phase)s on %(day)s: %(measured)s against at least "
        "%(threshold)s%%: %(verdict)s"
    ),
    "met": N_("met"),
    "not_met": N_("not met"),
    "not_measured": N_("not measured"),
    "not_due": N_("not yet due"),
    "share": N_("%(n)s%%"),
    "report_lost": N_("Not counted:"),
    "few_placed": N_(
        "Warning: %(users)s of the %(read)s users read are in no group. The groups' answers do not "
        "say which departments and sites they hold (group names that are no department, say), so "
        "these figures fall short: import the users export into the assessment again, or give each "
        "group its department."
    ),
}
# What the plan does not count, by reason (the Unmatched fields), in words.
LOST: dict[str, str] = {
    "users_disabled": N_("disabled accounts"),
    "users_guest": N_("guest accounts"),
    "users_in_no_group": N_("users whose department (and site) is in no group"),
    "devices_without_user": N_("devices without a primary user"),
    "users_repeated": N_("rows repeating a user already read"),
    "devices_user_not_found": N_("devices whose user is not in the users export"),
    "devices_of_left_out_users": N_("devices of disabled or guest accounts"),
    "devices_in_no_group": N_("devices of users in no group"),
    "devices_not_intune": N_("devices not managed by Intune"),
    "devices_stale": N_("devices managed by Intune but not checked in recently"),
    "devices_other_platform": N_("devices on a platform the plan does not enroll (Linux, ChromeOS, unknown)"),
    "devices_over_plan": N_("devices enrolled beyond what the plan counted for their group"),
}


def word(key: str, language: Language, **values: object) -> str:
    return gettext(_WORDS[key], language, **values)


def phase_name(phase: PhaseKind, number: int | None, language: Language) -> str:
    return term(phase, language, number=number) if number else term(phase, language)


def few_placed(progress: Progress, language: Language) -> str:
    return word("few_placed", language, users=progress.unmatched.users_in_no_group, read=progress.users_read)


def percent(value: float | None, language: Language = "en") -> str:
    """A percentage's number, one decimal at most, with the language's decimal sign (21.7, 21,7)."""
    if value is None:
        return "–"
    number = f"{value:.1f}".rstrip("0").rstrip(".")
    return number.replace(".", ",") if language == "sv" else number


def share(value: float | None, language: Language) -> str:
    """A percentage as the language writes it (21.7%, 21,7 %); a dash alone when nothing was measured."""
    if value is None:
        return "–"
    return word("share", language, n=percent(value, language))


def gate_verdict(met: bool | None, due: bool) -> str:
    """Which of met, not met, not yet due (short of the criterion before the review's day) and
    nothing planned a gate's measure is: a key of the words."""
    if met is None:
        return "not_measured"
    return "met" if met else "not_met" if due else "not_due"


def figures(phase: PhaseProgress | Progress, language: Language) -> str:
    if not phase.planned:
        return word("nothing_planned", language)
    return word(
        "figures",
        language,
        enrolled=phase.enrolled,
        planned=phase.planned,
        rate=percent(phase.rate, language),
    )


# Narrower than the plan's pictures: each phase's words stand on two lines above its bar, so the
# picture stays readable when a phone shows it 360 px wide.
_WIDE = 400
_ROW = 66
_TOP = 4
_LEFT = 4
_BAR = 16
_FONT = 14


def progress_svg(progress: Progress, language: Language) -> str:
    """One bar per phase: the share of its planned devices enrolled (cut at 100%), the share it
    should have reached by the day measured, its gate's target."""
    behind = ", ".join(phase_name(p.phase, p.number, language) for p in progress.behind)
    desc = word(
        "desc",
        language,
        day=day_name(progress.measured_on, language),
        behind=behind or word("none", language),
    )
    track = _WIDE - 2 * _LEFT
    body: list[str] = []
    for i, phase in enumerate(progress.phases):
        y = _TOP + i * _ROW
        weight = "bold" if phase.behind else "normal"
        name = phase_name(phase.phase, phase.number, language)
        # "Behind plan" beside the name: the figures' line has no room left for it on a phone
        # when the counts run to millions.
        if phase.behind:
            name += f" · {word('behind', language)}"
        body.append(f'<text x="{_LEFT}" y="{y + _FONT}" font-weight="{weight}">{text(name)}</text>')
        words = f"{month_name(phase.month, language)} · {figures(phase, language)}"
        second = y + 2 * _FONT + 4
        body.append(
            f'<text x="{_LEFT}" y="{second}" font-size="12" font-weight="{weight}">{text(words)}</text>'
        )
        bar_y = y + 2 * _FONT + 12
        body.append(
            f'<rect x="{_LEFT}" y="{bar_y}" width="{track}" height="{_BAR}" fill="#f4f4f4" stroke="#8a8a8a"/>'
        )
        share = min((phase.rate or 0.0) / 100, 1.0)
        if share:
            fill = "#8b1a10" if phase.behind else "#1e5e24"
            body.append(
                f'<rect x="{_LEFT}" y="{bar_y}" width="{track * share:.1f}" height="{_BAR}" fill="{fill}"/>'
            )
        target = _LEFT + track * phase.target / 100
        body.append(
            f'<line x1="{target:.1f}" y1="{bar_y - 3}" x2="{target:.1f}" y2="{bar_y + _BAR + 3}" '
            'stroke="#1a1a1a" stroke-width="1.5" stroke-dasharray="3 2"/>'
        )
        if phase.started:
            expected = _LEFT + track * phase.expected / 100
            body.append(
                f'<line x1="{expected:.1f}" y1="{bar_y - 5}" x2="{expected:.1f}" y2="{bar_y + _BAR + 5}" '
                'stroke="#1f4e79" stroke-width="3"/>'
            )
    height = _TOP + len(progress.phases) * _ROW
    return _svg("progress", _WIDE, height, word("title", language), desc, body)


_LABEL_GAP = 44  # px between the days written under the trend: "MM-DD" at 11 px is about 36 wide


def trend_svg(history: Sequence[tuple[date, float | None, int]], language: Language) -> str:
    """The overall share enrolled at each upload (the day, the share, the version of the answers
    measured against), as a line over the uploads in order; a dashed upright line where the
    version changed (the plan may have changed with it). A day is written under its point where
    there is room (never twice for uploads of one day): the table lists every upload."""
    points = [(day, rate or 0.0) for day, rate, _ in history]
    versions = [version for _, _, version in history]
    if not points:
        return ""
    first, last = points[0], points[-1]
    desc = word(
        "trend_desc",
        language,
        first=day_name(first[0].isoformat(), language),
        last=day_name(last[0].isoformat(), language),
        low=percent(first[1], language),
        high=percent(last[1], language),
    )
    height, top, bottom, left, right = 150, 12, 124, 40, WIDTH - 12
    body = []
    for tick in (0, 50, 100):
        y = bottom - (bottom - top) * tick / 100
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#c4c4c4"/>')
        body.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{tick}%</text>')
    step = (right - left) / max(len(points) - 1, 1)
    xy = [
        (left + i * step, bottom - (bottom - top) * min(rate, 100) / 100)
        for i, (_, rate) in enumerate(points)
    ]
    body.append(
        '<polyline fill="none" stroke="#1f4e79" stroke-width="2" points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        + '"/>'
    )
    changes = [i for i in range(1, len(points)) if versions[i] != versions[i - 1]]
    for i in changes:
        x = (xy[i - 1][0] + xy[i][0]) / 2
        body.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#1a1a1a" '
            'stroke-dasharray="4 3"/>'
        )
        label = text(word("version", language, n=versions[i]))
        body.append(f'<text x="{x + 3:.1f}" y="{top + 10}" font-size="11">{label}</text>')
    if changes:
        desc += " " + word("trend_versions", language)
    for x, y in xy:
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#1f4e79"/>')
    for i in _labelled(points, [x for x, _ in xy]):
        x = xy[i][0]
        # The first and last labels keep inside the picture; the others centre under their point.
        anchor = "start" if i == 0 else "end" if i == len(xy) - 1 else "middle"
        label = text(points[i][0].isoformat()[5:])
        body.append(
            f'<text x="{x:.1f}" y="{height - 8}" text-anchor="{anchor}" font-size="11">{label}</text>'
        )
    return _svg("trend", WIDTH, height, word("trend", language), desc, body)


def _labelled(points: Sequence[tuple[date, float]], xs: Sequence[float]) -> list[int]:
    """The points whose day is written: the first of each day, at least _LABEL_GAP from the one
    before; the last point's always (the one before it gives way)."""
    shown: list[int] = []
    for i, (day, _) in enumerate(points):
        if shown and (points[shown[-1]][0] == day or xs[i] - xs[shown[-1]] < _LABEL_GAP):
            continue
        shown.append(i)
    last = len(points) - 1
    if last > 0 and shown[-1] != last:
        while shown and (points[shown[-1]][0] == points[last][0] or xs[last] - xs[shown[-1]] < _LABEL_GAP):
            shown.pop()
        shown.append(last)
    return shown


def _svg(prefix: str, width: int, height: float, title: str, desc: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{prefix}" '
        f'viewBox="0 0 {width} {height:.0f}" role="img" aria-labelledby="{prefix}-title {prefix}-desc" '
        f'font-family="DejaVu Sans, Verdana, sans-serif" font-size="{_FONT}" fill="#1a1a1a">'
        f'<title id="{prefix}-title">{text(title)}</title><desc id="{prefix}-desc">{text(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def progress_text(progress: Progress, language: Language) -> str:
    """The figures as the command line prints them."""
    lines = [
        word(
            "report_head",
            language,
            day=progress.measured_on,
            days=progress.active_days,
            devices=progress.devices_read,
            users=progress.users_read,
        ),
        word("report_total", language, figures=figures(progress, language)),
        "",
    ]
    if progress.few_placed:
        lines[1:1] = [few_placed(progress, language)]
    for phase in progress.phases:
        line = word(
            "report_phase",
            language,
            phase=phase_name(phase.phase, phase.number, language),
            month=phase.month,
            figures=figures(phase, language),
            expected=percent(phase.expected, language),
        )
        lines.append(line + (f" – {word('behind', language).upper()}" if phase.behind else ""))
    if progress.gates:
        lines.append("")
    for gate in progress.gates:
        verdict = gate_verdict(gate.met, gate.due)
        lines.append(
            word(
                "report_gate",
                language,
                phase=phase_name(gate.after_phase, gate.after_number, language),
                day=gate.date,
                measured=share(gate.measured, language),
                threshold=gate.threshold,
                verdict=word(verdict, language),
            )
        )
    lost = progress.unmatched.model_dump()
    if any(lost.values()):
        lines += ["", word("report_lost", language)]
        lines += [f"  {gettext(LOST[key], language)}: {count}" for key, count in lost.items() if count]
    return "\n".join(lines) + "\n"
