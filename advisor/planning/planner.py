"""The plan: the rule stages in order, with the pilots, the pieces and the months between them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import cast

from advisor.evaluate.decisions import Decision, Evaluator, Facts, decide, fired_warnings
from advisor.model.errors import Problem, RolloutTooLong
from advisor.model.facts import Assessment, Group, group_facts, site_key
from advisor.model.guide import GUIDE_URL, localized_source
from advisor.model.i18n import gettext, ngettext
from advisor.model.methods import LOAD_PARAMETERS, METHODS, PREREQUISITES, methods_for
from advisor.model.plan import (
    MAX_ROLLOUT_MONTHS,
    Alternative,
    Entry,
    GateDecision,
    GroupPlan,
    MethodAlternative,
    MethodChoice,
    Phase,
    Placement,
    Plan,
    Prerequisite,
    Reason,
    RulebookRef,
    SplitBy,
    Warning,
    add_months,
)
from advisor.model.vocabulary import (
    APPROACHES,
    PLATFORMS,
    Language,
    Owner,
    PhaseKind,
    Platform,
    Provenance,
    Stage,
    day_name,
    month_name,
    term,
)
from advisor.planning.calendar import CalendarMaker, Laid, Part, PhaseDays, knows_holidays
from advisor.planning.explain import cached_reason, cached_why_not, explanations_for, reason_text
from advisor.planning.layout import Piece, Slot, TooManyPhases, Unit, divide, pack, units_for
from advisor.planning.methods import (
    FALLBACK_KEPT,
    FALLBACK_METHOD,
    Chosen,
    always,
    device_split,
    due,
    load_of,
    owners,
    prerequisites_of,
    resets,
    who_enrolls,
)
from advisor.rulebook.loader import Rulebook, RuleInfo

# When no rule decides, the planner falls back to the guide's plainest choice and says so.
FALLBACK = {
    "pilot": "production",
    "wave": "middle",
    "split_by": "department",
    "limited_pilot": "none",
    "enrollment": "self_service",
}
_PLANNING = f"{GUIDE_URL}#targeted-groups-and-timeframes"
# The codes of the warnings the planner gives of itself (`_assume`; the calendar's too), apart from
# the rules': a test keeps the list whole. A plan holds one warning per code and group, so a rule's
# warning that shared a code with one of these would take its place, or give it up.
PLANNER_WARNINGS = frozenset(
    {
        "calendar-in-the-past",
        "country-assumed",
        "even-split-assumed",
        "gate-decision-unmatched",
        "gate-no-go",
        "holidays-not-known",
        "long-rollout",
        "ownership-split-assumed",
        "quiet-month-skipped",
        "rollout-start-past",
        "rule-gap",
        "support-week-over-capacity",
    }
)
# The months the calendar can date phases in: the lead-up and the follow-up (at most 60 working
# days each, as the rulebook bounds them) stay within the years datetime knows (1 to 9999).
CALENDAR_FIRST, CALENDAR_LAST = "0001-05", "9999-06"
# Microsoft's current planning guide: steps 5-7 ask for a rollout, communication and support plan.
_CURRENT_PLANNING = "https://learn.microsoft.com/mem/intune/fundamentals/intune-planning-guide"


def _months_between(first: str, later: str) -> int:
    (y1, m1), (y2, m2) = ((int(p) for p in month.split("-")) for month in (first, later))
    return (y2 - y1) * 12 + m2 - m1


@dataclass
class _Phase:
    """A phase being dated: its kind and number, the pieces' users in it, and its month."""

    kind: str
    number: int | None
    entries: list[tuple[int, int]]  # (piece, users)
    month: str = ""


@dataclass
class _Placed:
    """One piece in one phase: what the plan shows as a placement."""

    piece: int
    group: int
    kind: str
    number: int | None
    month: str
    users: int
    devices: int
    load: int = 0  # hundredths of a user-equivalent


@dataclass
class _Decided:
    """A piece with its enrollment decision and the facts it was decided on."""

    facts: Facts = field(default_factory=dict)
    enrollment: Decision = field(default_factory=lambda: Decision("enrollment", None, None))

    @property
    def approach(self) -> str:
        return self.enrollment.value or FALLBACK["enrollment"]


class Planner:
    """Plans one assessment with one rulebook version (engine or oracle)."""

    def __init__(
        self,
        assessment: Assessment,
        evaluator: Evaluator,
        language: Language | None = None,
        max_months: int = MAX_ROLLOUT_MONTHS,
        today: date | None = None,
    ):
        self.assessment = assessment
        self.max_months = max_months
        self.today = today
        self.evaluator = evaluator
        self.rulebook: Rulebook = evaluator.rulebook
        self.params = self.rulebook.parameters
        self.explanations = explanations_for(self.rulebook)
        self.language: Language = language or assessment.organisation.language
        self.groups: Sequence[Group] = assessment.groups
        self.warnings: list[Warning] = []
        self._country: str | None = None
        self._quiet_months = self._quiet()
        # The decisions taken at each gate (by the phase it follows), oldest first; the latest
        # no-go's date holds the next phase back.
        self._decisions: dict[tuple[str, int | None], list[GateDecision]] = {}
        self._no_go: dict[tuple[str, int | None], str] = {}
        for taken in sorted(assessment.gate_decisions, key=lambda d: d.date):
            key = (taken.after.phase, taken.after.number if taken.after.phase == "production" else None)
            self._decisions.setdefault(key, []).append(
                GateDecision(outcome=taken.outcome, by=taken.by, date=taken.date, note=taken.note)
            )
            if taken.outcome == "no_go":
                self._no_go[key] = taken.date
        # What `_warn_if_long` needs of the production layout (offset, bins, pieces, load, split).
        self._long: tuple[int, Sequence[Sequence[Unit]], Sequence[Piece], int, str] = (0, [], [], 0, "")
        # One spelling per site, as first written (trimmed): sites compare by `site_key`.
        self._site_names: dict[str, str] = {}
        for group in self.groups:
            for loc in group.locations:
                self._site_names.setdefault(site_key(loc), loc.strip())

    # -- stages -----------------------------------------------------------------------------
    def run(self) -> Plan:
        group_facts_ = [group_facts(g) for g in self.groups]
        group_fired = self.evaluator.evaluate("group", group_facts_)
        pilot = [self._decide("group", fired, "pilot", i) for i, fired in enumerate(group_fired)]
        wave = [self._decide("group", fired, "wave", i) for i, fired in enumerate(group_fired)]
        for i, fired in enumerate(group_fired):
            self._warn("group", fired, group_facts_[i], self.groups[i].id)
        pilots = [d.value or FALLBACK["pilot"] for d in pilot]
        waves = [d.value or FALLBACK["wave"] for d in wave]

        self._chosen = self._methods(group_facts_)
        self._chosen_of: dict[int, list[Chosen]] = {i: [] for i in range(len(self.groups))}
        for chosen in self._chosen:
            self._chosen_of[chosen.group].append(chosen)

        org_facts = self._organisation_facts(pilots)
        (org_fired,) = self.evaluator.evaluate("organisation", [org_facts])
        split = self._decide("organisation", org_fired, "split_by", None)
        source = self._decide("organisation", org_fired, "limited_pilot", None)
        self._warn("organisation", org_fired, org_facts, None)
        split_by = split.value or FALLBACK["split_by"]

        pieces, phases, from_business = self._layout(pilots, waves, split_by, source.value or "none")
        placed = self._date(pieces, phases)
        decided = self._decide_pieces(pieces, placed, pilots, waves, group_facts_)
        self._check_start()

        by_group: dict[int, list[_Placed]] = {}
        for p in placed:
            by_group.setdefault(p.group, []).append(p)
        # A wave says where a group goes among the others: with one wave in production it would
        # say "late" or "early" of a group with no other to go before or after.
        self._waves_differ = len({waves[p.group] for p in placed if p.kind == "production"}) > 1
        laid = self._calendar(placed, pieces, decided)
        return Plan(
            language=self.language,
            organisation=self.assessment.organisation.name,
            rulebook=RulebookRef(version=self.rulebook.version, rules=len(self.rulebook.rules)),
            split_by=SplitBy(value=split_by, reasons=self._reasons([split], org_facts)),
            phases=self._phases(placed, pieces, decided),
            groups=[
                self._group_plan(
                    i,
                    [pilot[i], *([source] if i in from_business else [])],
                    wave[i],
                    group_facts_[i],
                    org_facts,
                    by_group.get(i, []),
                    pieces,
                    decided,
                )
                for i in range(len(self.groups))
            ],
            warnings=self._unique_warnings(),
            prerequisites=self._prerequisites(placed, pieces),
            calendar=laid.events,
            gates=laid.gates,
            support_load=laid.load,
        )

    def _decide(self, stage: Stage, fired: frozenset[str], name: str, group: int | None) -> Decision:
        decision = decide(self.rulebook, stage, fired, name)
        if decision.winner is None:
            value = FALLBACK[name]
            self._assume(
                "rule-gap",
                None if group is None else self.groups[group].id,
                gettext(
                    "No rule decided the %(decision)s for this case; the planner assumed "
                    "'%(value)s'. The rulebook has a gap.",
                    self.language,
                    decision=name,
                    value=value,
                ),
            )
            return Decision(name, value, None)
        return decision

    def _warn(self, stage: Stage, fired: frozenset[str], facts: Facts, group: str | None) -> None:
        for info in fired_warnings(self.rulebook, stage, fired):
            self.warnings.append(rule_warning(info, self.language, facts, self.params, group))

    def _assume(
        self,
        code: str,
        group: str | None,
        text: str,
        *,
        severity: str = "info",
        provenance: Provenance = "beyond_guide",
        source: str = _PLANNING,
    ) -> None:
        """A warning from the planner itself: what it assumed or moved, never the guide's word."""
        self.warnings.append(
            Warning(
                code=code,
                group=group,
                severity="warning" if severity == "warning" else "info",
                text=text,
                source=localized_source(source, self.language),
                provenance=provenance,
            )
        )

    def _unique_warnings(self) -> list[Warning]:
        seen: set[tuple[str, str | None]] = set()
        unique = []
        for warning in self.warnings:
            if (warning.code, warning.group) not in seen:
                seen.add((warning.code, warning.group))
                unique.append(warning)
        return unique

    # -- methods ------------------------------------------------------------------------------
    def _methods(self, group_facts_: Sequence[Facts]) -> list[Chosen]:
        """The method stage: for every kind of device of every group (a platform, and who owns the
        devices; a mixed group has both), the enrollment method, before any approach is decided."""
        kinds: list[tuple[int, Platform, Owner, int]] = []
        facts: list[Facts] = []
        for i, group in enumerate(self.groups):
            split = device_split(group, self._devices_by_platform(i), self._personal_percent(i))
            for platform in group.platforms:
                for owner in owners(group):
                    kinds.append((i, platform, owner, split[(platform, owner)]))
                    facts.append({**group_facts_[i], "platform": platform, "owner": owner})
        fired = self.evaluator.evaluate("method", facts)
        table = self.rulebook.tables["method_prerequisites"]
        assumed_in_use = self.rulebook.lists["devices_assumed_in_use"]
        chosen: list[Chosen] = []
        for (i, platform, owner, devices), rules, kind_facts in zip(kinds, fired, facts, strict=True):
            group = self.groups[i]
            decision = decide(self.rulebook, "method", rules, "method")
            kept = owner == "corporate" and group.corporate_devices == "in_use_keep"
            # The fired rules whose method can enroll these devices (and never resets kept ones),
            # best first: a rule deciding another platform's method is passed over (the lint
            # reports it as an error).
            fitting = [
                info
                for info in sorted(decision.fired, key=lambda info: -info.rule.priority)
                if (s := METHODS.get(info.rule.value)) is not None
                and s.platform == platform
                and owner in s.owners
                and not (kept and s.resets)
            ]
            if fitting and fitting[0] is not decision.winner:
                decision = Decision("method", fitting[0].rule.value, fitting[0], decision.fired)
            spec = METHODS.get(decision.value or "")
            if not fitting or spec is None:
                fallback = (FALLBACK_KEPT if kept else FALLBACK_METHOD)[(platform, owner)]
                self._assume(
                    "rule-gap",
                    group.id,
                    gettext(
                        "No rule decided a fitting enrollment method for the group's %(owner)s %(platform)s "
                        "devices; the planner assumed %(method)s. The rulebook has a gap.",
                        self.language,
                        owner=term(owner, self.language),
                        platform=term(platform, self.language),
                        method=term(fallback, self.language),
                    ),
                )
                decision, spec = Decision("method", fallback, None), METHODS[fallback]
            self._warn("method", rules, kind_facts, group.id)
            reset, assumed = resets(spec, group, owner, platform, assumed_in_use)
            chosen.append(
                Chosen(
                    i,
                    platform,
                    owner,
                    kind_facts,
                    decision,
                    spec,
                    devices,
                    shared=owner == "corporate" and "shared_devices" in group.requirements,
                    reset_required=reset,
                    reset_assumed=assumed,
                    reset_if_in_use=owner == "corporate"
                    and spec.resets
                    and not reset
                    and group.corporate_devices == "unknown",
                    prerequisites=prerequisites_of(spec, owner, table),
                )
            )
        return chosen

    def _personal_percent(self, i: int) -> int:
        """A mixed group's personal share of devices: its answer, else the rulebook's (said)."""
        group = self.groups[i]
        if group.ownership != "mixed":
            return 100 if group.ownership == "personal" else 0
        if group.personal_percent is not None:
            return group.personal_percent
        percent = self.params["mixed_personal_percent"]
        self._assume(
            "ownership-split-assumed",
            group.id,
            gettext(
                "The group's devices are both corporate and personal, and the questionnaire does not say "
                "how they divide: the plan assumes %(percent)s%% of its %(devices)s devices are personal. "
                "Give the personal share to plan each method's devices.",
                self.language,
                percent=percent,
                devices=group.device_count,
            ),
            provenance=self.rulebook.parameter_provenance.get("mixed_personal_percent", "beyond_guide"),
        )
        return percent

    def _weighed(self, piece: Piece) -> Piece:
        """The piece with its load: its devices, each weighed by its enrollment method."""
        load = load_of(piece.devices, piece.platforms, self._chosen_of[piece.group], self.params)
        return piece if load is None else replace(piece, load=load)

    def _method_choices(self, i: int) -> list[MethodChoice]:
        out = []
        for c in self._chosen_of[i]:
            winner = c.decision.winner
            reasons = (
                [cached_reason(winner, self.language, c.facts, self.params, self.explanations)]
                if winner is not None
                else []
            )
            alternatives = [
                MethodAlternative(
                    method=other.slug,
                    why_not=[
                        cached_why_not(info, self.language, c.facts, self.params, winner, self.explanations)
                        for info in self.rulebook.choosing("method", "method", other.slug)
                    ],
                )
                for other in methods_for(c.platform, c.owner)
                if other.slug != c.spec.slug
            ]
            out.append(
                MethodChoice(
                    platform=c.platform,
                    ownership=c.owner,
                    method=c.spec.slug,
                    reset_required=c.reset_required,
                    user_affinity=c.user_affinity,
                    prerequisites=c.prerequisites if c.devices else [],
                    reasons=reasons,
                    alternatives=alternatives,
                    devices=c.devices,
                    experience=c.spec.what_users_do(self.language, shared=not c.user_affinity),
                )
            )
        return out

    def _prerequisites(self, placed: Sequence[_Placed], pieces: Sequence[Piece]) -> list[Prerequisite]:
        """What to set up, each due the rulebook's lead time before the first phase that enrolls a
        device needing it (the rollout's own: before the first phase)."""
        if not placed:
            return []
        first_of_kind: dict[tuple[int, str], str] = {}  # (group, platform) -> first month
        for p in placed:
            for platform in pieces[p.piece].platforms:
                key = (p.group, platform)
                first_of_kind[key] = min(first_of_kind.get(key, p.month), p.month)
        first_of_group: dict[int, str] = {}
        for (g, _), month in first_of_kind.items():
            first_of_group[g] = min(first_of_group.get(g, month), month)
        needs: dict[str, tuple[str, list[str]]] = {}  # code -> (first month, groups)

        def need(code: str, month: str, group: int | None) -> None:
            when, groups = needs.get(code, (month, []))
            if group is not None and self.groups[group].id not in groups:
                groups.append(self.groups[group].id)
            needs[code] = (min(when, month), groups)

        start = min(p.month for p in placed)
        for code in always(self.rulebook.tables["method_prerequisites"]):
            need(code, start, None)
        for c in self._chosen:
            first = first_of_kind.get((c.group, c.platform))
            if first is None or c.devices <= 0:
                continue
            for code in c.prerequisites:
                need(code, first, c.group)
        by_requirement = self.rulebook.tables["requirement_prerequisites"]
        for g, month in first_of_group.items():
            if not any(c.spec.enrolls and c.devices for c in self._chosen_of[g]):
                continue  # nothing of the group enrolls: its requirements need no device setup
            for requirement in self.groups[g].requirements:
                for code in by_requirement.get(requirement, ()):
                    need(code, month, g)
        lead = self.params["prerequisite_lead_days"]
        provenance = self.rulebook.parameter_provenance.get("method_prerequisites", "current_practice")
        # Platforms whose devices enroll as personal: personal devices, and corporate ones enrolled
        # a personal way with nothing that marks them corporate.
        personal = [
            p
            for p in PLATFORMS
            if any(
                c.platform == p
                and c.spec.enrolls
                and c.devices
                and "personal" in c.spec.owners
                and (c.owner == "personal" or "corporate-identifiers" not in c.prerequisites)
                for c in self._chosen
            )
        ]
        out = []
        for code, spec in PREREQUISITES.items():  # in the catalogue's order, then by date
            if code not in needs:
                continue
            month, groups = needs[code]
            platforms = ", ".join(term(p, self.language) for p in personal) or gettext(
                "no platform", self.language
            )
            out.append(
                Prerequisite(
                    code=code,
                    text=gettext(spec.text, self.language, platforms=platforms)
                    if "%(platforms)s" in spec.text
                    else gettext(spec.text, self.language),
                    due=due(month, lead),
                    provenance=provenance,
                    source=spec.source,
                    groups=groups,
                )
            )
        return sorted(out, key=lambda p: p.due)

    def _calendar(
        self, placed: Sequence[_Placed], pieces: Sequence[Piece], decided: Sequence[_Decided]
    ) -> Laid:
        """The days of the phases: messages, windows, tech fairs, gates, the helpdesk's weeks."""
        phases: list[PhaseDays] = []
        for p in placed:
            if not phases or (phases[-1].kind, phases[-1].number, phases[-1].month) != (
                p.kind,
                p.number,
                p.month,
            ):
                phases.append(PhaseDays(cast(PhaseKind, p.kind), p.number, p.month, []))
            piece = pieces[p.piece]
            phases[-1].slots.append(
                Part(p.group, p.users, p.load, decided[p.piece].approach, piece.locations)
            )
        org = self.assessment.organisation
        country = self._country
        if country is None:
            self._assume(
                "holidays-not-known",
                None,
                gettext(
                    "The assessment names no country: the calendar skips weekends, 1 January and 25-26 "
                    "December only. Give the country to skip its public holidays too.",
                    self.language,
                ),
            )
        elif not knows_holidays(country):
            self._assume(
                "holidays-not-known",
                None,
                gettext(
                    "The holiday calendar does not know the country %(country)s: the calendar skips "
                    "weekends, 1 January and 25-26 December only.",
                    self.language,
                    country=country,
                ),
            )
        maker = CalendarMaker(
            self.groups,
            self.params,
            self.rulebook.lists["holiday_categories"],
            self.rulebook.lists["holidays_everywhere"],
            country,
            self._quiet_months,
            self.language,
            org.support_capacity,
            self._decisions,
            org.gate_thresholds,
            frozenset(c.group for c in self._chosen if c.devices and c.spec.load == "app_protection"),
        )
        try:
            laid = maker.lay_out(phases)
        except OverflowError:  # a step pushed past the years dates have, by months to avoid
            message = gettext(
                "the rollout's calendar needs its phases between %(first)s and %(last)s, with room for "
                "the messages before them and the follow-up after",
                self.language,
                first=month_name(CALENDAR_FIRST, self.language),
                last=month_name(CALENDAR_LAST, self.language),
            )
            raise self._too_long(message, self.max_months + 1, path="rollout_start") from None
        if self.today is not None and laid.events and laid.events[0].date < self.today.isoformat():
            past = [e for e in laid.events if e.date < self.today.isoformat()]
            self._assume(
                "calendar-in-the-past",
                None,
                ngettext(
                    "%(num)d step of the calendar falls before today, the first on %(first)s: do it now or "
                    "start the rollout later.",
                    "%(num)d steps of the calendar fall before today, the first on %(first)s: do them now or "
                    "start the rollout later.",
                    len(past),
                    self.language,
                    first=day_name(past[0].date, self.language),
                ),
                severity="warning",
                source=_CURRENT_PLANNING,
            )
        known = {(g.after.phase, g.after.number) for g in laid.gates}
        for key in self._decisions:
            if key not in known:
                self._assume(
                    "gate-decision-unmatched",
                    None,
                    gettext(
                        "Decisions were recorded at a gate after %(phase)s, which this plan no longer "
                        "has before another phase: they are kept in the assessment, but they move nothing.",
                        self.language,
                        phase=term(key[0], self.language, number=key[1])
                        if key[1]
                        else term(key[0], self.language),
                    ),
                )
        for code, group, text, severity in laid.warnings:
            self._assume(code, group, text, severity=severity, source=_CURRENT_PLANNING)
        return laid

    # -- facts between stages ---------------------------------------------------------------
    def _organisation_facts(self, pilot: Sequence[str]) -> Facts:
        org = self.assessment.organisation
        total = sum(g.users for g in self.groups)
        load = sum(c.devices * self.params[LOAD_PARAMETERS[c.spec.load]] for c in self._chosen)
        load += sum(g.users * 100 for g in self.groups if g.device_count == 0)  # one per user
        in_pilot = [g for g, p in zip(self.groups, pilot, strict=True) if p in ("limited", "expanded")]
        later = [g for g, p in zip(self.groups, pilot, strict=True) if p not in ("limited", "expanded")]
        piloted = {p for g in in_pilot for p in g.platforms}
        tested = {r for g in in_pilot for r in g.requirements}
        untested_platforms = frozenset({p for g in later for p in g.platforms} - piloted)
        untested = frozenset({r for g in later for r in g.requirements} - tested if in_pilot else ())
        # Methods a pilot never tries, on platforms it does (an untested platform is warned on its own).
        methods_by = [(c.spec, pilot[c.group] in ("limited", "expanded")) for c in self._chosen if c.devices]
        tried = {spec.slug for spec, piloted in methods_by if piloted}
        untested_methods = frozenset(
            spec.slug
            for spec, piloted in methods_by
            if not piloted and spec.slug not in tried and spec.platform not in untested_platforms
        )
        return {
            "split_by_choice": org.split_by,
            "groups": len(self.groups),
            "total_users": total,
            "sites": len({site_key(loc) for g in self.groups for loc in g.locations}),
            "platform_count": len({p for g in self.groups for p in g.platforms}),
            "support_capacity_set": org.support_capacity is not None,
            # The month's capacity against the whole rollout's load (each device by its method's
            # weight, in hundredths of a user): the unit the capacity counts in.
            "support_share_percent": (
                org.support_capacity * 100 * 100 // max(1, load) if org.support_capacity is not None else 100
            ),
            "it_groups": sum(g.it_department for g in self.groups),
            "limited_pilot_groups": sum(p == "limited" for p in pilot),
            "eager_business_groups": sum(
                p == "expanded" and not g.it_department for g, p in zip(self.groups, pilot, strict=True)
            ),
            "pilot_groups": len(in_pilot),
            "pilot_business_groups": sum(not g.it_department for g in in_pilot),
            "platforms_not_piloted": len(untested_platforms),
            "untested_platforms": untested_platforms,
            "requirements_not_piloted": untested,
            "requirements_not_piloted_count": len(untested),
            "untested_methods": untested_methods if in_pilot else frozenset(),
            "methods_not_piloted": len(untested_methods) if in_pilot else 0,
        }

    # -- pieces and phases ------------------------------------------------------------------
    def _layout(
        self, pilot: Sequence[str], wave: Sequence[str], split: str, source: str
    ) -> tuple[list[Piece], list[_Phase], set[int]]:
        """The pilots by principle, then production cut into pieces and packed into phases.

        The limited pilot takes IT users fit for it; when the rules chose a business source, a
        slice of an eager business group. The expanded pilot takes the rest of the pilot IT
        groups and the other eager business groups' slices. Returns the pieces, the phases (not
        yet dated) and the groups whose slice makes up the limited pilot in place of IT.
        """
        seats = self.params["limited_pilot_size"]
        pieces: list[Piece] = []
        limited: list[tuple[int, int]] = []
        expanded: list[tuple[int, int]] = []
        from_business: set[int] = set()
        production_users: list[int] = []
        for i, group in enumerate(self.groups):
            in_limited = in_expanded = 0
            if pilot[i] == "limited" and source == "it":
                in_limited = min(seats, group.users)
                seats -= in_limited
                in_expanded = group.users - in_limited
            elif pilot[i] in ("limited", "expanded") and group.it_department:
                in_expanded = group.users
            elif pilot[i] in ("limited", "expanded"):  # a business group: a slice, never the whole
                share = group.users * self.params["business_pilot_slice_percent"] // 100
                slice_ = min(max(1, share), self.params["business_pilot_slice_max_users"], group.users - 1)
                if source == "business" and not from_business and seats > 0 and slice_ > 0:
                    in_limited = min(seats, slice_)
                    seats -= in_limited
                    from_business.add(i)
                in_expanded = slice_ - in_limited
            limited.append((i, in_limited))
            expanded.append((i, in_expanded))
            production_users.append(group.users - in_limited - in_expanded)

        shares = {
            i: self._shares(i, limited[i][1], expanded[i][1], production_users[i], split)
            for i in range(len(self.groups))
        }
        phases: list[_Phase] = []
        for kind, taken in (("limited_pilot", limited), ("expanded_pilot", expanded)):
            entries = []
            for i, users in taken:
                if users:
                    devices = shares[i][0 if kind == "limited_pilot" else 1]
                    pieces.append(
                        Piece(
                            i,
                            users,
                            devices,
                            tuple(self.groups[i].platforms),
                            self._sites(self.groups[i].locations),
                            "",
                            wave[i],
                        )
                    )
                    entries.append((len(pieces) - 1, users))
            if entries:
                phases.append(_Phase(kind, None, entries))

        first_production = len(pieces)
        for i in range(len(self.groups)):
            pieces.extend(self._production_pieces(i, production_users[i], shares[i][2:], split, wave[i]))
        pieces[:] = [self._weighed(piece) for piece in pieces]  # what each weighs on the helpdesk
        production = pieces[first_production:]
        # Months before production (quiet months aside): one per pilot, the expanded pilot after
        # the limited one by the rulebook's offset.
        offset = 1 + self.params["expanded_pilot_month_offset"] if len(phases) == 2 else len(phases)
        slots = self._production_slots(production, split, offset)
        for number, slot in enumerate(slots, start=1):
            phases.append(_Phase("production", number, [(first_production + p, u) for p, u in slot.entries]))
        return pieces, phases, from_business

    def _shares(self, i: int, limited: int, expanded: int, production: int, split: str) -> list[int]:
        """The group's devices for its limited and expanded pilot pieces, then for each production
        piece (one per platform, one per site, or one), in proportion to the users; with a
        platform split each platform's devices are divided the same way."""
        group = self.groups[i]
        if split == "platform":
            by_platform = self._devices_by_platform(i)
            out = [0, 0]
            for devices in by_platform.values():
                pilot_l, pilot_e, rest = divide(devices, [limited, expanded, production])
                out[0] += pilot_l
                out[1] += pilot_e
                out.append(rest)
            return out
        if group.locations:
            sites = self._users_by_site(i, production)
            return divide(group.device_count, [limited, expanded, *sites.values()])
        return divide(group.device_count, [limited, expanded, production])

    def _devices_by_platform(self, i: int) -> dict[str, int]:
        group = self.groups[i]
        given = group.devices_by_platform
        if given:
            return {p: given.get(p, 0) for p in group.platforms}
        return dict(zip(group.platforms, divide(group.device_count, [1] * len(group.platforms)), strict=True))

    def _users_by_site(self, i: int, users: int) -> dict[str, int]:
        """The group's `users` (its production share) over its sites, as given or evenly."""
        group = self.groups[i]
        given = {site_key(k): v for k, v in (group.users_by_location or {}).items()}
        weights = (
            [given.get(site_key(loc), 0) for loc in group.locations] if given else [1] * len(group.locations)
        )
        return dict(zip(group.locations, divide(users, weights), strict=True))

    def _sites(self, locations: Sequence[str]) -> tuple[str, ...]:
        return tuple(self._site_names[site_key(loc)] for loc in locations)

    def _production_pieces(
        self, i: int, users: int, devices: Sequence[int], split: str, wave: str
    ) -> list[Piece]:
        group = self.groups[i]
        if users <= 0:
            return []
        platforms, locations = tuple(group.platforms), self._sites(group.locations)
        if split == "platform":
            if len(group.platforms) > 1 and not group.devices_by_platform:
                self._assume(
                    "even-split-assumed",
                    group.id,
                    gettext(
                        "The group's devices per platform are not given: the plan divides its "
                        "%(devices)s devices evenly over %(platforms)s. Give devices by platform to plan "
                        "each month's load.",
                        self.language,
                        devices=group.device_count,
                        platforms=", ".join(term(p, self.language) for p in group.platforms),
                    ),
                )
            return [
                Piece(i, users, d, (p,), locations, p, wave)
                for p, d in zip(group.platforms, devices, strict=True)
            ]
        if (
            group.locations
        ):  # one piece per site: each site has its own approach (a tech fair is in one place)
            if len(group.locations) > 1 and not group.users_by_location:
                self._assume(
                    "even-split-assumed",
                    group.id,
                    gettext(
                        "The group's users per site are not given: the plan divides its %(users)s users "
                        "evenly over %(sites)s. Give users by site to plan each site's phase.",
                        self.language,
                        users=users,
                        sites=", ".join(group.locations),
                    ),
                )
            by_site = self._users_by_site(i, users)
            department = group.department_name.strip().casefold()
            return [
                Piece(
                    i,
                    n,
                    d,
                    platforms,
                    self._sites([loc]),
                    site_key(loc) if split == "geography" else department,
                    wave,
                )
                for (loc, n), d in zip(by_site.items(), devices, strict=True)
                if n > 0
            ]
        key = group.department_name.strip().casefold() if split == "department" else ""
        return [Piece(i, users, devices[0], platforms, locations, key, wave)]

    def _production_slots(self, pieces: Sequence[Piece], split: str, offset: int) -> list[Slot]:
        """The production phases, one a month from `offset` months after the start; refused
        (RolloutTooLong) past the ceiling on months, before anything past it is built."""
        capacity = self.assessment.organisation.support_capacity
        room = self._free_months(offset, self.max_months)
        bins = units_for(split, pieces, self._platform_order(), capacity)
        if offset > self.max_months or len(bins) > room:  # every bin starts a phase of its own
            message = ngettext(
                "the rollout would take more than %(num)d month, the most this service plans: each "
                "site or platform starts a phase of its own. Plan fewer sites or groups in one "
                "assessment, or raise the support capacity",
                "the rollout would take more than %(num)d months, the most this service plans: each "
                "site or platform starts a phase of its own. Plan fewer sites or groups in one "
                "assessment, or raise the support capacity",
                self.max_months,
                self.language,
            )
            raise self._too_long(message, offset + len(bins), path="")
        load = sum(p.weight for p in pieces)  # hundredths of a user-equivalent
        try:
            if capacity and offset + -(-load // (capacity * 100)) > self.max_months:
                raise TooManyPhases  # each month onboards at most `capacity`: known before packing
            slots = pack(bins, pieces, capacity, max_slots=room)
        except TooManyPhases:
            enough = self._capacity_that_fits(bins, pieces, room, load)
            at_least = max(offset + -(-load // (capacity * 100)) if capacity else 0, self.max_months + 1)
            message = ngettext(
                "the rollout would take at least %(num)d month; this service plans at most "
                "%(ceiling)s. Raise the support capacity (to at least %(capacity)s users a month) "
                "or plan fewer users",
                "the rollout would take at least %(num)d months; this service plans at most "
                "%(ceiling)s. Raise the support capacity (to at least %(capacity)s users a month) "
                "or plan fewer users",
                at_least,
                self.language,
                ceiling=self.max_months,
                capacity=enough,
            )
            raise self._too_long(message, at_least, path="support_capacity") from None
        self._long = (offset, bins, pieces, load, split)
        return slots

    def _platform_order(self) -> Sequence[str]:
        return self.rulebook.lists["platform_order"]

    # -- months -----------------------------------------------------------------------------
    def _free_months(self, first: int, end: int) -> int:
        """How many of the months `first` .. `end - 1` after the start are not quiet: the phases
        that fit in that time."""
        start = self.assessment.organisation.rollout_start
        quiet = self._quiet_months
        return sum(not _hits(add_months(start, m), quiet) for m in range(first, end))

    def _quiet(self) -> set[str]:
        """The organisation's quiet months (`MM` every year, `YYYY-MM` once): its own answer, else
        the rulebook's for its country; a country assumed from the assessment's language (never
        from the language a plan is asked in) is said in the plan."""
        org = self.assessment.organisation
        country = org.country
        self._country = country
        if org.quiet_months is not None:
            if country is None and org.language == "sv":
                self._country = "SE"  # the holidays the calendar skips (said with the calendar)
            return set(org.quiet_months)
        if country is None and org.language == "sv":
            country = "SE"
            self._assume(
                "country-assumed",
                None,
                gettext(
                    "The assessment is written in Swedish and names no country: the plan assumes "
                    "Sweden (SE) for its quiet months. Give the country to change that.",
                    self.language,
                ),
            )
        self._country = country
        table = self.rulebook.tables["quiet_months"]
        return set(table.get(country or "", table["default"]))

    def _date(self, pieces: Sequence[Piece], phases: list[_Phase]) -> list[_Placed]:
        """Months for the phases in order: the first at the rollout's start, each later one a month
        after the one before (the expanded pilot as the rulebook says), and none starting in a
        quiet month or a month one of its groups avoids: such a phase moves on, and the plan says
        so."""
        start = self.assessment.organisation.rollout_start
        quiet = self._quiet_months
        cursor = start
        moves: list[tuple[_Phase, list[str], str]] = []  # the phase, the months it skips, its month
        group_moves: dict[int, list[tuple[_Phase, list[str], str]]] = {}
        previous: _Phase | None = None
        held: list[tuple[_Phase, str]] = []  # phases a no-go held back, and the month they had
        for phase in phases:
            if previous is not None:
                same = phase.kind == "expanded_pilot" and previous.kind == "limited_pilot"
                step = self.params["expanded_pilot_month_offset"] if same else 1
                cursor = add_months(previous.month, step)
            avoided = {
                g: set(self.groups[g].avoid_months) for g in {pieces[p].group for p, _ in phase.entries}
            }

            def first_free(month: str, avoided: dict[int, set[str]] = avoided) -> str | None:
                for _ in range(self.max_months + 1):
                    if not _hits(month, quiet) and not any(_hits(month, a) for a in avoided.values()):
                        return month
                    month = add_months(month, 1)
                return None

            no_go = self._no_go.get((previous.kind, previous.number)) if previous is not None else None
            planned = first_free(cursor)
            if no_go is not None and planned is not None:
                # A month more than planned for the phase before, and never before the decision.
                after_decision = add_months(no_go[:7], 1)
                cursor = max(add_months(planned, 1), after_decision, key=_in_calendar_order)
                held.append((phase, planned))
            found = first_free(cursor)
            month = found or cursor
            if found is None:  # past the ceiling on months: no start for this phase that the plan could hold
                message = gettext(
                    "no month within %(ceiling)s months of %(month)s is free of the quiet months and the "
                    "months the groups of %(phase)s avoid: give fewer of them",
                    self.language,
                    ceiling=self.max_months,
                    month=month_name(cursor, self.language),
                    phase=self._title(phase),
                )
                raise self._too_long(message, self.max_months + 1, path="quiet_months")
            skipped = []  # each month passed over, and why
            while cursor != month:
                skipped.append(cursor)
                cursor = add_months(cursor, 1)
            if any(_hits(m, quiet) for m in skipped):
                moves.append((phase, [m for m in skipped if _hits(m, quiet)], month))
            for g, avoid in avoided.items():
                if any(_hits(m, avoid) for m in skipped):
                    group_moves.setdefault(g, []).append(
                        (phase, [m for m in skipped if _hits(m, avoid)], month)
                    )
            phase.month = month
            previous = phase
        if moves:
            self._assume(
                "quiet-month-skipped",
                None,
                gettext(
                    "No phase starts in a quiet month (%(quiet)s): %(moves)s.",
                    self.language,
                    quiet=", ".join(_month_word(m, self.language) for m in sorted(quiet, key=_in_order)),
                    moves="; ".join(self._moved(p, a, b) for p, a, b in moves),
                ),
            )
        for g, moved in group_moves.items():
            self._assume(
                "quiet-month-skipped",
                self.groups[g].id,
                gettext(
                    "The group avoids %(avoid)s: %(moves)s.",
                    self.language,
                    avoid=", ".join(
                        _month_word(m, self.language)
                        for m in sorted(self.groups[g].avoid_months, key=_in_order)
                    ),
                    moves="; ".join(self._moved(p, a, b) for p, a, b in moved),
                ),
            )
        for phase, planned in held:
            self._assume(
                "gate-no-go",
                None,
                gettext(
                    "A no-go at the review before %(phase)s holds the groups before it a month longer "
                    "(to mend what failed and review again): %(phase)s moves from %(planned)s to "
                    "%(now)s, and every later phase with it. The rollback steps are listed at the gate.",
                    self.language,
                    phase=self._title(phase),
                    planned=month_name(planned, self.language),
                    now=month_name(phase.month, self.language),
                ),
                severity="warning",
            )
        first, last = (phases[0].month, phases[-1].month) if phases else (start, start)
        months = _months_between(first, last) + 1  # the rollout runs from its first phase
        if int(last.split("-")[0]) > 9999:
            message = gettext("the rollout would end after December 9999; start it earlier", self.language)
            raise self._too_long(message, months, path="rollout_start")
        # The calendar's days reach a few months before the first phase and after the last one.
        if first < CALENDAR_FIRST or last > CALENDAR_LAST:
            message = gettext(
                "the rollout's calendar needs its phases between %(first)s and %(last)s, with room for "
                "the messages before them and the follow-up after",
                self.language,
                first=month_name(CALENDAR_FIRST, self.language),
                last=month_name(CALENDAR_LAST, self.language),
            )
            raise self._too_long(message, months, path="rollout_start")
        if months > self.max_months:
            message = ngettext(
                "the rollout would take %(num)d month with its quiet months skipped; this service plans "
                "at most %(ceiling)s. Raise the support capacity or give fewer quiet months",
                "the rollout would take %(num)d months with its quiet months skipped; this service plans "
                "at most %(ceiling)s. Raise the support capacity or give fewer quiet months",
                months,
                self.language,
                ceiling=self.max_months,
            )
            raise self._too_long(message, months, path="quiet_months")
        production = next((p.month for p in phases if p.kind == "production"), None)
        self._warn_if_long(months, first, production)
        placed: list[_Placed] = []
        for phase in phases:
            for index, users in phase.entries:
                group = pieces[index].group
                placed.append(_Placed(index, group, phase.kind, phase.number, phase.month, users, 0))
        # Each piece's devices over its months, in proportion to the users.
        by_piece: dict[int, list[_Placed]] = {}
        for part in placed:
            by_piece.setdefault(part.piece, []).append(part)
        for index, parts in by_piece.items():
            shares = [x.users for x in parts]
            for part, devices, load in zip(
                parts,
                divide(pieces[index].devices, shares),
                divide(pieces[index].weight, shares),
                strict=True,
            ):
                part.devices, part.load = devices, load
        return placed

    def _title(self, phase: _Phase) -> str:
        if phase.number:
            return term(phase.kind, self.language, number=phase.number)
        return term(phase.kind, self.language)

    def _moved(self, phase: _Phase, skipped: Sequence[str], now: str) -> str:
        return gettext(
            "%(phase)s skips %(skipped)s and starts in %(now)s",
            self.language,
            phase=self._title(phase),
            skipped=", ".join(month_name(m, self.language) for m in skipped),
            now=month_name(now, self.language),
        )

    def _check_start(self) -> None:
        start = self.assessment.organisation.rollout_start
        if self.today is not None and start < f"{self.today.year:04d}-{self.today.month:02d}":
            self._assume(
                "rollout-start-past",
                None,
                gettext(
                    "The rollout starts in %(start)s, which has already passed: the plan's months are "
                    "counted from it all the same. Set the first month of the rollout to a month ahead.",
                    self.language,
                    start=month_name(start, self.language),
                ),
                severity="warning",
            )

    def _warn_if_long(self, months: int, first: str, production: str | None) -> None:
        """`long-rollout` past the rulebook's limit, with what would fit the plan in that time: a
        support capacity that does (found as the refusal past the ceiling finds one, over the
        months from the first production phase that are not quiet), or what else stretches it:
        the calendar, or a unit of the split per month."""
        limit = self.params["long_rollout_months"]
        if months <= limit:
            return
        _, bins, pieces, load, split = self._long
        quiet = self._quiet_months
        capacity = self.assessment.organisation.support_capacity
        room = 0
        if production is not None:
            end = add_months(first, limit)
            month = production
            while month < end:
                room += not _hits(month, quiet)
                month = add_months(month, 1)
        enough = self._capacity_that_fits(bins, pieces, room, load) if 0 < len(bins) <= room else 0
        if room <= 0:
            text = gettext(
                "The rollout takes %(months)s months, more than %(limit)s, and production cannot start "
                "within them: the pilots and the quiet months before it take that long.",
                self.language,
                months=months,
                limit=limit,
            )
        elif len(bins) > room and split == "geography" and capacity is None:
            text = gettext(
                "The rollout takes %(months)s months, more than %(limit)s: with no support capacity given, "
                "each of its %(phases)s sites has a month of its own. Give the helpdesk's capacity, and "
                "small sites will share a month.",
                self.language,
                months=months,
                limit=limit,
                phases=len(bins),
            )
        elif len(bins) > room:  # one phase a month for each unit of the split: no capacity shortens it
            text = gettext(
                "The rollout takes %(months)s months, more than %(limit)s: production is cut by %(split)s "
                "into %(phases)s phases of their own, one a month, and no support capacity shortens that. "
                "Cut production another way, or group sites into regions.",
                self.language,
                months=months,
                limit=limit,
                split=term(split, self.language),
                phases=len(bins),
            )
        elif capacity is not None and enough <= capacity:  # the calendar stretches it, not the helpdesk
            text = gettext(
                "The rollout takes %(months)s months, more than %(limit)s: the quiet months and the months "
                "groups avoid stretch it, not the helpdesk. Start at another time of year, or give fewer "
                "months to avoid.",
                self.language,
                months=months,
                limit=limit,
            )
        else:  # the capacity spreads it: name a capacity that fits `limit` months
            text = gettext(
                "The rollout takes %(months)s months, more than %(limit)s. With a helpdesk that onboards "
                "%(capacity)s users a month, it would be done in %(limit)s months.",
                self.language,
                months=months,
                limit=limit,
                capacity=enough,
            )
        self._assume(
            "long-rollout",
            None,
            text,
            severity="warning",
            provenance=self.rulebook.parameter_provenance.get("long_rollout_months", "beyond_guide"),
        )

    def _capacity_that_fits(
        self, bins: Sequence[Sequence[Unit]], pieces: Sequence[Piece], room: int, load: int
    ) -> int:
        """The smallest support capacity whose phases fit `room` months (bisection over packings,
        each bounded by the pieces and `room`); with the whole load (in hundredths of a
        user-equivalent) as capacity every bin fits one."""
        whole = -(-load // 100)
        low, high = max(1, -(-whole // room)), max(1, whole)
        while low < high:
            middle = (low + high) // 2
            try:
                pack(bins, pieces, middle, max_slots=room)
                high = middle
            except TooManyPhases:
                low = middle + 1
        return low

    def _too_long(self, message: str, months: int, *, path: str) -> RolloutTooLong:
        where = f"organisation.{path}" if path else "organisation"
        return RolloutTooLong(Problem(where, message), months, self.max_months)

    # -- approaches -------------------------------------------------------------------------
    def _decide_pieces(
        self,
        pieces: Sequence[Piece],
        placed: Sequence[_Placed],
        pilot: Sequence[str],
        wave: Sequence[str],
        group_facts_: Sequence[Facts],
    ) -> list[_Decided]:
        """One enrollment approach per piece (a group's share on one platform or at one site, in
        one pilot or in production), whatever months the capacity spreads it over."""
        capacity = self.assessment.organisation.support_capacity
        month_load: dict[str, int] = {}  # hundredths of a user-equivalent
        for p in placed:
            month_load[p.month] = month_load.get(p.month, 0) + p.load
        has_limited = any(p.kind == "limited_pilot" for p in placed)
        of_piece: dict[int, list[_Placed]] = {}
        for p in placed:
            of_piece.setdefault(p.piece, []).append(p)
        decided = [_Decided() for _ in pieces]
        for index, parts in of_piece.items():
            piece, first = pieces[index], parts[0]
            load = max(month_load[p.month] for p in parts)
            chosen = self._chosen_of[piece.group]
            who = who_enrolls(piece.devices, piece.platforms, chosen)
            decided[index].facts = {
                **group_facts_[piece.group],
                "site_count": len(piece.locations),  # the piece's sites: a tech fair is in one place
                "phase": first.kind,
                "phase_number": first.number or 0,
                "phase_users": piece.users,
                "phase_load_percent": load // capacity if capacity else 0,
                "production_phases": len(parts) if first.kind == "production" else 0,
                "pilot": pilot[piece.group],
                "wave": wave[piece.group],
                "limited_pilot_exists": has_limited,
                "methods": frozenset(c.spec.slug for c in chosen if c.platform in piece.platforms),
                "reset_devices": sum(c.devices for c in chosen if c.reset_required),
                "reset_assumed_devices": sum(c.devices for c in chosen if c.reset_assumed),
                "reset_if_in_use_devices": sum(c.devices for c in chosen if c.reset_if_in_use),
                "enrolled_devices": sum(c.devices for c in chosen if c.spec.enrolls),
                "who_enrolls": who,
            }
        indexes = sorted(of_piece)
        fired = self.evaluator.evaluate("placement", [decided[i].facts for i in indexes])
        for index, rules in zip(indexes, fired, strict=True):
            decided[index].enrollment = self._decide("placement", rules, "enrollment", pieces[index].group)
            self._warn("placement", rules, decided[index].facts, self.groups[pieces[index].group].id)
        return decided

    # -- the plan ---------------------------------------------------------------------------
    def _phases(
        self, placed: Sequence[_Placed], pieces: Sequence[Piece], decided: Sequence[_Decided]
    ) -> list[Phase]:
        phases: list[Phase] = []
        by_phase: dict[tuple[str, int | None, str], list[Entry]] = {}  # in the order phases run
        for p in placed:
            piece = pieces[p.piece]
            by_phase.setdefault((p.kind, p.number, p.month), []).append(
                Entry(
                    group=self.groups[p.group].id,
                    users=p.users,
                    enrollment=decided[p.piece].approach,
                    platforms=list(piece.platforms),
                    locations=list(piece.locations),
                    devices=p.devices,
                )
            )
        for (kind, number, month), entries in by_phase.items():
            title = term(kind, self.language, number=number) if number else term(kind, self.language)
            phases.append(Phase(kind=kind, number=number, month=month, title=title, entries=entries))
        return phases

    def _reasons(self, decisions: Sequence[Decision], facts: Facts) -> list[Reason]:
        reasons: list[Reason] = []
        for decision in decisions:
            if decision.winner is not None and all(r.rule != decision.winner.id for r in reasons):
                reasons.append(
                    cached_reason(decision.winner, self.language, facts, self.params, self.explanations)
                )
        return reasons

    def _group_plan(
        self,
        i: int,
        pilot: Sequence[Decision],
        wave: Decision,
        facts: Facts,
        org_facts: Facts,
        placed: Sequence[_Placed],
        pieces: Sequence[Piece],
        decided: Sequence[_Decided],
    ) -> GroupPlan:
        reasons = self._reasons(pilot[:1], facts) + self._reasons(pilot[1:], org_facts)
        if self._waves_differ and any(p.kind == "production" for p in placed):
            reasons += self._reasons([wave], facts)  # the order among production groups
        mine = list(dict.fromkeys(p.piece for p in placed))  # this group's pieces, in order
        # A group split over phases (a pilot share and the rest, or one share per platform or site)
        # is decided part by part: each part's reasons quote its own numbers, and say which part
        # they are about when the parts' reasons differ.
        parts = {index: self._part_name(index, placed) for index in mine}
        for r in self._of_parts(
            parts, {index: self._reasons([decided[index].enrollment], decided[index].facts) for index in mine}
        ):
            if all((r.rule, r.text) != (known.rule, known.text) for known in reasons):
                reasons.append(r)
        used = {decided[index].approach for index in mine}
        alternatives = [
            Alternative(
                enrollment=approach,
                why_not=self._of_parts(
                    parts, {index: self._why_not(approach, decided[index]) for index in mine}
                ),
            )
            for approach in APPROACHES
            if approach not in used
        ]
        return GroupPlan(
            id=self.groups[i].id,
            name=self.groups[i].name,
            placements=[
                Placement(
                    phase=p.kind,
                    number=p.number,
                    month=p.month,
                    users=p.users,
                    enrollment=decided[p.piece].approach,
                    platforms=list(pieces[p.piece].platforms),
                    locations=list(pieces[p.piece].locations),
                    devices=p.devices,
                )
                for p in placed
            ],
            reasons=reasons,
            alternatives=alternatives,
            methods=self._method_choices(i),
        )

    def _part_name(self, piece: int, placed: Sequence[_Placed]) -> str:
        """A part of a group by its phases and users: "Expanded pilot, 250 users"."""
        mine = [p for p in placed if p.piece == piece]
        titles = dict.fromkeys(
            term(p.kind, self.language, number=p.number) if p.number else term(p.kind, self.language)
            for p in mine
        )
        users = ngettext("%(num)d user", "%(num)d users", sum(p.users for p in mine), self.language)
        return gettext("%(phases)s, %(users)s", self.language, phases=", ".join(titles), users=users)

    def _of_parts(self, parts: dict[int, str], by_part: dict[int, list[Reason]]) -> list[Reason]:
        """The reasons of a group's parts, once each: as they are when every part has the same,
        else each led by the part it is about ("Limited pilot, 50 users: …")."""
        lists = list(by_part.values())
        if not lists:
            return []
        if all(found == lists[0] for found in lists[1:]):
            return list(lists[0])
        out: list[Reason] = []
        for index, found in by_part.items():
            for r in found:
                text = gettext("%(part)s: %(text)s", self.language, part=parts[index], text=r.text)
                out.append(r.model_copy(update={"text": text}))
        return out

    def _why_not(self, approach: str, piece: _Decided) -> list[Reason]:
        winner: RuleInfo | None = piece.enrollment.winner
        return [
            cached_why_not(info, self.language, piece.facts, self.params, winner, self.explanations)
            for info in self.rulebook.choosing("placement", "enrollment", approach)
        ]


def _hits(month: str, quiet: set[str]) -> bool:
    """Whether `month` (YYYY-MM) is one of `quiet`: `MM` every year or `YYYY-MM` once."""
    return month in quiet or month[5:] in quiet


def _in_calendar_order(month: str) -> tuple[int, int]:
    """`YYYY-MM` (or a five-digit year past 9999) as a number pair that sorts in time."""
    year, number = month.rsplit("-", 1)
    return (int(year), int(number))


def _in_order(month: str) -> tuple[int, str]:
    """Months every year (`MM`) first, then single months, each in calendar order."""
    return (len(month), month)


def _month_word(quiet: str, language: Language) -> str:
    """`07` → `July`; `2027-12` → `December 2027`."""
    if len(quiet) == 2:
        return month_name(f"2000-{quiet}", language).rsplit(" ", 1)[0]
    return month_name(quiet, language)


def rule_warning(
    info: RuleInfo, language: Language, facts: Facts, parameters: Mapping[str, int], group: str | None
) -> Warning:
    """The warning a rule that decides `warning` gives, for these facts (of `group`, if any)."""
    return Warning(
        code=info.rule.value,
        group=group,
        severity=info.rule.severity or "warning",
        text=reason_text(info, language, facts, parameters),
        rule=info.id,
        source=localized_source(info.rule.source, language),
        provenance=info.rule.provenance,
    )


def make_plan(
    assessment: Assessment,
    evaluator: Evaluator,
    language: Language | None = None,
    *,
    max_months: int = MAX_ROLLOUT_MONTHS,
    today: date | None = None,
) -> Plan:
    """Plan an assessment with a rulebook version held by the caller (engine or oracle).

    `today`, when given, is the date a rollout start in the past is warned against.
    Raises RolloutTooLong when the rollout would take more than `max_months`: a plan's size and
    the work to build it grow with the groups and the months, never with users ÷ capacity.
    """
    return Planner(assessment, evaluator, language, max_months, today).run()
