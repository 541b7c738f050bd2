"""Untrusted documents (API bodies, imported files, rule files) parsed with stated bounds.

Python's parsers recurse once per level of nesting and convert integers of any length, so a
small document can exhaust the stack (1,000 nested brackets: RecursionError) or trip the
int-string conversion limit (more than 4,300 digits: ValueError). Every JSON and YAML document
the product reads goes through this module or `advisor.model.yamlsource`, which share these bounds and
turn a breach into a `DocumentProblem` with a plain message, never an unexpected exception.
"""

from __future__ import annotations

import json
from typing import Any

from advisor.model.i18n import N_, gettext

# No document the product reads nests deeper than about ten levels (a rule's nested
# all/any/not conditions are the deepest); 32 leaves room and stays far from the stack's limit.
MAX_DEPTH = 32
# The largest number any field allows has nine digits; thirty is generous and keeps every
# conversion far below Python's limit of 4,300 digits.
MAX_NUMBER_DIGITS = 30


class DocumentProblem(ValueError):
    """The text is not a document we accept; `line` is 1-based where known. `template` is the
    message before its `values` are filled in (marked for the catalogue): `message` says it in
    English, `say` in a person's language."""

    def __init__(self, template: str, line: int | None = None, **values: object) -> None:
        self.template, self.values, self.line = template, values, line
        self.message = template % values if values else template
        super().__init__(self.message)

    def say(self, language: str) -> str:
        return gettext(self.template, language, **self.values)


def too_deep(line: int | None = None) -> DocumentProblem:
    return DocumentProblem(N_("nested deeper than %(depth)s levels"), line, depth=MAX_DEPTH)


def too_many_digits(text: str, line: int | None = None) -> DocumentProblem | None:
    """The problem with a number written as `text`, if it has too many digits in any base
    (YAML also reads 0x…, 0o… and 0b… as integers: their letters count as digits)."""
    digits = sum(character.isalnum() for character in text)
    if digits > MAX_NUMBER_DIGITS:
        return DocumentProblem(
            N_("a number of %(digits)s digits; numbers have at most %(most)s digits"),
            line,
            digits=f"{digits:,}",
            most=MAX_NUMBER_DIGITS,
        )
    return None


def _integer(text: str) -> int:
    problem = too_many_digits(text)
    if problem is not None:
        raise problem
    return int(text)


def load_json(text: str | bytes) -> Any:
    """Parse JSON text into plain data, refusing what nests deeper than MAX_DEPTH levels and
    integers longer than MAX_NUMBER_DIGITS digits."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")  # UnicodeDecodeError is the caller's: it words it itself
    try:
        data = json.loads(text, parse_int=_integer)
    except json.JSONDecodeError as exc:
        raise DocumentProblem(N_("not valid JSON: %(detail)s"), exc.lineno, detail=exc.msg) from None
    except RecursionError:  # the parser recursed past the interpreter's limit: too deep anyway
        raise too_deep() from None
    except DocumentProblem:
        raise
    except ValueError as exc:  # defensive: any other conversion the parser refuses
        raise DocumentProblem(N_("not valid JSON: %(detail)s"), detail=str(exc)) from None
    check_depth(data)
    return data


def check_depth(data: Any, max_depth: int = MAX_DEPTH) -> None:
    """Refuse plain data (dicts and lists) nested deeper than `max_depth`; iterative, so it
    cannot itself run out of stack."""
    containers = (dict, list)
    level = [data] if isinstance(data, containers) else []  # the containers at `depth`
    depth = 0
    while level:
        if depth >= max_depth:
            raise too_deep()
        deeper: list[Any] = []
        for value in level:
            children = value.values() if isinstance(value, dict) else value
            deeper.extend(child for child in children if isinstance(child, containers))
        level, depth = deeper, depth + 1
