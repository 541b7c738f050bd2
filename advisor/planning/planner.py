"""The plan: the rule stages in order, with the month arithmetic between them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from advisor.evaluate.decisions import Decision, Evaluator, Facts, decide, fired_warnings
from advisor.model.errors import Problem, RolloutTooLong
from advisor.model.facts import Assessment, Group, group_facts
from advisor.model.guide import GUIDE_URL, localized_source
from advisor.model.i18n import gettext, ngettext
from advisor.model.plan import (
    MAX_ROLLOUT_MONTHS,
    Alternative,
    Entry,
    GroupPlan,
    Phase,
    Placement,
    Plan,
    Reason,
    RulebookRef,
    SplitBy,
    Warning,
    add_months,
)
from advisor.model.vocabulary import APPROACHES, Language, Stage, term
from advisor.planning.explain import cached_reason, cached_why_not, explanations_for, reason_text
from advisor.planning.layout import Slot, TooManyPhases, Unit, pack, units_for
from advisor.rulebook.loader import Rulebook, RuleInfo

# When no rule decides, the planner falls back to the guide's plainest choice and says so.
FALLBACK = {
    "pilot": "production",
    "wave": "middle",
    "split_by": "department",
    "enrollment": "self_service",
}


def _months_between(first: str, later: str) -> int:
    (y1, m1), (y2, m2) = ((int(p) for p in month.split("-")) for month in (first, later))
    return (y2 - y1) * 12 + m2 - m1


@dataclass
class _Placed:
    group: int
    kind: str
    number: int | None
    month: str
    users: int
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
    ):
        self.assessment = assessment
        self.max_months = max_months
        self.evaluator = evaluator
        self.rulebook: Rulebook = evaluator.rulebook
        self.params = self.rulebook.parameters
        self.explanations = explanations_for(self.rulebook)
        self.language: Language = language or assessment.organisation.language
        self.groups: Sequence[Group] = assessment.groups
        self.warnings: list[Warning] = []

    # -- stages -----------------------------------------------------------------------------
    def run(self) -> Plan:
        group_facts_ = [group_facts(g) for g in self.groups]
        group_fired = self.evaluator.evaluate("group", group_facts_)
        pilot = [self._decide("group", fired, "pilot", i) for i, fired in enumerate(group_fired)]
        wave = [self._decide("group", fired, "wave", i) for i, fired in enumerate(group_fired)]
        for i, fired in enumerate(group_fired):
            self._warn("group", fired, group_facts_[i], self.groups[i].id)

        org_facts = self._organisation_facts([d.value or "" for d in pilot])
        (org_fired,) = self.evaluator.evaluate("organisation", [org_facts])
        split = self._decide("organisation", org_fired, "split_by", None)
        self._warn("organisation", org_fired, org_facts, None)

        placed = self._layout(
            [d.value or "" for d in pilot],
            [d.value or "" for d in wave],
            split.value or FALLBACK["split_by"],
        )
        month_users: dict[str, int] = {}
        production_phases: dict[int, int] = {}
        for p in placed:
            month_users[p.month] = month_users.get(p.month, 0) + p.users
            production_phases[p.group] = production_phases.get(p.group, 0) + (p.kind == "production")
        for p in placed:
            p.facts = {
                **group_facts_[p.group],
                **self._placement_facts(p, month_users[p.month], production_phases[p.group]),
                "pilot": pilot[p.group].value or FALLBACK["pilot"],
                "wave": wave[p.group].value or FALLBACK["wave"],
            }
        placement_fired = self.evaluator.evaluate("placement", [p.facts for p in placed])
        for p, fired in zip(placed, placement_fired, strict=True):
            p.enrollment = self._decide("placement", fired, "enrollment", p.group)
            self._warn("placement", fired, p.facts, self.groups[p.group].id)

        by_group: dict[int, list[_Placed]] = {}
        for p in placed:
            by_group.setdefault(p.group, []).append(p)
        return Plan(
            language=self.language,
            organisation=self.assessment.organisation.name,
            rulebook=RulebookRef(version=self.rulebook.version, rules=len(self.rulebook.rules)),
            split_by=SplitBy(
                value=split.value or FALLBACK["split_by"],
                reasons=self._reasons([split], org_facts),
            ),
            phases=self._phases(placed),
            groups=[
                self._group_plan(i, pilot[i], wave[i], group_facts_[i], by_group.get(i, []))
                for i in range(len(self.groups))
            ],
            warnings=self._unique_warnings(),
        )

    def _decide(self, stage: Stage, fired: frozenset[str], name: str, group: int | None) -> Decision:
        decision = decide(self.rulebook, stage, fired, name)
        if decision.winner is None:
            value = FALLBACK[name]
            self.warnings.append(
                Warning(
                    code="rule-gap",
                    group=None if group is None else self.groups[group].id,
                    text=gettext(
                        "No rule decided the %(decision)s for this case; the planner assumed "
                        "'%(value)s'. The rulebook has a gap.",
                        self.language,
                        decision=name,
                        value=value,
                    ),
                    provenance="beyond_guide",  # the planner's own assumption, not the guide's
                )
            )
            return Decision(name, value, None)
        return decision

    def _warn(self, stage: Stage, fired: frozenset[str], facts: Facts, group: str | None) -> None:
        for info in fired_warnings(self.rulebook, stage, fired):
            self.warnings.append(
                Warning(
                    code=info.rule.value,
                    group=group,
                    severity=info.rule.severity or "warning",
                    text=reason_text(info, self.language, facts, self.params),
                    rule=info.id,
                    source=localized_source(info.rule.source, self.language),
                    provenance=info.rule.provenance,
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

    # -- facts between stages ---------------------------------------------------------------
    def _organisation_facts(self, pilot: Sequence[str]) -> Facts:
        org = self.assessment.organisation
        total = sum(g.users for g in self.groups)
        in_pilot = [g for g, p in zip(self.groups, pilot, strict=True) if p in ("limited", "expanded")]
        later = [g for g, p in zip(self.groups, pilot, strict=True) if p not in ("limited", "expanded")]
        piloted = {p for g in in_pilot for p in g.platforms}
        return {
            "split_by_choice": org.split_by,
            "groups": len(self.groups),
            "total_users": total,
            "sites": len({loc.strip().casefold() for g in self.groups for loc in g.locations}),
            "platform_count": len({p for g in self.groups for p in g.platforms}),
            "support_capacity_set": org.support_capacity is not None,
            "support_share_percent": (
                org.support_capacity * 100 // total if org.support_capacity is not None else 100
            ),
            "it_groups": sum(g.it_department for g in self.groups),
            "limited_pilot_groups": sum(p == "limited" for p in pilot),
            "pilot_groups": len(in_pilot),
            "pilot_feedback_groups": sum(g.feedback for g in in_pilot),
            "pilot_business_groups": sum(not g.it_department for g in in_pilot),
            "platforms_not_piloted": len({p for g in later for p in g.platforms} - piloted),
        }

    def _placement_facts(self, p: _Placed, month_users: int, production_phases: int) -> Facts:
        capacity = self.assessment.organisation.support_capacity
        return {
            "phase": p.kind,
            "phase_number": p.number or 0,
            "phase_users": p.users,
            "phase_load_percent": month_users * 100 // capacity if capacity else 0,
            "production_phases": production_phases,
        }

    # -- months -----------------------------------------------------------------------------
    def _layout(self, pilot: Sequence[str], wave: Sequence[str], split: str) -> list[_Placed]:
        start = self.assessment.organisation.rollout_start
        placed: list[_Placed] = []
        room = self.params["limited_pilot_size"]
        expanded: list[tuple[int, int]] = []
        for i, group in enumerate(self.groups):
            if pilot[i] == "limited" and room > 0:
                take = min(room, group.users)
                room -= take
                placed.append(_Placed(i, "limited_pilot", None, start, take))
                if group.users > take:
                    expanded.append((i, group.users - take))
            elif pilot[i] in ("limited", "expanded"):
                expanded.append((i, group.users))
        month = start
        if expanded:
            if placed:
                month = add_months(start, self.params["expanded_pilot_month_offset"])
            placed.extend(_Placed(i, "expanded_pilot", None, month, users) for i, users in expanded)
        if placed:
            month = add_months(month, 1)
        production = [i for i in range(len(self.groups)) if pilot[i] not in ("limited", "expanded")]
        slots = self._production_slots(production, wave, split, _months_between(start, month))
        for number, slot in enumerate(slots, start=1):
            placed.extend(_Placed(i, "production", number, month, users) for i, users in slot.entries)
            month = add_months(month, 1)
        return placed

    def _production_slots(
        self, production: Sequence[int], wave: Sequence[str], split: str, offset: int
    ) -> list[Slot]:
        """The production phases, one a month from `offset` months after the start; refused
        (RolloutTooLong) past the ceiling on months, before anything past it is built."""
        capacity = self.assessment.organisation.support_capacity
        room = self.max_months - offset
        bins = units_for(split, self.groups, production, wave)
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
        users = sum(self.groups[i].users for i in production)
        try:
            if capacity and offset + -(-users // capacity) > self.max_months:
                raise TooManyPhases  # each month onboards at most `capacity`: known before packing
            slots = pack(bins, self.groups, capacity, max_slots=room)
        except TooManyPhases:
            enough = self._capacity_that_fits(bins, room, users)
            at_least = max(offset + -(-users // capacity) if capacity else 0, self.max_months + 1)
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
        last = offset + len(slots) - 1
        if int(add_months(self.assessment.organisation.rollout_start, last).split("-")[0]) > 9999:
            message = gettext("the rollout would end after December 9999; start it earlier", self.language)
            raise self._too_long(message, last + 1, path="rollout_start")
        self._warn_if_long(offset + len(slots), offset, bins, users, split)
        return slots

    def _warn_if_long(
        self, months: int, offset: int, bins: Sequence[Sequence[Unit]], users: int, split: str
    ) -> None:
        """`long-rollout` past the rulebook's limit, with what would fit the plan in that time: a
        support capacity that does (found as the refusal past the ceiling finds one), or, when
        every unit of the split already has a month of its own, another cut of production."""
        limit = self.params["long_rollout_months"]
        if months <= limit:
            return
        room = limit - offset
        if room <= 0:  # the pilots alone reach the limit
            text = gettext(
                "The rollout takes %(months)s months, more than %(limit)s: the pilots alone take %(pilots)s.",
                self.language,
                months=months,
                limit=limit,
                pilots=offset,
            )
        elif room >= len(bins):  # the capacity spreads it: name a capacity that fits `limit` months
            text = gettext(
                "The rollout takes %(months)s months, more than %(limit)s. With a helpdesk that onboards "
                "%(capacity)s users a month, it would be done in %(limit)s months.",
                self.language,
                months=months,
                limit=limit,
                capacity=self._capacity_that_fits(bins, room, users),
            )
        else:  # one phase a month for each unit of the split: no capacity shortens it
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
        self.warnings.append(
            Warning(
                code="long-rollout",
                group=None,
                text=text,
                source=localized_source(f"{GUIDE_URL}#targeted-groups-and-timeframes", self.language),
                provenance=self.rulebook.parameter_provenance.get("long_rollout_months", "beyond_guide"),
            )
        )

    def _capacity_that_fits(self, bins: Sequence[Sequence[Unit]], room: int, users: int) -> int:
        """The smallest support capacity whose phases fit `room` months (bisection over packings,
        each bounded by the groups and `room`); with the users as capacity every bin fits one."""
        low, high = max(1, -(-users // room)), max(1, users)
        while low < high:
            middle = (low + high) // 2
            try:
                pack(bins, self.groups, middle, max_slots=room)
                high = middle
            except TooManyPhases:
                low = middle + 1
        return low

    def _too_long(self, message: str, months: int, *, path: str) -> RolloutTooLong:
        where = f"organisation.{path}" if path else "organisation"
        return RolloutTooLong(Problem(where, message), months, self.max_months)

    # -- the plan ---------------------------------------------------------------------------
    def _phases(self, placed: Sequence[_Placed]) -> list[Phase]:
        phases: list[Phase] = []
        by_phase: dict[tuple[str, int | None, str], list[Entry]] = {}  # in the order phases run
        for p in placed:
            by_phase.setdefault((p.kind, p.number, p.month), []).append(
                Entry(group=self.groups[p.group].id, users=p.users, enrollment=p.approach)
            )
        for (kind, number, month), entries in by_phase.items():
            title = term(kind, self.language, number=number) if number else term(kind, self.language)
            phases.append(
                Phase(
                    kind=kind,
                    number=number,
                    month=month,
                    title=title,
                    entries=entries,
                )
            )
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
        self, i: int, pilot: Decision, wave: Decision, facts: Facts, placed: Sequence[_Placed]
    ) -> GroupPlan:
        mine = list(placed)  # this group's placements
        reasons = self._reasons([pilot], facts)
        if any(p.kind == "production" for p in mine):
            reasons += self._reasons([wave], facts)
        for p in mine:
            reasons += [
                r
                for r in self._reasons([p.enrollment], p.facts)
                if all(r.rule != known.rule for known in reasons)
            ]
        used = {p.approach for p in mine}
        first = mine[0]
        alternatives = [
            Alternative(
                enrollment=approach,
                why_not=self._why_not(approach, first),
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
                    enrollment=p.approach,
                )
                for p in mine
            ],
            reasons=reasons,
            alternatives=alternatives,
        )

    def _why_not(self, approach: str, p: _Placed) -> list[Reason]:
        winner: RuleInfo | None = p.enrollment.winner
        rules = [
            info for info in self.rulebook.deciding("placement", "enrollment") if info.rule.value == approach
        ]
        return [
            cached_why_not(info, self.language, p.facts, self.params, winner, self.explanations)
            for info in rules
        ]


def make_plan(
    assessment: Assessment,
    evaluator: Evaluator,
    language: Language | None = None,
    *,
    max_months: int = MAX_ROLLOUT_MONTHS,
) -> Plan:
    """Plan an assessment with a rulebook version held by the caller (engine or oracle).

    Raises RolloutTooLong when the rollout would take more than `max_months`: a plan's size and
    the work to build it grow with the groups and the months, never with users ÷ capacity.
    """
    return Planner(assessment, evaluator, language, max_months).run()
