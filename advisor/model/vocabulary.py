"""The words rules may use: facts per stage, decisions and their values, in English and Swedish."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Language = Literal["en", "sv"]
LANGUAGES: tuple[Language, ...] = ("en", "sv")
Stage = Literal["group", "organisation", "placement"]
STAGES: tuple[Stage, ...] = ("group", "organisation", "placement")
FactKind = Literal["int", "bool", "enum", "set"]

PLATFORMS = ("windows", "macos", "ios", "android")
REQUIREMENTS = ("email", "apps", "wifi_vpn", "certificates", "compliance", "shared_devices")
LEVELS = ("low", "medium", "high")
OWNERSHIP = ("corporate", "personal", "mixed")
SPLITS = ("department", "geography", "platform")
PHASE_KINDS = ("limited_pilot", "expanded_pilot", "production")
APPROACHES = ("self_service", "assisted", "tech_fair")


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


GROUP_FACTS = _facts(
    FactSpec("users", "int", "number of users", "antal användare"),
    FactSpec("devices", "int", "number of devices", "antal enheter"),
    FactSpec("device_ratio_percent", "int", "devices per 100 users", "enheter per 100 användare"),
    FactSpec("platforms", "set", "device platforms", "enhetsplattformar", PLATFORMS),
    FactSpec("platform_count", "int", "number of platforms", "antal plattformar"),
    FactSpec("ownership", "enum", "device ownership", "ägarskap för enheter", OWNERSHIP),
    FactSpec("site_count", "int", "number of sites", "antal platser"),
    FactSpec("it_department", "bool", "part of the IT department", "del av IT-avdelningen"),
    FactSpec("executives", "bool", "executives or VIP users", "chefer eller VIP-användare"),
    FactSpec("change_readiness", "enum", "willingness to change", "förändringsvilja", LEVELS),
    FactSpec("feedback", "bool", "willing to give feedback", "villig att ge feedback"),
    FactSpec("needs_help", "enum", "help needed to enroll", "behov av hjälp vid registrering", LEVELS),
    FactSpec("business_risk", "enum", "business risk", "affärsrisk", LEVELS),
    FactSpec("requirements", "set", "requirements", "krav", REQUIREMENTS),
)

PLACEMENT_FACTS = GROUP_FACTS | _facts(
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
        ("auto", *SPLITS),
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

FACTS_BY_STAGE: dict[Stage, dict[str, FactSpec]] = {
    "group": GROUP_FACTS,
    "organisation": ORGANISATION_FACTS,
    "placement": PLACEMENT_FACTS,
}


@dataclass(frozen=True)
class DecisionSpec:
    """Something rules decide: at which stage, and which values it can take (in order)."""

    name: str
    stages: tuple[Stage, ...]
    values: tuple[str, ...] = ()  # empty: any slug (warnings)


DECISIONS: dict[str, DecisionSpec] = {
    "pilot": DecisionSpec("pilot", ("group",), ("limited", "expanded", "production")),
    "wave": DecisionSpec("wave", ("group",), ("early", "middle", "late")),
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
