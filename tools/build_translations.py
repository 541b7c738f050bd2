"""Extract the site's strings, fill the Swedish catalogue from tools/translations_sv.py, compile.

Fails, naming them, when a string of the site has no Swedish translation.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from tools.translations_sv import SV

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "web" / "translations" / "messages.pot"
PO = ROOT / "web" / "translations" / "sv" / "LC_MESSAGES" / "messages.po"


def main() -> int:
    POT.parent.mkdir(parents=True, exist_ok=True)  # the folder is build output, not in git
    command = [
        sys.executable,
        "-m",
        "babel.messages.frontend",
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        "-o",
        str(POT),
        "--no-location",
        "--omit-header",
        ".",
    ]
    extract = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True)
    if extract.returncode != 0:
        print(extract.stderr, file=sys.stderr)
        return extract.returncode
    with POT.open("rb") as stream:
        template = read_po(stream)
    catalog = Catalog(locale="sv", project="Rollout Advisor")
    missing = []
    for message in template:
        if not message.id:
            continue
        text = " ".join(str(message.id).split())
        translated = SV.get(text) or SV.get(str(message.id))
        if translated is None:
            missing.append(str(message.id))
            continue
        catalog.add(message.id, translated)
    if missing:
        print("no Swedish for:\n  " + "\n  ".join(missing), file=sys.stderr)
        return 1
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as stream:
        write_po(stream, catalog, omit_header=False, sort_output=True, width=100)
    with PO.with_suffix(".mo").open("wb") as stream:
        write_mo(stream, catalog)
    print(f"{len(catalog)} Swedish strings compiled into {PO.with_suffix('.mo').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
