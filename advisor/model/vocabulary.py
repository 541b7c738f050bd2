"""The words of the product: the values answers and decisions take, the facts the planner computes,
how answers are asked and named, and the plan's terms, in English and Swedish."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from advisor.model.i18n import N_, gettext

# The values an answer or a decision may take: each Literal is the one place they are written; the
# tuples beside them (for loops and checks) are derived from it.
Language = Literal["en", "sv"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
# The stages run in this order: each group, each kind of device of each group (its enrollment
# method, decided before the approach so that the approach may depend on it, and before the
# organisation so that the helpdesk's share counts devices by method), the organisation, and each
# group in each phase.
Stage = Literal["group", "method", "organisation", "placement"]
STAGES: tuple[Stage, ...] = get_args(Stage)
FactKind = Literal["int", "bool", "enum", "set"]

Platform = Literal["windows", "macos", "ios", "android"]
PLATFORMS: tuple[Platform, ...] = get_args(Platform)
Requirement = Literal["email", "apps", "wifi_vpn", "certificates", "compliance", "shared_devices"]
REQUIREMENTS: tuple[Requirement, ...] = get_args(Requirement)
Level = Literal["low", "medium", "high"]
LEVELS: tuple[Level, ...] = get_args(Level)
Ownership = Literal["corporate", "personal", "mixed"]
OWNERSHIP: tuple[Ownership, ...] = get_args(Ownership)
# Who owns one device (a `mixed` group has both); what a group says of its corporate devices; how
# its users' personal devices take part.
Owner = Literal["corporate", "personal"]
OWNERS: tuple[Owner, ...] = get_args(Owner)
DeviceState = Literal["unknown", "new", "in_use_reset_ok", "in_use_keep"]
DEVICE_STATES: tuple[DeviceState, ...] = get_args(DeviceState)
PersonalUse = Literal["unknown", "enroll", "protect_apps"]
PERSONAL_USES: tuple[PersonalUse, ...] = get_args(PersonalUse)
# Who does the enrolling of a placement's devices: their users (some device needs a user's step),
# IT (every device is shared, with no user of its own) or nobody (every device enrolls by itself).
WhoEnrolls = Literal["users", "it_staff", "nobody"]
WHO_ENROLLS: tuple[WhoEnrolls, ...] = get_args(WhoEnrolls)
# The enrollment method slugs of the plan contract: a fixed vocabulary (add, never rename).
Method = Literal[
    "windows_autopilot_user_driven",
    "windows_autopilot_pre_provisioned",
    "windows_autopilot_self_deploying",
    "windows_automatic_enrollment",
    "windows_byod_registration",
    "windows_app_protection",
    "macos_ade",
    "macos_company_portal",
    "macos_account_driven_user_enrollment",
    "ios_ade",
    "ios_shared_ipad",
    "ios_account_driven_user_enrollment",
    "ios_company_portal_device_enrollment",
    "ios_app_protection",
    "android_fully_managed",
    "android_corporate_work_profile",
    "android_dedicated",
    "android_personal_work_profile",
    "android_app_protection",
]
METHOD_SLUGS: tuple[Method, ...] = get_args(Method)
Split = Literal["department", "geography", "platform"]
SPLITS: tuple[Split, ...] = get_args(Split)
SplitChoice = Literal["auto", "department", "geography", "platform"]
SPLIT_CHOICES: tuple[SplitChoice, ...] = get_args(SplitChoice)
PhaseKind = Literal["limited_pilot", "expanded_pilot", "production"]
PHASE_KINDS: tuple[PhaseKind, ...] = get_args(PhaseKind)
Approach = Literal["self_service", "assisted", "tech_fair"]
APPROACHES: tuple[Approach, ...] = get_args(Approach)
# What happens on a day of the rollout's calendar (contract 2's `calendar`).
EventKind = Literal[
    "training",
    "kickoff",
    "announce",
    "instructions",
    "reminder",
    "enrollment_start",
    "enrollment_end",
    "tech_fair",
    "gate",
    "follow_up",
]
EVENT_KINDS: tuple[EventKind, ...] = get_args(EventKind)
# The messages a group receives for a phase, in the order they go out.
MessageKind = Literal["announce", "instructions", "reminder", "follow_up"]
MESSAGE_KINDS: tuple[MessageKind, ...] = get_args(MessageKind)
# A go/no-go gate's exit criteria, each held against a measured figure in its unit.
Criterion = Literal[
    "enrollment_success", "devices_compliant", "tickets_per_100_users", "blocking_issues", "feedback"
]
CRITERIA: tuple[Criterion, ...] = get_args(Criterion)
Unit = Literal["percent", "per_100_users", "count"]
Outcome = Literal["go", "no_go"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
Pilot = Literal["limited", "expanded", "production"]
PILOTS: tuple[Pilot, ...] = get_args(Pilot)
# Where a rule (and so each reason and warning) comes from: the 2016 guide's text, a reading of the
# guide's example plan, our own judgement beyond the guide, or Microsoft's current documentation.
Provenance = Literal["guide", "guide_example", "beyond_guide", "current_practice"]
PROVENANCES: tuple[Provenance, ...] = get_args(Provenance)
# Where the limited pilot's users come from: IT, a slice of an eager business group, or no one.
LimitedPilotSource = Literal["it", "business", "none"]
LIMITED_PILOT_SOURCES: tuple[LimitedPilotSource, ...] = get_args(LimitedPilotSource)
Wave = Literal["early", "middle", "late"]
WAVES: tuple[Wave, ...] = get_args(Wave)
# What a rule's reason says about the group, so that the lint can find two reasons in one group's
# rationale that contradict each other ("goes late" beside "enrolls early").
Verdict = Literal["early", "late", "in_pilot", "out_of_pilot"]
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
OPPOSITE: dict[Verdict, Verdict] = {
    "early": "late",
    "late": "early",
    "in_pilot": "out_of_pilot",
    "out_of_pilot": "in_pilot",
}


# `months`: months written MM or YYYY-MM, separated by commas; `counts`: one `name: number` per line
# (how many of a group's devices or users each of its platforms or sites holds).
QuestionKind = Literal["text", "month", "int", "bool", "choice", "multi", "lines", "months", "counts"]


@dataclass(frozen=True)
class Ask:
    """How the questionnaire asks for an answer. Kept on the answer's field in the assessment
    model, so that a new answer is one entry: the questionnaire, its form and the strategies that
    test it are derived from the field. `kind` only where the field's type does not tell."""

    label: str  # English, marked with N_; translated where it is shown
    help: str
    point: int | None = None  # which of the guide's six discussion points it serves
    kind: QuestionKind | None = None
    # Asked only where it matters: every (answer, values) pair holds, an answer holding one of the
    # values (a list answer: one of them among its items). Empty: always asked.
    shown_when: tuple[tuple[str, tuple[str, ...]], ...] = ()
    source: str | None = None  # the Microsoft page the help text follows, linked beside it
    # The questionnaire offers no choice preselected: the person picks one (a draft keeps an
    # unanswered one as null, which no plan accepts). A file may still leave it out (its default).
    explicit: bool = False


@dataclass(frozen=True)
class Fact:
    """The answer is a fact rules may name, under the field's name; `label` names it in reasons.

    `says` words a value as a clause about the group ("the group needs a lot of help to enroll"),
    by the value as text ("high", "true"): why-not sentences read naturally with it."""

    label: str  # English, marked with N_
    says: tuple[tuple[str, str], ...] = ()  # (value, English clause marked with N_)


@dataclass(frozen=True)
class FactSpec:
    """A fact a rule condition may name, with its type and how people call it."""

    name: str
    kind: FactKind
    text: str  # what people call it, in English (marked with N_)
    values: tuple[str, ...] = ()
    says: tuple[tuple[str, str], ...] = ()  # a value as a clause (see Fact)

    def label(self, language: Language) -> str:
        return gettext(self.text, language)

    def clause(self, value: object, language: Language) -> str | None:
        """The value as a clause about the group, if this fact words it so."""
        key = str(value).lower() if isinstance(value, bool) else str(value)
        said = dict(self.says).get(key)
        return gettext(said, language) if said is not None else None


def _facts(*specs: FactSpec) -> dict[str, FactSpec]:
    return {spec.name: spec for spec in specs}


# Facts of a group in a phase, beside the group's own (the planner computes them).
PLACEMENT_ONLY_FACTS = _facts(
    FactSpec("phase", "enum", N_("phase"), PHASE_KINDS),
    FactSpec("phase_number", "int", N_("production phase number")),
    FactSpec("phase_users", "int", N_("users of the group in this phase")),
    FactSpec("phase_load_percent", "int", N_("the month's load on the helpdesk (percent)")),
    FactSpec("production_phases", "int", N_("production phases the group is spread over")),
    FactSpec("pilot", "enum", N_("the group's part in the pilots"), PILOTS),
    FactSpec("wave", "enum", N_("the group's place in production"), WAVES),
    FactSpec("limited_pilot_exists", "bool", N_("the plan has a limited pilot")),
    # What the group's enrollment methods (decided before the approach) mean for the placement.
    FactSpec("methods", "set", N_("enrollment methods of the placement"), METHOD_SLUGS),
    FactSpec("reset_devices", "int", N_("devices of the group in use that enrollment resets")),
    FactSpec(
        "reset_assumed_devices",
        "int",
        N_("devices of the group that enrollment resets if they are in use, as the plan assumes"),
    ),
    FactSpec(
        "reset_if_in_use_devices",
        "int",
        N_("devices of the group taken as new that enrollment would reset if they were in use"),
    ),
    FactSpec("enrolled_devices", "int", N_("devices of the group that enroll (not app protection only)")),
    FactSpec("who_enrolls", "enum", N_("who enrolls the placement's devices"), WHO_ENROLLS),
)

# Facts of one kind of device of a group (a platform and who owns it), beside the group's own.
METHOD_ONLY_FACTS = _facts(
    FactSpec("platform", "enum", N_("the device's platform"), PLATFORMS),
    FactSpec("owner", "enum", N_("who owns the device"), OWNERS),
)

ORGANISATION_FACTS = _facts(
    FactSpec("split_by_choice", "enum", N_("chosen split of production phases"), SPLIT_CHOICES),
    FactSpec("groups", "int", N_("number of groups")),
    FactSpec("total_users", "int", N_("users in the rollout")),
    FactSpec("sites", "int", N_("sites or regions across all groups")),
    FactSpec("platform_count", "int", N_("device platforms across all groups")),
    FactSpec("support_capacity_set", "bool", N_("helpdesk capacity given")),
    FactSpec(
        "support_share_percent",
        "int",
        N_("monthly helpdesk capacity as a share of the rollout's enrollment work (percent)"),
    ),
    FactSpec("it_groups", "int", N_("IT groups")),
    FactSpec("limited_pilot_groups", "int", N_("IT groups fit for the limited pilot")),
    FactSpec("eager_business_groups", "int", N_("eager business groups willing to pilot")),
    FactSpec("pilot_groups", "int", N_("groups in a pilot")),
    FactSpec("pilot_business_groups", "int", N_("business (non-IT) groups in a pilot")),
    FactSpec("platforms_not_piloted", "int", N_("platforms used later but not in a pilot")),
    FactSpec("untested_platforms", "set", N_("platforms used later but not in a pilot (which)"), PLATFORMS),
    FactSpec(
        "requirements_not_piloted",
        "set",
        N_("requirements of later groups that no pilot group has"),
        REQUIREMENTS,
    ),
    FactSpec(
        "untested_methods",
        "set",
        N_("enrollment methods used later but not in a pilot, on platforms a pilot tests"),
        METHOD_SLUGS,
    ),
    FactSpec("methods_not_piloted", "int", N_("enrollment methods used later but not in a pilot (count)")),
    FactSpec(
        "requirements_not_piloted_count",
        "int",
        N_("requirements of later groups that no pilot group has (count)"),
    ),
)


@dataclass(frozen=True)
class DecisionSpec:
    """Something rules decide: at which stage, and which values it can take (in order)."""

    name: str
    stages: tuple[Stage, ...]
    values: tuple[str, ...] = ()  # empty: any slug (warnings)


DECISIONS: dict[str, DecisionSpec] = {
    "pilot": DecisionSpec("pilot", ("group",), PILOTS),
    "wave": DecisionSpec("wave", ("group",), WAVES),
    "split_by": DecisionSpec("split_by", ("organisation",), SPLITS),
    "limited_pilot": DecisionSpec("limited_pilot", ("organisation",), LIMITED_PILOT_SOURCES),
    "method": DecisionSpec("method", ("method",), METHOD_SLUGS),
    "enrollment": DecisionSpec("enrollment", ("placement",), APPROACHES),
    "warning": DecisionSpec("warning", STAGES),
}

# Words of the plan, one term per concept (the Swedish follows the guide's translation).
TERMS: dict[str, str] = {
    "limited_pilot": N_("Limited pilot"),
    # a gate's exit criteria and outcomes
    "enrollment_success": N_("Enrollment success rate"),
    "devices_compliant": N_("Devices compliant"),
    "tickets_per_100_users": N_("Helpdesk tickets per 100 users"),
    "blocking_issues": N_("Blocking issues open"),
    "feedback": N_("Feedback gathered"),
    "go": N_("go"),
    "no_go": N_("no-go"),
    "expanded_pilot": N_("Expanded pilot"),
    "production": N_("Production phase %(number)s"),
    "self_service": N_("self-service"),
    "assisted": N_("assisted"),
    "tech_fair": N_("IT tech fair"),
    "department": N_("department"),
    "geography": N_("geography"),
    "platform": N_("platform"),
    "early": N_("early"),
    "middle": N_("middle"),
    "late": N_("late"),
    # requirements, as a sentence names them
    "email": N_("e-mail and access"),
    "apps": N_("apps"),
    "wifi_vpn": N_("Wi-Fi or VPN profiles"),
    "certificates": N_("certificate profiles"),
    "compliance": N_("compliance policies"),
    "shared_devices": N_("shared devices"),
    # where the limited pilot's users come from
    "it": N_("IT"),
    "business": N_("an eager business group"),
    "none": N_("no one"),
    "limited": N_("limited pilot"),
    "expanded": N_("expanded pilot"),
    "phase": N_("Phase"),
    "yes": N_("yes"),
    "no": N_("no"),
    "windows": N_("Windows"),
    "macos": N_("macOS"),
    "ios": N_("iOS/iPadOS"),
    "android": N_("Android"),
    "low": N_("low"),
    "medium": N_("medium"),
    "high": N_("high"),
    "corporate": N_("corporate"),
    "personal": N_("personal"),
    "mixed": N_("mixed"),
    # what a group says of its corporate devices, and how personal devices take part
    "unknown": N_("not known"),
    "new": N_("new"),
    "in_use_reset_ok": N_("in use, may be reset"),
    "in_use_keep": N_("in use, must not be reset"),
    "enroll": N_("enrolled"),
    "users": N_("the users"),
    "it_staff": N_("IT staff"),
    "nobody": N_("nobody: the devices enroll by themselves"),
    "protect_apps": N_("app protection only"),
    "auto": N_("automatic"),
    # enrollment methods: Microsoft's product names, as Microsoft writes them in each language
    "windows_autopilot_user_driven": N_("Windows Autopilot, user-driven"),
    "windows_autopilot_pre_provisioned": N_("Windows Autopilot, pre-provisioned"),
    "windows_autopilot_self_deploying": N_("Windows Autopilot, self-deploying"),
    "windows_automatic_enrollment": N_("Windows automatic enrollment"),
    "windows_byod_registration": N_("Windows work account registration"),
    "windows_app_protection": N_("App protection without enrollment (Windows, Microsoft Edge)"),
    "macos_ade": N_("Apple automated device enrollment (macOS)"),
    "macos_company_portal": N_("Company Portal device enrollment (macOS)"),
    "macos_account_driven_user_enrollment": N_("Account-driven user enrollment (macOS)"),
    "ios_ade": N_("Apple automated device enrollment (iOS/iPadOS)"),
    "ios_shared_ipad": N_("Shared iPad"),
    "ios_account_driven_user_enrollment": N_("Account-driven user enrollment (iOS/iPadOS)"),
    "ios_company_portal_device_enrollment": N_("Company Portal device enrollment (iOS/iPadOS)"),
    "ios_app_protection": N_("App protection without enrollment (iOS/iPadOS)"),
    "android_fully_managed": N_("Android Enterprise fully managed"),
    "android_corporate_work_profile": N_("Android Enterprise corporate-owned work profile"),
    "android_dedicated": N_("Android Enterprise dedicated"),
    "android_personal_work_profile": N_("Android Enterprise personally-owned work profile"),
    "android_app_protection": N_("App protection without enrollment (Android)"),
    "guide": N_("The guide"),
    "guide_example": N_("The guide's example"),
    "beyond_guide": N_("Our judgement"),
    "current_practice": N_("Current Microsoft docs"),
}

MONTHS: tuple[str, ...] = (
    N_("January"),
    N_("February"),
    N_("March"),
    N_("April"),
    N_("May"),
    N_("June"),
    N_("July"),
    N_("August"),
    N_("September"),
    N_("October"),
    N_("November"),
    N_("December"),
)


def term(key: str, language: Language, **values: object) -> str:
    """The localized word for a value or concept; unknown keys are shown as they are."""
    if key not in TERMS:
        return key
    return gettext(TERMS[key], language, **values)


def origin(provenance: Provenance | None, language: Language) -> str:
    """Where a reason comes from, in words; '' for a plan saved before reasons said so."""
    return term(provenance, language) if provenance else ""


def month_name(month: str, language: Language) -> str:
    """`2027-07` → `July 2027` / `juli 2027`."""
    year, number = month.split("-")
    return f"{gettext(MONTHS[int(number) - 1], language)} {year}"


# What each kind of calendar event is called (the approach `tech_fair` has its own term).
EVENT_NAMES: dict[EventKind, str] = {
    "training": N_("Helpdesk training"),
    "kickoff": N_("Kickoff"),
    "announce": N_("Announcement"),
    "instructions": N_("Instructions"),
    "reminder": N_("Reminder"),
    "enrollment_start": N_("Enrollment opens"),
    "enrollment_end": N_("Enrollment closes"),
    "tech_fair": N_("IT tech fair"),
    "gate": N_("Go/no-go review"),
    "follow_up": N_("Follow-up"),
}
UNIT_NAMES: dict[Unit, str] = {
    "percent": N_("percent"),
    "per_100_users": N_("per 100 users"),
    "count": N_("issues"),
}


def event_name(kind: EventKind, language: Language) -> str:
    return gettext(EVENT_NAMES[kind], language)


def unit_name(unit: Unit, language: Language) -> str:
    return gettext(UNIT_NAMES[unit], language)


def day_name(day: str, language: Language) -> str:
    """`2027-06-17` → `17 June 2027` / `17 juni 2027`."""
    return f"{int(day[8:10])} {month_name(day[:7], language)}"


# What a rulebook parameter holds: a whole number (rules compare facts with it), a list of short
# texts, or a table from a short key to such a list.
ParameterKind = Literal["number", "list", "table"]
PARAMETER_KINDS: tuple[ParameterKind, ...] = get_args(ParameterKind)

# Parameters the planner reads by name, with the kind each must have; a rulebook without them, or
# with one of another kind, does not load.
PLANNER_PARAMETERS: dict[str, ParameterKind] = {
    "limited_pilot_size": "number",
    "expanded_pilot_month_offset": "number",
    "long_rollout_months": "number",
    "business_pilot_slice_percent": "number",
    "business_pilot_slice_max_users": "number",
    "platform_order": "list",  # each platform once, in the order a platform split enrolls them
    "quiet_months": "table",  # country code (or default) -> months "MM" in which no phase starts
    # user-equivalents per device of each load class of enrollment methods (percent)
    "load_percent_self_service": "number",
    "load_percent_zero_touch": "number",
    "load_percent_automatic": "number",
    "load_percent_app_protection": "number",
    "mixed_personal_percent": "number",  # a mixed group's personal share when it does not say
    "devices_assumed_in_use": "list",  # platforms whose corporate devices are in use unless told
    "prerequisite_lead_days": "number",  # days before the first phase that needs it
    "method_prerequisites": "table",  # method slug (or `all`) -> prerequisite codes
    "requirement_prerequisites": "table",  # requirement -> prerequisite codes
    # The calendar (working days before or after the day each counts from)
    "helpdesk_training_lead_days": "number",  # before the first phase's enrollment starts
    "kickoff_lead_days": "number",  # before the first phase's enrollment starts
    "announce_lead_days": "number",  # the first announcement, before a group's enrollment starts
    "second_announce_lead_days": "number",  # the second announcement
    "instructions_lead_days": "number",  # the enrollment e-mail with the instructions
    "reminder_days_before_end": "number",  # the reminder, before the enrollment window ends
    "enrollment_window_days": "number",  # the longest enrollment window
    "tech_fair_day_offset": "number",  # the tech fair's (first) day, after enrollment starts
    "follow_up_days": "number",  # the follow-up, after the enrollment window ends
    "gate_days_before_phase": "number",  # the go/no-go review, before the next phase starts
    "holiday_categories": "list",  # the kinds of holidays skipped (public, de_facto, ...)
    # Exit criteria of every phase: the thresholds of its gate
    "gate_enrollment_success_percent": "number",
    "gate_tickets_per_100_users": "number",
    "gate_blocking_issues": "number",
    "gate_feedback_percent": "number",
    "gate_compliance_percent": "number",
    "gate_soak_days": "number",  # working days between a window's close and its review
    "return_days_after_quiet": "number",  # working days into a month after a quiet one
    "tech_fair_users_per_day": "number",  # users a tech fair helps in a day at one site
    "holidays_everywhere": "list",  # MM-DD: days off skipped where no holiday calendar is known
    # Support load per week: the share of a tech fair group's load on its fair's day(s)
    "tech_fair_load_percent": "number",
    "support_week_over_percent": "number",  # a week's load past this share of its capacity warns
    # Groups proposed from the organisation's exports (advisor/directory)
    "directory_it_department_patterns": "list",  # department names of the IT department
    "directory_executive_patterns": "list",  # job titles of executives (confirmed by the respondent)
    "directory_minimum_os": "table",  # platform -> [oldest version Intune supports]
    "directory_active_days": "number",  # days since the last check-in that count as enrolled
    "directory_site_split_users": "number",  # a department past this many users is split by site
    # Enrollment progress measured from an Intune device export (advisor/directory/progress.py)
    "progress_behind_margin_percent": "number",  # points short of the expected share before "behind"
    "progress_no_group_warning_percent": "number",  # users read in no group past it: the measure warns
}
# The parameters only the import of the organisation's exports and the enrollment progress read:
# no plan depends on them, so changing one changes no saved plan (the impact passes them by).
IMPORT_PARAMETERS = frozenset(
    name for name in PLANNER_PARAMETERS if name.startswith(("directory_", "progress_"))
)
