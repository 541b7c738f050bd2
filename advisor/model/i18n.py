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
from pathlib import Path

from babel.support import NullTranslations, Translations

CATALOGUE = Path(__file__).resolve().parent.parent / "translations"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"  # the message ids are English: English needs no catalogue


class CatalogueMissing(RuntimeError):
    """A language's compiled catalogue is not there: `make translations` has not run."""


def N_(message: str) -> str:
    """Marks a text for the catalogue without translating it (see the module's docstring)."""
    return message


@functools.cache
def translations(language: str) -> NullTranslations:
    """The compiled catalogue of `language`; loaded once per process."""
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    compiled = CATALOGUE / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not compiled.is_file():
        raise CatalogueMissing(f"no compiled catalogue at {compiled}: run `make translations`")
    return Translations.load(str(CATALOGUE), [language], DOMAIN)


def gettext(message: str, language: str, **values: object) -> str:
    """`message` in `language`, with `%(name)s` placeholders filled from `values`."""
    text = translations(language).gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, language: str, **values: object) -> str:
    """The form of `singular`/`plural` that `n` takes in `language` (Swedish and English have
    two; the catalogue says which); `%(num)d` is `n`, like Flask-Babel's and Jinja's ngettext."""
    text = translations(language).ngettext(singular, plural, n)
    return text % {"num": n, **values}
