"""Pydantic's validation errors turned into plain sentences, by path, in English or Swedish."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from advisor.model.errors import Problem
from advisor.model.i18n import N_, gettext, ngettext
from advisor.model.vocabulary import Language

# Texts by key: for pydantic's error types, and our own (PydanticCustomError, `_CUSTOM`). The
# English is the catalogue's message id (advisor/model/i18n.py); texts with a count are ngettext
# calls where they are made, so that the count picks the form ("1 item", "3 items").
_TEXTS: dict[str, str] = {
    "missing": N_("is required"),
    "extra_forbidden": N_("is not a known field"),
    "whole_number": N_("must be a whole number"),
    "boolean": N_("must be true or false"),
    "text": N_("must be text"),
    "not_empty": N_("must not be empty"),
    "at_least": N_("must be at least %(n)s"),
    "more_than": N_("must be more than %(n)s"),
    "at_most": N_("must be at most %(n)s"),
    "one_of": N_("must be one of: %(values)s"),
    "not_chosen": N_("not chosen yet"),
    "list": N_("must be a list"),
    "mapping": N_("must be a mapping of fields"),
    "id_form": N_("must be 1 to 64 lowercase letters, digits or hyphens"),
    "form": N_("does not have the expected form"),
    "did_you_mean": N_(" (did you mean '%(hint)s'?)"),
    "version": N_("must be 1 (the only format version)"),
    "month_form": N_("must be a month written YYYY-MM, for example 2027-07"),
    "blank": N_("must not be blank"),
    "control": N_("must not contain control characters (%(code)s)"),
    "repeated": N_("lists %(values)s more than once"),
    "repeated_site": N_(
        "lists the site %(values)s more than once (case and surrounding spaces do not make another site)"
    ),
    "duplicate_id": N_("'%(id)s' is already used by groups[%(first)s]"),
    "country_form": N_("must be a two-letter country code such as SE"),
    "country_no": N_('must be a two-letter country code: YAML reads a bare NO as false, write "NO"'),
    "month_entry": N_(
        "must be a month written MM (every year, such as 07) or YYYY-MM (that month only, such as 2027-12)"
    ),
    "every_month": N_("names every month of the year: no phase could start"),
    "division_platforms": N_("must name exactly the group's platforms"),
    "division_locations": N_("must name exactly the group's sites"),
    "division_missing": N_("%(names)s missing"),
    "division_extra": N_("%(names)s not among them"),
    "percent": N_("is a percentage: at most 100, not %(value)s"),
    "day_form": N_("must be a date written YYYY-MM-DD"),
    "day_exists": N_("is not a date of the calendar"),
}


# Error types raised by our own validators (PydanticCustomError); their texts are above.
_CUSTOM = frozenset(
    {
        "month_form",
        "blank",
        "control",
        "repeated",
        "duplicate_id",
        "country_form",
        "country_no",
        "month_entry",
        "repeated_site",
        "every_month",
        "day_form",
        "day_exists",
    }
)

_EMBEDDED_PATH = re.compile(r"^([A-Za-z_][\w.\[\]]*): (.+)$", re.S)


def text(key: str, language: Language, **values: object) -> str:
    return gettext(_TEXTS[key], language, **values)


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
    if kind == "percent":  # a number of a mapping, by its name (gate_thresholds.feedback)
        return Problem(f"{path}.{ctx['code']}", text(kind, language, value=ctx["value"]))
    if kind in ("division_names", "division_sum"):
        return Problem(path, _division(kind, ctx, language))
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
        if value is None:  # a choice not made yet: a draft keeps it as null, which no plan accepts
            return Problem(path, text("not_chosen", language))
        if loc and loc[-1] == "version":
            return Problem(path, text("version", language))
        message = text("one_of", language, values=", ".join(choices))
        return Problem(path, message + did_you_mean(value, choices, language))
    if kind == "string_pattern_mismatch":
        key = {"id": "id_form", "name": "blank"}.get(str(loc[-1]) if loc else "", "form")
        return Problem(path, text(key, language))
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        if n == 1:
            return Problem(path, text("not_empty", language))
        return Problem(
            path,
            ngettext(
                "must be at least %(num)d character", "must be at least %(num)d characters", n, language
            ),
        )
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
        problems.append(
            Problem(
                "",
                ngettext(
                    "and %(num)d more problem, not shown: fix these first",
                    "and %(num)d more problems, not shown: fix these first",
                    more,
                    language,
                ),
            )
        )
    return problems


def _division(kind: str, ctx: Mapping[str, Any], language: Language) -> str:
    """How a division of a group's devices or users fails: which names, or which sums."""
    if kind == "division_names":
        parts = [text(f"division_{ctx['field']}", language)]
        parts += [text(f"division_{k}", language, names=ctx[k]) for k in ("missing", "extra") if ctx[k]]
        return ": ".join(parts[:2]) + "".join(f"; {part}" for part in parts[2:])
    total, expected, what = ctx["total"], ctx["expected"], ctx["what"]
    if what == "users":
        has = ngettext("the group has %(num)d user", "the group has %(num)d users", expected, language)
    elif what == "devices":
        has = ngettext("the group has %(num)d device", "the group has %(num)d devices", expected, language)
    else:  # devices left empty: one per user
        has = ngettext(
            "the group has %(num)d device (one per user)",
            "the group has %(num)d devices (one per user)",
            expected,
            language,
        )
    return gettext("adds up to %(total)s, but %(has)s", language, total=total, has=has)


def _simple(kind: str, ctx: Mapping[str, Any], language: Language) -> str | None:
    if kind == "string_too_long":
        return ngettext(
            "must be at most %(num)d character",
            "must be at most %(num)d characters",
            ctx["max_length"],
            language,
        )
    if kind == "too_short":
        return ngettext(
            "must have at least %(num)d item", "must have at least %(num)d items", ctx["min_length"], language
        )
    if kind == "too_long":
        return ngettext(
            "must have at most %(num)d item", "must have at most %(num)d items", ctx["max_length"], language
        )
    simple = {
        "missing": ("missing", {}),
        "int_type": ("whole_number", {}),
        "int_parsing": ("whole_number", {}),
        "int_from_float": ("whole_number", {}),
        "bool_type": ("boolean", {}),
        "bool_parsing": ("boolean", {}),
        "string_type": ("text", {}),
        "greater_than_equal": ("at_least", {"n": ctx.get("ge")}),
        "greater_than": ("more_than", {"n": ctx.get("gt")}),
        "less_than_equal": ("at_most", {"n": ctx.get("le")}),
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
