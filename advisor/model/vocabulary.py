"""The words of the product: the values answers and decisions take, the facts the planner computes,
how answers are asked and named, and the plan's terms, in English and Swedish."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

# The values an answer or a decision may take: each Literal is the one place they are written; the
# tuples beside them (for loops and checks) are derived from it.
Language = Literal["en", "sv"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
Stage = Literal["group", "organisation", "placement"]
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
Split = Literal["department", "geography", "platform"]
SPLITS: tuple[Split, ...] = get_args(Split)
SplitChoice = Literal["auto", "department", "geography", "platform"]
SPLIT_CHOICES: tuple[SplitChoice, ...] = get_args(SplitChoice)
PhaseKind = Literal["limited_pilot", "expanded_pilot", "production"]
PHASE_KINDS: tuple[PhaseKind, ...] = get_args(PhaseKind)
Approach = Literal["self_service", "assisted", "tech_fair"]
APPROACHES: tuple[Approach, ...] = get_args(Approach)
Pilot = Literal["limited", "expanded", "production"]
PILOTS: tuple[Pilot, ...] = get_args(Pilot)
Wave = Literal["early", "middle", "late"]
WAVES: tuple[Wave, ...] = get_args(Wave)


@dataclass(frozen=True)
class Text:
    """Words in every language of the product."""

    en: str
    sv: str

    def get(self, language: Language) -> str:
        return self.en if language == "en" else self.sv


QuestionKind = Literal["text", "month", "int", "bool", "choice", "multi", "lines"]


@dataclass(frozen=True)
class Ask:
    """How the questionnaire asks for an answer. Kept on the answer's field in the assessment
    model, so that a new answer is one entry: the questionnaire, its form and the strategies that
    test it are derived from the field. `kind` only where the field's type does not tell."""

    label: Text
    help: Text
    point: int | None = None  # which of the guide's six discussion points it serves
    kind: QuestionKind | None = None


@dataclass(frozen=True)
class Fact:
    """The answer is a fact rules may name, under the field's name; `label` names it in reasons."""

    label: Text


@dataclass(frozen=True)
class FactSpec:
    """A fact a rule condition may name, with its type and how people call it."""

    name: str
    kind: FactKind
    en: str
    sv: str
    values: tuple[str, ...] = ()

    def label(self, language: Language) -> str:
        return self.en if language == "en" else self.sv


def _facts(*specs: FactSpec) -> dict[str, FactSpec]:
    return {spec.name: spec for spec in specs}


# Facts of a group in a phase, beside the group's own (the planner computes them).
PLACEMENT_ONLY_FACTS = _facts(
    FactSpec("phase", "enum", "phase", "fas", PHASE_KINDS),
    FactSpec("phase_number", "int", "production phase number", "produktionsfasens nummer"),
    FactSpec("phase_users", "int", "users of the group in this phase", "gruppens användare i fasen"),
    FactSpec(
        "phase_load_percent",
        "int",
        "the month's load on the helpdesk (percent)",
        "månadens belastning på supporten (procent)",
    ),
    FactSpec(
        "production_phases",
        "int",
        "production phases the group is spread over",
        "produktionsfaser som gruppen sprids över",
    ),
)

ORGANISATION_FACTS = _facts(
    FactSpec(
        "split_by_choice",
        "enum",
        "chosen split of production phases",
        "vald indelning av produktionsfaserna",
        SPLIT_CHOICES,
    ),
    FactSpec("groups", "int", "number of groups", "antal grupper"),
    FactSpec("total_users", "int", "users in the rollout", "användare i distributionen"),
    FactSpec("sites", "int", "sites or regions across all groups", "platser eller regioner totalt"),
    FactSpec("platform_count", "int", "device platforms across all groups", "enhetsplattformar totalt"),
    FactSpec("support_capacity_set", "bool", "helpdesk capacity given", "supportens kapacitet angiven"),
    FactSpec(
        "support_share_percent",
        "int",
        "monthly helpdesk capacity as a share of all users (percent)",
        "supportens månadskapacitet som andel av alla användare (procent)",
    ),
    FactSpec("it_groups", "int", "IT groups", "IT-grupper"),
    FactSpec(
        "limited_pilot_groups",
        "int",
        "groups fit for the limited pilot",
        "grupper lämpade för begränsat pilottest",
    ),
    FactSpec("pilot_groups", "int", "groups in a pilot", "grupper i ett pilottest"),
    FactSpec(
        "pilot_feedback_groups",
        "int",
        "pilot groups willing to give feedback",
        "pilotgrupper villiga att ge feedback",
    ),
    FactSpec(
        "pilot_business_groups",
        "int",
        "business (non-IT) groups in a pilot",
        "verksamhetsgrupper (ej IT) i ett pilottest",
    ),
    FactSpec(
        "platforms_not_piloted",
        "int",
        "platforms used later but not in a pilot",
        "plattformar som används senare men inte i något pilottest",
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
    "enrollment": DecisionSpec("enrollment", ("placement",), APPROACHES),
    "warning": DecisionSpec("warning", STAGES),
}

# Words of the plan, one term per concept (the Swedish follows the guide's translation).
TERMS: dict[str, dict[Language, str]] = {
    "limited_pilot": {"en": "Limited pilot", "sv": "Begränsat pilottest"},
    "expanded_pilot": {"en": "Expanded pilot", "sv": "Utökat pilottest"},
    "production": {"en": "Production phase {number}", "sv": "Produktionsdistributionsfas {number}"},
    "self_service": {"en": "self-service", "sv": "självbetjäning"},
    "assisted": {"en": "assisted", "sv": "assisterad"},
    "tech_fair": {"en": "IT tech fair", "sv": "IT-teknikmässa"},
    "department": {"en": "department", "sv": "avdelning"},
    "geography": {"en": "geography", "sv": "geografi"},
    "platform": {"en": "platform", "sv": "plattform"},
    "early": {"en": "early", "sv": "tidig"},
    "middle": {"en": "middle", "sv": "mellersta"},
    "late": {"en": "late", "sv": "sen"},
    "limited": {"en": "limited pilot", "sv": "begränsat pilottest"},
    "expanded": {"en": "expanded pilot", "sv": "utökat pilottest"},
    "phase": {"en": "Phase", "sv": "Fas"},
    "users": {"en": "{count} users", "sv": "{count} användare"},
    "yes": {"en": "yes", "sv": "ja"},
    "no": {"en": "no", "sv": "nej"},
    "windows": {"en": "Windows", "sv": "Windows"},
    "macos": {"en": "macOS", "sv": "macOS"},
    "ios": {"en": "iOS/iPadOS", "sv": "iOS/iPadOS"},
    "android": {"en": "Android", "sv": "Android"},
    "low": {"en": "low", "sv": "låg"},
    "medium": {"en": "medium", "sv": "medel"},
    "high": {"en": "high", "sv": "hög"},
    "corporate": {"en": "corporate", "sv": "företagsägd"},
    "personal": {"en": "personal", "sv": "privatägd"},
    "mixed": {"en": "mixed", "sv": "blandad"},
    "auto": {"en": "automatic", "sv": "automatisk"},
}

MONTHS: dict[Language, tuple[str, ...]] = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "sv": (
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ),
}


def term(key: str, language: Language, **values: object) -> str:
    """The localized word for a value or concept; unknown keys are shown as they are."""
    text = TERMS.get(key, {}).get(language, key)
    return text.format(**values) if values else text


def month_name(month: str, language: Language) -> str:
    """`2027-07` → `July 2027` / `juli 2027`."""
    year, number = month.split("-")
    return f"{MONTHS[language][int(number) - 1]} {year}"


# Parameters the planner reads by name; a rulebook without them does not load.
PLANNER_PARAMETERS = (
    "limited_pilot_size",
    "expanded_pilot_month_offset",
)
