"""What the proposal is tuned by: the rule file's patterns and thresholds, each overridable per import."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from advisor.model.facts import control_character
from advisor.model.vocabulary import PLATFORMS, Platform
from advisor.rulebook.loader import Rulebook

Pattern = Annotated[str, Field(min_length=1, max_length=64)]
Patterns = Annotated[tuple[Pattern, ...], Field(max_length=100)]
VERSION = re.compile(r"^\d+(\.\d+)*$")
MAX_SITES = 200  # a group's locations, as the assessment model bounds them


class DirectorySettings(BaseModel):
    """Patterns are words matched whole, case not counting; `*` at either end stands for the rest of
    a word. Nothing here is a regular expression: what a person types cannot make the match slow."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    it_patterns: Patterns
    executive_patterns: Patterns
    minimum_os: Mapping[Platform, Annotated[str, Field(pattern=VERSION.pattern, max_length=32)]]
    active_days: Annotated[int, Field(ge=1, le=365)]
    site_split_users: Annotated[int, Field(ge=1, le=10_000_000)]

    @field_validator("it_patterns", "executive_patterns")
    @classmethod
    def _words(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if control_character(value) or not value.strip("* ") or "*" in value.strip("*"):
                raise ValueError(
                    "a pattern is one or more words, with * only at its start or end, "
                    "and no control characters"
                )
        return values

    @classmethod
    def from_rulebook(cls, rulebook: Rulebook, **overrides: object) -> DirectorySettings:
        """The rule file's values, with `overrides` (it_patterns=[...], ...) for this import."""
        minimum = rulebook.tables["directory_minimum_os"]
        values: dict[str, object] = {
            "it_patterns": rulebook.lists["directory_it_department_patterns"],
            "executive_patterns": rulebook.lists["directory_executive_patterns"],
            "minimum_os": {p: minimum[p][0] for p in PLATFORMS if minimum.get(p)},
            "active_days": rulebook.parameters["directory_active_days"],
            "site_split_users": rulebook.parameters["directory_site_split_users"],
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)

    # Properties over cached functions, not cached properties: a copy with other patterns
    # (model_copy) would carry the cached matcher of the original along.
    @property
    def it_matcher(self) -> re.Pattern[str]:
        return matcher(tuple(self.it_patterns))

    @property
    def executive_matcher(self) -> re.Pattern[str]:
        return matcher(tuple(self.executive_patterns))

    @property
    def minimum_versions(self) -> dict[str, tuple[int, ...]]:
        return {p: version_tuple(v) or (0,) for p, v in self.minimum_os.items()}


@functools.lru_cache(maxsize=64)
def matcher(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled expression for the patterns (each escaped: only `*` and spaces mean anything)."""
    parts = []
    for pattern in patterns:
        text = pattern.strip()
        head, tail = text.startswith("*"), text.endswith("*")
        words = [re.escape(w) for w in text.strip("*").split()]
        body = r"[\s\-]+".join(words)
        parts.append(("\\w*" if head else "") + body + ("\\w*" if tail else ""))
    if not parts:
        return re.compile(r"(?!x)x")  # matches nothing
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


_DIGITS = re.compile(r"\d+(?:\.\d+)*")


def version_tuple(text: str) -> tuple[int, ...]:
    """`10.0.19045.4291` -> (10, 0, 19045, 4291); `iOS 17.5` -> (17, 5); () when there is no number."""
    found = _DIGITS.search(text)
    return tuple(int(p) for p in found.group().split(".")[:6]) if found else ()
