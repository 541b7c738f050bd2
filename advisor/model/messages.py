"""Pydantic's validation errors turned into plain sentences, by path, in English or Swedish."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from advisor.model.errors import Problem
from advisor.model.vocabulary import Language

_TEXTS: dict[str, dict[Language, str]] = {
    "missing": {"en": "is required", "sv": "måste anges"},
    "extra_forbidden": {"en": "is not a known field", "sv": "är inget känt fält"},
    "whole_number": {"en": "must be a whole number", "sv": "måste vara ett heltal"},
    "boolean": {"en": "must be true or false", "sv": "måste vara true eller false"},
    "text": {"en": "must be text", "sv": "måste vara text"},
    "not_empty": {"en": "must not be empty", "sv": "får inte vara tom"},
    "min_chars": {"en": "must be at least {n} characters", "sv": "måste vara minst {n} tecken"},
    "max_chars": {"en": "must be at most {n} characters", "sv": "får vara högst {n} tecken"},
    "at_least": {"en": "must be at least {n}", "sv": "måste vara minst {n}"},
    "more_than": {"en": "must be more than {n}", "sv": "måste vara större än {n}"},
    "at_most": {"en": "must be at most {n}", "sv": "får vara högst {n}"},
    "one_of": {"en": "must be one of: {values}", "sv": "måste vara något av: {values}"},
    "min_items": {"en": "must have at least {n} item(s)", "sv": "måste ha minst {n} post(er)"},
    "max_items": {"en": "must have at most {n} items", "sv": "får ha högst {n} poster"},
    "list": {"en": "must be a list", "sv": "måste vara en lista"},
    "mapping": {"en": "must be a mapping of fields", "sv": "måste vara en samling fält"},
    "id_form": {
        "en": "must be 1 to 64 lowercase letters, digits or hyphens",
        "sv": "måste vara 1 till 64 gemena bokstäver, siffror eller bindestreck",
    },
    "form": {"en": "does not have the expected form", "sv": "har inte förväntad form"},
    "did_you_mean": {"en": " (did you mean '{hint}'?)", "sv": " (menade du '{hint}'?)"},
    "version": {
        "en": "must be 1 (the only format version)",
        "sv": "måste vara 1 (den enda formatversionen)",
    },
    "month_form": {
        "en": "must be a month written YYYY-MM, for example 2027-07",
        "sv": "måste vara en månad skriven ÅÅÅÅ-MM, till exempel 2027-07",
    },
    "blank": {"en": "must not be blank", "sv": "får inte vara tom"},
    "control": {
        "en": "must not contain control characters ({code})",
        "sv": "får inte innehålla styrtecken ({code})",
    },
    "repeated": {"en": "lists {values} more than once", "sv": "anger {values} mer än en gång"},
    "duplicate_id": {
        "en": "'{id}' is already used by groups[{first}]",
        "sv": "'{id}' används redan av groups[{first}]",
    },
    "rollout_too_long": {
        "en": "the rollout would take at least {months} months; this service plans at most {ceiling}. "
        "Raise the support capacity (to at least {capacity} users a month) or plan fewer users",
        "sv": "utrullningen skulle ta minst {months} månader; tjänsten planerar högst {ceiling}. "
        "Höj supportkapaciteten (till minst {capacity} användare i månaden) eller planera färre användare",
    },
    "too_many_phases": {
        "en": "the rollout would take more than {ceiling} months, the most this service plans: "
        "each site or platform starts a phase of its own. Plan fewer sites or groups in one assessment, "
        "or raise the support capacity",
        "sv": "utrullningen skulle ta mer än {ceiling} månader, det mesta tjänsten planerar: varje plats "
        "eller plattform får en egen fas. Planera färre platser eller grupper i en bedömning, "
        "eller höj supportkapaciteten",
    },
    "more_problems": {
        "en": "and {n} more problems, not shown: fix these first",
        "sv": "och {n} problem till, som inte visas: rätta de här först",
    },
    "rollout_past_calendar": {
        "en": "the rollout would end after December 9999; start it earlier",
        "sv": "utrullningen skulle sluta efter december 9999; börja den tidigare",
    },
}

# Error types raised by our own validators (PydanticCustomError); their texts are above.
_CUSTOM = frozenset({"month_form", "blank", "control", "repeated", "duplicate_id"})

_EMBEDDED_PATH = re.compile(r"^([A-Za-z_][\w.\[\]]*): (.+)$", re.S)


def text(key: str, language: Language, **values: object) -> str:
    return _TEXTS[key][language].format(**values)


def format_path(loc: Iterable[str | int]) -> str:
    """`('groups', 2, 'users')` → `groups[2].users`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def did_you_mean(word: object, choices: Iterable[str], language: Language) -> str:
    if not isinstance(word, str):
        return ""
    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return text("did_you_mean", language, hint=by_lower[close[0]]) if close else ""


def describe_validation_error(
    err: Mapping[str, Any],
    language: Language,
    known_fields: Mapping[str, Sequence[str]] | None = None,
) -> Problem:
    """One pydantic error dict → one located plain sentence.

    `known_fields` maps a path's last named container (`organisation`, `groups`, `` for the top)
    to its field names, for "did you mean" on unknown fields.
    """
    loc = [part for part in err.get("loc", ()) if not _is_union_tag(part)]
    kind = err.get("type", "")
    ctx = err.get("ctx", {}) or {}
    value = err.get("input")
    path = format_path(loc)
    if kind in _CUSTOM:  # our own PydanticCustomError types carry their values in ctx
        return Problem(path, text(kind, language, **ctx))
    if kind == "value_error":
        message = str(ctx.get("error", err.get("msg", "")))
        embedded = _EMBEDDED_PATH.match(message)
        if embedded and not loc:
            return Problem(embedded.group(1), embedded.group(2))
        return Problem(path, message)
    if kind == "extra_forbidden":
        container = next((p for p in reversed(loc[:-1]) if isinstance(p, str)), "")
        hint = did_you_mean(loc[-1] if loc else None, (known_fields or {}).get(container, ()), language)
        return Problem(path, text("extra_forbidden", language) + hint)
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        if loc and loc[-1] == "version":
            return Problem(path, text("version", language))
        message = text("one_of", language, values=", ".join(choices))
        return Problem(path, message + did_you_mean(value, choices, language))
    if kind == "string_pattern_mismatch":
        key = {"id": "id_form", "name": "blank"}.get(str(loc[-1]) if loc else "", "form")
        return Problem(path, text(key, language))
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return Problem(path, text("not_empty" if n == 1 else "min_chars", language, n=n))
    return Problem(path, _simple(kind, ctx, language) or str(err.get("msg", "")))


# At most this many problems are described for one document; the rest are counted. A document
# with thousands of mistakes gets a short answer at once: describing each costs time, and the
# answer would otherwise grow with the mistakes (900,000 made an 82 MB answer in 15 s).
MAX_PROBLEMS = 100


def describe_errors(
    errors: Iterable[Mapping[str, Any]],
    language: Language,
    known_fields: Mapping[str, Sequence[str]] | None = None,
    limit: int = MAX_PROBLEMS,
) -> list[Problem]:
    """The first `limit` errors as located sentences, and how many more there were."""
    problems: list[Problem] = []
    more = 0
    for err in errors:
        if len(problems) < limit:
            problems.append(describe_validation_error(err, language, known_fields))
        else:
            more += 1
    if more:
        problems.append(Problem("", text("more_problems", language, n=more)))
    return problems


def _simple(kind: str, ctx: Mapping[str, Any], language: Language) -> str | None:
    simple = {
        "missing": ("missing", {}),
        "int_type": ("whole_number", {}),
        "int_parsing": ("whole_number", {}),
        "int_from_float": ("whole_number", {}),
        "bool_type": ("boolean", {}),
        "bool_parsing": ("boolean", {}),
        "string_type": ("text", {}),
        "string_too_long": ("max_chars", {"n": ctx.get("max_length")}),
        "greater_than_equal": ("at_least", {"n": ctx.get("ge")}),
        "greater_than": ("more_than", {"n": ctx.get("gt")}),
        "less_than_equal": ("at_most", {"n": ctx.get("le")}),
        "too_short": ("min_items", {"n": ctx.get("min_length")}),
        "too_long": ("max_items", {"n": ctx.get("max_length")}),
        "list_type": ("list", {}),
        "dict_type": ("mapping", {}),
        "model_type": ("mapping", {}),
        "model_attributes_type": ("mapping", {}),
    }
    if kind not in simple:
        return None
    key, values = simple[kind]
    return text(key, language, **values)


def _is_union_tag(part: object) -> bool:
    # Discriminated unions add their tag to the path ("leaf", "all"); a reader never wrote it.
    return isinstance(part, str) and part.startswith("<") and part.endswith(">")
