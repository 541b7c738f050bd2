"""The planning guide's sections that rules cite, with their titles in both languages."""

from __future__ import annotations

from advisor.model.vocabulary import Language

GUIDE_URL = "https://docs.microsoft.com/intune/planning-guide-rollout-plan"
GUIDE_URL_SV = "https://docs.microsoft.com/sv-se/intune/planning-guide-rollout-plan"

SECTIONS: dict[str, dict[Language, str]] = {
    "develop-a-rollout-plan": {
        "en": "Develop a rollout plan",
        "sv": "Utveckla en distributionsplan",
    },
    "targeted-groups-and-timeframes": {
        "en": "Targeted groups and timeframes",
        "sv": "Målgrupper och tidsramar",
    },
    "rollout-phases": {"en": "Rollout phases", "sv": "Distributionsfaser"},
    "pilot": {"en": "Pilot", "sv": "Pilottest"},
    "production-rollout": {"en": "Production rollout", "sv": "Produktionsdistribution"},
    "match-rollout-groups-to-enrollment-approaches": {
        "en": "Match rollout groups to enrollment approaches",
        "sv": "Matcha distributionsgrupper med registreringsmetoder",
    },
    "user-self-service": {"en": "User self-service", "sv": "Självbetjäning för användare"},
    "user-assisted-enrollment": {
        "en": "User-assisted enrollment",
        "sv": "Användarstödd registrering",
    },
    "it-tech-fair": {"en": "IT tech fair", "sv": "IT-teknikmässa"},
}


def split_source(source: str) -> tuple[str, str]:
    """`URL#anchor` → (URL, anchor); a source without an anchor has anchor ''."""
    url, _, anchor = source.partition("#")
    return url, anchor


def localized_source(source: str, language: Language) -> str:
    """The same section in the reader's language (the guide has a Swedish translation)."""
    url, anchor = split_source(source)
    if language == "sv" and url == GUIDE_URL:
        url = GUIDE_URL_SV
    return f"{url}#{anchor}" if anchor else url


def section_title(source: str, language: Language) -> str:
    _, anchor = split_source(source)
    return SECTIONS.get(anchor, {}).get(language, anchor)
