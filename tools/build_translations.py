"""The catalogue of every language but English: checked against the code's strings, compiled.

    python -m tools.build_translations           # check and compile the .mo (`make translations`)
    python -m tools.build_translations --update  # add new strings to the .po, drop gone ones
                                                 # (`make messages`); then write their translations

The `.po` files in advisor/translations are the source of the translations; the message ids are
the English of the code (`pybabel extract -F babel.cfg`, into a temporary folder). Checking fails,
naming them, when a string has no translation (in every plural form), is marked fuzzy, has other
placeholders than the English, or is no longer in the code.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from advisor.model.i18n import CATALOGUE, DOMAIN

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("sv",)


def po_path(language: str) -> Path:
    return CATALOGUE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract(folder: Path) -> Catalog:
    """Every marked string of advisor/ and web/, extracted by pybabel into `folder`."""
    pot = folder / f"{DOMAIN}.pot"
    command = [
        sys.executable,
        "-m",
        "babel.messages.frontend",
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        "-o",
        str(pot),
        "--no-location",
        "--omit-header",
        ".",  # babel.cfg picks advisor/ and web/ (paths in it are relative to this one)
    ]
    done = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"pybabel extract failed:\n{done.stderr}")
    with pot.open("rb") as stream:
        return read_po(stream)


def read(language: str) -> Catalog:
    with po_path(language).open("rb") as stream:
        return read_po(stream, locale=language)


def _forms(message: Message) -> list[str]:
    """The translation, a text per plural form (one for a message without plural)."""
    string = message.string
    return [string] if isinstance(string, str) else [form or "" for form in string or ()]


def problems(template: Catalog, catalogue: Catalog) -> list[str]:
    """What keeps `catalogue` from translating every string of `template`, one line each."""
    found: list[str] = []
    wanted = {message.id for message in template if message.id}
    for message in template:
        if not message.id:
            continue
        translated = catalogue.get(message.id)
        if translated is None:
            found.append(f"no translation: {message.id!r}")
            continue
        forms = _forms(translated)
        if message.pluralizable and len(forms) != catalogue.num_plurals:
            found.append(f"{len(forms)} of {catalogue.num_plurals} plural forms: {message.id!r}")
        elif not all(form.strip() for form in forms):
            found.append(f"empty translation: {message.id!r}")
        if translated.fuzzy:
            found.append(f"fuzzy (check it, then remove the flag): {message.id!r}")
    for message in catalogue:
        if message.id and message.id not in wanted:
            found.append(f"no longer in the code (run --update): {message.id!r}")
    for message, errors in catalogue.check():  # placeholders that differ from the English
        found += [f"{error}: {message.id!r}" for error in errors]
    return found


def update(template: Catalog, language: str) -> Catalog:
    """The .po with the template's strings: new ones untranslated, gone ones dropped."""
    catalogue = read(language)
    created = catalogue.creation_date
    catalogue.update(template, no_fuzzy_matching=True)
    catalogue.creation_date = created  # the template's is today's: keep the file unchanged
    with po_path(language).open("wb") as stream:
        write_po(stream, catalogue, ignore_obsolete=True, sort_output=True, width=100)
    return catalogue


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    with tempfile.TemporaryDirectory() as folder:
        template = extract(Path(folder))
    failed = False
    for language in LANGUAGES:
        catalogue = update(template, language) if "--update" in arguments else read(language)
        found = problems(template, catalogue)
        if found:
            print(f"{po_path(language).relative_to(ROOT)}:\n  " + "\n  ".join(found), file=sys.stderr)
            failed = True
            continue
        with po_path(language).with_suffix(".mo").open("wb") as stream:
            write_mo(stream, catalogue)
        print(
            f"{len(catalogue)} strings compiled into {po_path(language).with_suffix('.mo').relative_to(ROOT)}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
