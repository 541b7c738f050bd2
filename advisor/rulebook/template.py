"""Rule texts are data, not format strings: `{name}` placeholders and nothing else.

A reason may name a fact or a parameter in braces, `{users}`, and write a literal brace as `{{`
or `}}`. Format specifications, conversions, attributes and indexes (`{users:d}`,
`{users:>20000000}`, `{users!r}`, `{a.b}`, `{a[0]}`) are refused when the rulebook loads, so
an admin's text can neither fail nor grow when it is filled in; filling in only joins strings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from advisor.model.errors import AdvisorError

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")

# A parsed text: literal strings and placeholder names, in order (names are marked by a tuple).
Part = str | tuple[str]


class TemplateError(AdvisorError):
    """A rule text whose braces are not `{name}`, `{{` or `}}`."""


@lru_cache(maxsize=4096)
def parse(text: str) -> tuple[Part, ...]:
    parts: list[Part] = []
    literal: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        literal.append(text[position : match.start()])
        token = match.group(0)
        if token in ("{{", "}}"):
            literal.append(token[0])
        elif match.group(1) is not None and _NAME.match(match.group(1)):
            parts.append("".join(literal))
            literal = []
            parts.append((match.group(1),))
        elif match.group(1) is not None:
            raise TemplateError(
                f"'{token}' at character {match.start() + 1}: a placeholder is a fact or parameter "
                "name in braces, such as {users}, with no format, conversion, attribute or index"
            )
        else:
            raise TemplateError(
                f"a lone '{token}' at character {match.start() + 1}: write {{{{ or }}}} for a brace"
            )
        position = match.end()
    literal.append(text[position:])
    parts.append("".join(literal))
    return tuple(part for part in parts if part != "")


def names(text: str) -> list[str]:
    """The placeholder names of a text, in order; TemplateError if its braces are not allowed."""
    return [part[0] for part in parse(text) if isinstance(part, tuple)]


def fill(text: str, values: Mapping[str, str]) -> str:
    """The text with every placeholder replaced by its value (already shown as text)."""
    return "".join(values[part[0]] if isinstance(part, tuple) else part for part in parse(text))
