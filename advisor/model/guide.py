"""The planning guide's sections that rules cite, with their titles in both languages."""

from __future__ import annotations

from advisor.model.i18n import N_, gettext
from advisor.model.vocabulary import Language

GUIDE_URL = "https://docs.microsoft.com/intune/planning-guide-rollout-plan"
GUIDE_URL_SV = "https://docs.microsoft.com/sv-se/intune/planning-guide-rollout-plan"
# Microsoft's current documentation, which current_practice rules cite page by page.
CURRENT_DOCS = "https://learn.microsoft.com/"

# The sections by anchor, with their titles (the catalogue has them in the guide's Swedish).
SECTIONS: dict[str, str] = {
    "develop-a-rollout-plan": N_("Develop a rollout plan"),
    "targeted-groups-and-timeframes": N_("Targeted groups and timeframes"),
    "rollout-phases": N_("Rollout phases"),
    "pilot": N_("Pilot"),
    "production-rollout": N_("Production rollout"),
    "match-rollout-groups-to-enrollment-approaches": N_("Match rollout groups to enrollment approaches"),
    "user-self-service": N_("User self-service"),
    "user-assisted-enrollment": N_("User-assisted enrollment"),
    "it-tech-fair": N_("IT tech fair"),
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
    url, anchor = split_source(source)
    if url not in (GUIDE_URL, GUIDE_URL_SV):  # a current_practice rule's page
        return gettext("Microsoft's current documentation", language)
    title = SECTIONS.get(anchor)
    return anchor if title is None else gettext(title, language)
