"""The questionnaire: every question of the assessment, asked in plain words, in two languages.

The questions are data: the site renders them, and the help of each says which of the guide's
six discussion points (targeted groups and timeframes) it serves and why it matters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from advisor.model.errors import InputError
from advisor.model.facts import KNOWN_FIELDS, Assessment, parse_assessment
from advisor.model.messages import describe_errors
from advisor.model.vocabulary import Language, term

Kind = Literal["text", "month", "int", "bool", "choice", "multi", "lines"]


@dataclass(frozen=True)
class Question:
    name: str
    kind: Kind
    label: Mapping[Language, str]
    help: Mapping[Language, str]
    choices: tuple[str, ...] = ()
    required: bool = False
    point: int | None = None  # which of the guide's six discussion points it serves

    def point_label(self, language: Language) -> str:
        """`Discussion point 2 of 6: number of users and devices`, or '' for other questions."""
        if self.point is None:
            return ""
        words = {"en": "Discussion point {n} of 6", "sv": "Diskussionspunkt {n} av 6"}[language]
        return f"{words.format(n=self.point)}: {POINTS[self.point][language]}"

    def choice_label(self, value: str, language: Language) -> str:
        return CHOICE_LABELS.get(value, {}).get(language) or term(value, language)


CHOICE_LABELS: dict[str, dict[Language, str]] = {
    "en": {"en": "English", "sv": "engelska"},
    "sv": {"en": "Swedish", "sv": "svenska"},
    "email": {"en": "E-mail and access", "sv": "E-post och åtkomst"},
    "apps": {"en": "Apps", "sv": "Appar"},
    "wifi_vpn": {"en": "Wi-Fi or VPN profiles", "sv": "Wi-Fi- eller VPN-profiler"},
    "certificates": {"en": "Certificate profiles", "sv": "Certifikatprofiler"},
    "compliance": {"en": "Compliance policies", "sv": "Efterlevnadsprinciper"},
    "shared_devices": {"en": "Shared devices", "sv": "Delade enheter"},
    "auto": {"en": "Let the advisor choose", "sv": "Låt rådgivaren välja"},
    "department": {"en": "By department", "sv": "Efter avdelning"},
    "geography": {"en": "By geography", "sv": "Efter geografi"},
    "platform": {"en": "By device platform", "sv": "Efter enhetsplattform"},
}

POINTS: dict[int, dict[Language, str]] = {
    1: {"en": "Willingness to change", "sv": "Gruppens förändringsvilja"},
    2: {"en": "Number of users and devices", "sv": "Antal användare och enheter"},
    3: {"en": "Device platform types", "sv": "Typer av enhetsplattformar"},
    4: {"en": "Requirements", "sv": "Krav"},
    5: {"en": "Geographic location", "sv": "Geografisk plats"},
    6: {"en": "Business risk", "sv": "Affärsrisk"},
}


def _q(
    name: str,
    kind: Kind,
    en: str,
    sv: str,
    help_en: str,
    help_sv: str,
    choices: tuple[str, ...] = (),
    required: bool = False,
    point: int | None = None,
) -> Question:
    return Question(
        name, kind, {"en": en, "sv": sv}, {"en": help_en, "sv": help_sv}, choices, required, point
    )


ORGANISATION: tuple[Question, ...] = (
    _q(
        "name",
        "text",
        "Organisation name",
        "Organisationens namn",
        "Shown on the plan and its exports.",
        "Visas på planen och dess exporter.",
        required=True,
    ),
    _q(
        "rollout_start",
        "month",
        "First month of the rollout",
        "Distributionens första månad",
        "The limited pilot starts this month; every later phase is counted from it.",
        "Det begränsade pilottestet börjar denna månad; alla senare faser räknas från den.",
        required=True,
    ),
    _q(
        "language",
        "choice",
        "Language of the plan",
        "Planens språk",
        "Every text in the plan and its exports is written in this language.",
        "Alla texter i planen och dess exporter skrivs på detta språk.",
        ("en", "sv"),
    ),
    _q(
        "support_capacity",
        "int",
        "Users the helpdesk can onboard in a month",
        "Användare som supporten kan ta emot per månad",
        "Limits how many users go in one month; a larger group is spread over several months. "
        "Leave empty if unknown.",
        "Begränsar hur många användare som går per månad; en större grupp sprids över flera "
        "månader. Lämna tomt om det är okänt.",
        point=2,
    ),
    _q(
        "split_by",
        "choice",
        "How production phases are cut",
        "Hur produktionsfaserna delas in",
        "The guide cuts production by department, by geography or by platform; the advisor "
        "chooses from your groups unless you decide.",
        "Guiden delar in produktionen efter avdelning, geografi eller plattform; rådgivaren väljer "
        "utifrån grupperna om du inte bestämmer.",
        ("auto", "department", "geography", "platform"),
    ),
)

GROUP: tuple[Question, ...] = (
    _q(
        "name",
        "text",
        "Group name",
        "Gruppens namn",
        "A targeted group from your use-case scenarios, such as a department or a user type.",
        "En målgrupp från era användningsscenarier, till exempel en avdelning eller en användartyp.",
        required=True,
    ),
    _q(
        "department",
        "text",
        "Department",
        "Avdelning",
        "Groups of one department go in the same phase when phases are cut by department. "
        "Empty means the group name.",
        "Grupper på samma avdelning går i samma fas när faserna delas in efter avdelning. "
        "Tomt betyder gruppens namn.",
    ),
    _q(
        "users",
        "int",
        "Number of users",
        "Antal användare",
        "Decides the pilot split, which enrollment approach scales, and how many months the group needs.",
        "Avgör uppdelningen i pilottest, vilken registreringsmetod som skalar och hur många "
        "månader gruppen behöver.",
        required=True,
        point=2,
    ),
    _q(
        "devices",
        "int",
        "Number of devices",
        "Antal enheter",
        "Every device is enrolled, so many devices per user means more support time. "
        "Empty means one per user.",
        "Varje enhet registreras, så många enheter per användare kräver mer supporttid. "
        "Tomt betyder en per användare.",
        point=2,
    ),
    _q(
        "platforms",
        "multi",
        "Device platforms",
        "Enhetsplattformar",
        "Each platform enrolls differently; a platform that no pilot tests is a risk, and many "
        "platforms can call for phases by platform.",
        "Varje plattform registreras på sitt sätt; en plattform som inget pilottest prövar är en "
        "risk, och många plattformar kan tala för faser efter plattform.",
        ("windows", "macos", "ios", "android"),
        required=True,
        point=3,
    ),
    _q(
        "ownership",
        "choice",
        "Who owns the devices",
        "Vem äger enheterna",
        "Personal devices need the users' consent and different enrollment options.",
        "Privata enheter kräver användarnas samtycke och andra registreringsalternativ.",
        ("corporate", "personal", "mixed"),
        point=3,
    ),
    _q(
        "locations",
        "lines",
        "Sites or regions, one per line",
        "Platser eller regioner, en per rad",
        "Groups spread over many sites call for phases by geography; a group in one place can "
        "be helped at an IT tech fair.",
        "Grupper på många platser talar för faser efter geografi; en grupp på en plats kan få "
        "hjälp på en IT-teknikmässa.",
        point=5,
    ),
    _q(
        "it_department",
        "bool",
        "The group is part of the IT department",
        "Gruppen tillhör IT-avdelningen",
        "The guide starts the rollout with IT users in the pilots.",
        "Guiden börjar distributionen med IT-användare i pilottesten.",
    ),
    _q(
        "executives",
        "bool",
        "The group consists of executives or VIP users",
        "Gruppen består av chefer eller VIP-användare",
        "Executives are kept out of the limited pilot and get assisted enrollment.",
        "Chefer hålls utanför det begränsade pilottestet och får assisterad registrering.",
    ),
    _q(
        "change_readiness",
        "choice",
        "Willingness to change",
        "Förändringsvilja",
        "Eager groups can go early; reluctant ones go late, when the process is proven.",
        "Positiva grupper kan gå tidigt; ovilliga går sent, när processen är beprövad.",
        ("low", "medium", "high"),
        point=1,
    ),
    _q(
        "feedback",
        "bool",
        "Willing to give feedback as pilot users",
        "Villiga att ge feedback som pilotanvändare",
        "Pilot users' feedback improves the configuration, documentation and notifications.",
        "Pilotanvändarnas feedback förbättrar konfiguration, dokumentation och meddelanden.",
        point=1,
    ),
    _q(
        "needs_help",
        "choice",
        "Help the users need to enroll",
        "Hjälp användarna behöver vid registrering",
        "Decides between self-service, assisted enrollment and an IT tech fair.",
        "Avgör valet mellan självbetjäning, assisterad registrering och IT-teknikmässa.",
        ("low", "medium", "high"),
    ),
    _q(
        "business_risk",
        "choice",
        "Business risk",
        "Affärsrisk",
        "What a disruption during enrollment would cost the group's work; risky groups go late.",
        "Vad en störning under registreringen skulle kosta gruppens arbete; riskfyllda grupper går sent.",
        ("low", "medium", "high"),
        point=6,
    ),
    _q(
        "requirements",
        "multi",
        "What the group needs from Intune",
        "Vad gruppen behöver från Intune",
        "Groups that depend on certificate or Wi-Fi/VPN profiles wait until earlier phases have proven them.",
        "Grupper som är beroende av certifikat- eller Wi-Fi/VPN-profiler väntar tills tidigare "
        "faser har bevisat dem.",
        ("email", "apps", "wifi_vpn", "certificates", "compliance", "shared_devices"),
        point=4,
    ),
)


def from_form(questions: Sequence[Question], form: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Answers as entered, in the file's shape. Unparsable numbers are kept as text, so nothing a
    person typed is lost; validation then names them."""
    answers: dict[str, Any] = {}
    for question in questions:
        values = [v.strip() for v in form.get(question.name, [])]
        first = values[0] if values else ""
        if question.kind == "bool":
            answers[question.name] = first in ("on", "true", "1", "yes")
        elif question.kind == "multi":  # ticked boxes: the question's own choices, each once
            answers[question.name] = [v for v in dict.fromkeys(values) if v in question.choices]
        elif question.kind == "lines":
            answers[question.name] = [line.strip() for line in re.split(r"[\r\n]+", first) if line.strip()]
        elif first == "":
            continue  # optional and empty: the default applies
        elif question.kind == "int":
            answers[question.name] = int(first) if re.fullmatch(r"[0-9]{1,12}", first) else first
        else:
            answers[question.name] = first
    return answers


def slug(name: str, taken: Sequence[str]) -> str:
    """A group id from its name, unique among `taken`."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:56] or "group"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def empty_draft(name: str = "") -> dict[str, Any]:
    return {"version": 1, "organisation": {"name": name} if name else {}, "groups": []}


# What no draft may hold, however incomplete it is: text or lists past the contract's sizes,
# control characters, and numbers typed as text too long to be any number. Saving such a draft
# would keep what the contract refuses (and make every page of the assessment slow).
_OUT_OF_BOUNDS = frozenset({"string_too_long", "too_long", "control"})
_LONGEST_NUMBER_TEXT = 30


def out_of_bounds(draft: Mapping[str, Any], language: Language) -> dict[str, str]:
    """The problems, by path, that stop a draft from being saved at all (see _OUT_OF_BOUNDS)."""
    try:
        Assessment.model_validate(dict(draft))
    except ValidationError as exc:
        errors = [
            err
            for err in exc.errors(include_url=False)
            if err["type"] in _OUT_OF_BOUNDS
            or (
                isinstance(err.get("input"), str)
                and len(err["input"]) > _LONGEST_NUMBER_TEXT
                and err["type"] in ("int_type", "int_parsing")
            )
        ]
        return {p.path: p.message for p in describe_errors(errors, language, KNOWN_FIELDS)}
    return {}


def problems(draft: Mapping[str, Any], language: Language) -> dict[str, str]:
    """Every problem of a draft, by path (`organisation.name`, `groups[2].users`)."""
    try:
        parse_assessment(dict(draft), "answers", language)
    except InputError as exc:
        return {p.path: p.message for p in exc.problems}
    return {}


def valid(draft: Mapping[str, Any]) -> Assessment | None:
    try:
        return parse_assessment(dict(draft))
    except InputError:
        return None
