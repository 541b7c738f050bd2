"""Words in the reader's language, from the Babel catalogue the site uses too (no Flask here).

The English text is the message id; `advisor/translations/<language>/LC_MESSAGES/messages.po`
holds the other languages and `make translations` compiles it. `pybabel extract -F babel.cfg`
finds every call below by its name (Babel's default keywords), so the calls are written as:

    gettext("must be text", language)
    gettext("must be one of: %(values)s", language, values="a, b")
    ngettext("%(num)d user", "%(num)d users", count, language)   # num is the count

and a text defined when a module is imported, before anyone asks in a language, is marked with
`N_` (the catalogue gets it; nothing is translated yet) and translated where it is shown:

    SECTION = N_("Rollout phases")          # at import time: the English, marked
    gettext(SECTION, language)              # when shown: "Distributionsfaser" in Swedish

Placeholders are `%(name)s`, as on the site, so that one message can serve both.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from advisor.model.errors import AdvisorError

CATALOGUE = Path(__file__).resolve().parent.parent / "translations"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"  # the message ids are English: English needs no catalogue


class CatalogueMissing(AdvisorError):
    """A language has no catalogue at all (neither compiled nor its source)."""


def N_(message: str) -> str:
    """Marks a text for the catalogue without translating it (see the module's docstring)."""
    return message


def compiled_path(language: str) -> Path:
    return CATALOGUE / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


def source_path(language: str) -> Path:
    return CATALOGUE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(language: str) -> NullTranslations:
    """The catalogue of `language`, loaded once per process: the compiled one, or, where it is
    missing or older than its source (an install that skipped `make translations`, a `.po` just
    edited), the source compiled in memory, so a plan is never in the wrong language."""
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    compiled, source = compiled_path(language), source_path(language)
    if compiled.is_file() and (not source.is_file() or compiled.stat().st_mtime >= source.stat().st_mtime):
        return Translations.load(str(CATALOGUE), [language], DOMAIN)
    if not source.is_file():
        raise CatalogueMissing(f"no catalogue for '{language}' at {source}")
    with source.open("rb") as stream:
        catalog = read_po(stream, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def gettext(message: str, language: str, **values: object) -> str:
    """`message` in `language`, with `%(name)s` placeholders filled from `values`."""
    text = translations(language).gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, language: str, **values: object) -> str:
    """The form of `singular`/`plural` that `n` takes in `language` (Swedish and English have
    two; the catalogue says which); `%(num)d` is `n`, like Flask-Babel's and Jinja's ngettext."""
    text = translations(language).ngettext(singular, plural, n)
    return text % {"num": n, **values}
