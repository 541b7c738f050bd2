"""Names from the exports as the assessment takes them."""

from __future__ import annotations

import re

# Control characters, and the spaces the assessment's text pattern counts that Python's split()
# does not (a name of only a BOM or a no-break space is blank there too).
_NOT_TEXT = re.compile(
    r"[\u0000-\u001f\u007f-\u009f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
)
# Characters that show as nothing (zero-width spaces and joiners, the soft hyphen, direction marks):
# "\u200bSales" and "Sa\u00adles" are "Sales".
_INVISIBLE = re.compile(r"[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069]")


def tidy(text: str) -> str:
    """A name as the assessment takes it: no control characters, spaces collapsed, at most 200."""
    return " ".join(_NOT_TEXT.sub(" ", _INVISIBLE.sub("", text)).split())[:200].rstrip()
