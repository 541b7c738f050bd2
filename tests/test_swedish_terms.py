"""The Swedish keeps to one term per concept: the guide's own words where it has them, natural Swedish
where it has none, and never the near-synonyms a reviewer flagged as stilted or wrong."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

from tests.conftest import ROOT

# Each pattern matches a word the Swedish must not use, with the term to use instead.
AVOID: list[tuple[str, str]] = [
    (r"\bspänning", "motsägelse i guiden"),
    (r"\bavvägning", "motsägelse i guiden"),
    (r"\bbevisa", "pröva ut"),
    (r"\bslipad", "inkörd"),
    (r"\bsupporten van\b", "inkörd"),
    (r"\bovillig", "har låg förändringsvilja"),
    (r"\bmonter", "IT-teknikmässa (or the guide's bås for its booth)"),
    (r"(?<!IT-)\bteknikmässa", "IT-teknikmässa"),
    (r"\bIT-mässa", "IT-teknikmässa"),
    (r"\bbehov av hjälp vid registrering", "behöver hjälp med registreringen"),
    (r"\bchefer eller VIP", "företagsledare eller VIP"),
]


def swedish_rule_texts(node: object, where: str) -> Iterator[tuple[str, str]]:
    """Every `sv:` text in a rule file, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "sv" and isinstance(value, str):
                yield where, value
            else:
                yield from swedish_rule_texts(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from swedish_rule_texts(item, f"{where}[{index}]")


def swedish_texts() -> Iterator[tuple[str, str]]:
    with (ROOT / "advisor/translations/sv/LC_MESSAGES/messages.po").open("rb") as handle:
        for message in read_po(handle):
            strings = [message.string] if isinstance(message.string, str) else list(message.string or ())
            for string in strings:
                if message.id and string:
                    yield f"messages.po: {message.id!r}", string
    for path in sorted((ROOT / "rules").glob("*.yaml")):
        yield from swedish_rule_texts(yaml.safe_load(path.read_text(encoding="utf-8")), Path(path).name)


@pytest.mark.parametrize(("pattern", "instead"), AVOID, ids=[instead for _, instead in AVOID])
def test_the_swedish_uses_the_agreed_term(pattern: str, instead: str) -> None:
    found = [where for where, text in swedish_texts() if re.search(pattern, text, re.IGNORECASE)]
    assert found == [], f"use {instead!r}"


def test_the_check_finds_an_avoided_word() -> None:
    assert re.search(AVOID[0][0], "Spänning i guiden", re.IGNORECASE)
    assert not re.search(AVOID[7][0], "en IT-teknikmässa", re.IGNORECASE)
    assert re.search(AVOID[7][0], "en teknikmässa", re.IGNORECASE)
