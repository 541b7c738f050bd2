"""The planning guide's sections that rules cite, with their titles in both languages."""

from __future__ import annotations

from advisor.model.i18n import N_, gettext
from advisor.model.vocabulary import Language

GUIDE_URL = "https://docs.microsoft.com/intune/planning-guide-rollout-plan"
GUIDE_URL_SV = "https://docs.microsoft.com/sv-se/intune/planning-guide-rollout-plan"
# Microsoft's current documentation, which current_practice rules cite page by page.
CURRENT_DOCS = "https://learn.microsoft.com/"
# The guide's successor on Microsoft Learn: the Intune planning guide, whose step "create a rollout
# plan" carries the same rollout text (the 2016 article's address now only redirects).
CURRENT_GUIDE_URL = "https://learn.microsoft.com/mem/intune/fundamentals/intune-planning-guide"
CURRENT_GUIDE_URL_SV = "https://learn.microsoft.com/sv-se/mem/intune/fundamentals/intune-planning-guide"

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


def is_guide(source: str) -> bool:
    """Whether a source is a section of the 2016 guide (in either language)."""
    return split_source(source)[0] in (GUIDE_URL, GUIDE_URL_SV)


def source_links(source: str, language: Language) -> list[tuple[str, str]]:
    """Where a reason, warning or prerequisite can be read, as (link text, address): a section of
    the 2016 guide, then its successor on Microsoft Learn; any other source (a current_practice
    rule's Microsoft page) as it is. Nothing for an empty source."""
    if not source:
        return []
    if not is_guide(source):
        return [(section_title(source, language), source)]
    current = CURRENT_GUIDE_URL_SV if language == "sv" else CURRENT_GUIDE_URL
    return [
        (
            gettext("%(section)s (the guide, 2016)", language, section=section_title(source, language)),
            localized_source(source, language),
        ),
        (gettext("Intune planning guide (Microsoft Learn)", language), current),
    ]
