"""The plan (contract 2): what `advisor plan --format json` prints and the API returns."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from advisor.model.vocabulary import (
    Approach,
    Criterion,
    EventKind,
    Language,
    Method,
    Outcome,
    Owner,
    PhaseKind,
    Platform,
    Provenance,
    Split,
    Unit,
)

# The most months one plan may span, unless the settings say otherwise (ADVISOR_MAX_ROLLOUT_MONTHS):
# a bound on the work and the size of a plan, not advice (the advice warns far earlier).
MAX_ROLLOUT_MONTHS = 60


def add_months(month: str, count: int) -> str:
    """The month `count` months after `month`, both written YYYY-MM."""
    year, number = (int(part) for part in month.split("-"))
    total = year * 12 + number - 1 + count
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Reason(_Out):
    rule: str
    text: str
    source: str
    facts: dict[str, Any]
    # The rule's: never our judgement presented as Microsoft's. Every plan made now has it; None
    # only in plans saved before reasons carried it, which still load and show without it.
    provenance: Provenance | None = None


class SplitBy(_Out):
    value: Split
    reasons: list[Reason]


# What a placement enrolls: its platforms, sites and devices. Every plan made now has them; plans
# saved before placements said so load with them empty.
class Entry(_Out):
    group: str
    users: int
    enrollment: Approach
    platforms: list[Platform] = []
    locations: list[str] = []
    devices: int | None = None


class Phase(_Out):
    kind: PhaseKind
    number: int | None
    month: str
    title: str
    entries: list[Entry]


class Placement(_Out):
    phase: PhaseKind
    number: int | None
    month: str
    users: int
    enrollment: Approach
    platforms: list[Platform] = []
    locations: list[str] = []
    devices: int | None = None


class Alternative(_Out):
    enrollment: Approach
    why_not: list[Reason]


class MethodAlternative(_Out):
    method: Method
    why_not: list[Reason]  # empty: no rule of the rulebook chooses this method


class MethodChoice(_Out):
    """How one kind of the group's devices (a platform, and who owns them) enrolls."""

    platform: Platform
    ownership: Owner
    method: Method
    reset_required: bool  # devices in use are wiped (reset to factory settings) to enroll
    user_affinity: bool  # each device belongs to one user (shared devices have none)
    prerequisites: list[str]  # codes of the plan's prerequisites that this method needs
    reasons: list[Reason]
    alternatives: list[MethodAlternative]
    devices: int = 0  # how many of the group's devices enroll this way
    experience: str = ""  # what the user goes through, in the plan's language


class GroupPlan(_Out):
    id: str
    name: str
    placements: list[Placement]
    reasons: list[Reason]
    alternatives: list[Alternative]
    # Every plan made now has them; plans saved before methods were planned load with none.
    methods: list[MethodChoice] = []


class Prerequisite(_Out):
    """Something to set up before the first phase that needs it."""

    code: str
    text: str
    due: str  # YYYY-MM-DD
    provenance: Provenance
    source: str = ""
    groups: list[str] = []  # the groups whose methods or requirements need it


class Warning(_Out):
    code: str
    group: str | None
    text: str
    severity: Literal["warning", "tension", "info"] = "warning"
    rule: str | None = None
    source: str | None = None
    provenance: Provenance | None = None  # as on Reason


class PhaseRef(_Out):
    """A phase of the plan by its kind and number (None for the pilots)."""

    phase: PhaseKind
    number: int | None


class Event(_Out):
    """One dated step of the rollout: a message sent, a window opening or closing, a meeting."""

    date: str  # YYYY-MM-DD, a working day
    kind: EventKind
    phase: PhaseKind  # the phase it belongs to (training and the kickoff: the first phase)
    number: int | None
    group: str | None  # None: for everyone (training, kickoff, gates)
    location: str | None = None  # a tech fair's site
    title: str
    text: str


class GateCriterion(_Out):
    """One exit criterion of a phase: a measured figure is held against `threshold` in `unit`."""

    code: Criterion
    text: str
    threshold: int
    unit: Unit
    at_least: bool  # the figure must reach the threshold (else: stay at or under it)
    # The rulebook's threshold is our judgement (beyond_guide); None: the organisation's own.
    provenance: Provenance | None = None


class RollbackStep(_Out):
    """What to undo for a phase's groups when its gate says no-go."""

    code: str
    text: str
    groups: list[str]


class GateDecision(_Out):
    """A go/no-go decision recorded at a gate."""

    outcome: Outcome
    by: str
    date: str  # YYYY-MM-DD, the day it was taken
    note: str = ""


class Gate(_Out):
    """The go/no-go review after a phase, before the next one starts."""

    after: PhaseRef
    date: str  # YYYY-MM-DD
    criteria: list[GateCriterion]
    rollback: list[RollbackStep]
    before: PhaseRef | None = None  # the phase it lets start
    decisions: list[GateDecision] = []  # as recorded, oldest first


class WeekLoad(_Out):
    """The helpdesk's expected load in one week (Monday's date), in users onboarded."""

    week: str  # YYYY-MM-DD, a Monday
    load: float  # user-equivalents: each device weighs by its enrollment method
    capacity: float | None  # the monthly support capacity's share of this week; None: not given
    groups: list[str]  # the groups enrolling that week, the heaviest first
    # Past the rulebook's margin over its capacity (support_week_over_percent): warned about.
    over: bool = False


class RulebookRef(_Out):
    version: str
    rules: int


class Plan(_Out):
    version: Literal[1] = 1
    language: Language
    organisation: str
    rulebook: RulebookRef
    split_by: SplitBy
    phases: list[Phase]
    groups: list[GroupPlan]
    warnings: list[Warning]
    prerequisites: list[Prerequisite] = []  # in the order they fall due
    # Every plan made now has them; plans saved before the calendar load with none.
    calendar: list[Event] = []  # by date
    gates: list[Gate] = []  # in the order of the phases
    support_load: list[WeekLoad] = []  # every week from the first event to the last

    def group(self, group_id: str) -> GroupPlan:
        return next(g for g in self.groups if g.id == group_id)


# Where an assessment's review stands (the store's ReviewStatus, by value).
ReviewState = Literal["draft", "in_review", "changes_requested", "signed_off"]


class Standing(_Out):
    """Where the plan's review stood when it was downloaded: its status, the version of the
    answers it was made from, and for a signed-off plan who signed it off and on which day. Not
    part of the plan (contract 2): the site hands it to the exports that print it."""

    status: ReviewState
    version: int  # the version of the answers the plan was made from
    signed_version: int | None = None  # the version signed off (a re-plan after it makes a newer one)
    signed_by: str | None = None
    signed_on: str | None = None  # YYYY-MM-DD
