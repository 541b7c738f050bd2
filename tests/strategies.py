"""Hypothesis strategies: random valid assessments and random rule conditions."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from advisor.model.questionnaire import GROUP, Question
from advisor.model.vocabulary import SPLIT_CHOICES

SITES = ["Stockholm", "Oslo", "Lund", "Umeå", "Bergen"]
NAMES = ["IT", "Sales", "HR", "Retail", "Finance"]


def _answer(question: Question) -> st.SearchStrategy[Any]:
    """Any valid answer to a question, from its kind and choices: a new answer is drawn without a
    change here."""
    if question.kind == "bool":
        return st.booleans()
    if question.kind == "choice":
        return st.sampled_from(question.choices)
    if question.kind == "multi":
        size = len(question.choices)
        return st.lists(
            st.sampled_from(question.choices), min_size=int(question.required), max_size=size, unique=True
        )
    if question.kind == "int":
        return st.integers(0 if not question.required else 1, 10_000)
    if question.kind == "months":
        return st.lists(st.sampled_from([*MONTHS, "2027-12"]), max_size=2, unique=True)
    if question.kind == "counts":  # depends on other answers: drawn in `groups` below
        return st.none()
    raise AssertionError(
        f"no strategy for a {question.kind} question ({question.name}): add one to OVERRIDES"
    )


@st.composite
def groups(draw: st.DrawFn, index: int) -> dict[str, Any]:
    users = draw(st.one_of(st.integers(1, 120), st.integers(1, 6000)))
    # The answers whose useful values depend on another answer, or that are free text.
    overrides: dict[str, Any] = {
        "name": draw(st.sampled_from(NAMES)) + f" {index}",
        "department": draw(st.sampled_from(NAMES)),
        "users": users,
        "devices": draw(st.one_of(st.none(), st.integers(0, users * 4))),
        "locations": draw(st.lists(st.sampled_from(SITES), max_size=3, unique=True)),
        "personal_percent": draw(st.one_of(st.none(), st.integers(0, 100))),
    }
    group: dict[str, Any] = {"id": f"g{index}"}
    for question in GROUP:
        group[question.name] = (
            overrides[question.name] if question.name in overrides else draw(_answer(question))
        )
    # The answers that refine others: how the devices divide over the platforms and the users over
    # the sites (else evenly), and the group's own months to avoid.
    devices = users if group["devices"] is None else group["devices"]
    group["devices_by_platform"] = (
        draw(_divided(devices, group["platforms"])) if draw(st.booleans()) else None
    )
    group["users_by_location"] = (
        draw(_divided(users, group["locations"])) if group["locations"] and draw(st.booleans()) else None
    )
    group["avoid_months"] = draw(st.lists(st.sampled_from(MONTHS), max_size=2, unique=True))
    # What a directory import keeps for measuring progress (the plan does not weigh it).
    group["departments"] = draw(st.lists(st.sampled_from(NAMES), max_size=3, unique=True))
    group["other_departments"] = draw(st.booleans())
    group["executive_titles"] = draw(st.lists(st.sampled_from(["CEO", "CFO", "VD"]), max_size=2, unique=True))
    return group


MONTHS = [f"{m:02d}" for m in range(1, 13)]


@st.composite
def _divided(draw: st.DrawFn, total: int, keys: list[str]) -> dict[str, int]:
    """`total` divided over `keys` at random, adding up."""
    cuts = sorted(draw(st.lists(st.integers(0, total), min_size=len(keys) - 1, max_size=len(keys) - 1)))
    bounds = [0, *cuts, total]
    return {key: bounds[i + 1] - bounds[i] for i, key in enumerate(keys)}


@st.composite
def assessments(draw: st.DrawFn, max_groups: int = 8) -> dict[str, Any]:
    count = draw(st.integers(1, max_groups))
    organisation: dict[str, Any] = {
        "name": "Random",
        "rollout_start": f"{draw(st.integers(2026, 2030))}-{draw(st.integers(1, 12)):02d}",
        "split_by": draw(st.sampled_from(["auto", *SPLIT_CHOICES])),
    }
    if draw(st.booleans()):
        organisation["support_capacity"] = draw(st.integers(1, 5000))
    organisation["language"] = draw(st.sampled_from(["en", "sv"]))
    if draw(st.booleans()):
        organisation["country"] = draw(st.sampled_from(["SE", "NO", "US", "DE"]))
    if draw(st.booleans()):
        organisation["quiet_months"] = draw(st.lists(st.sampled_from(MONTHS), max_size=3, unique=True))
    return {
        "version": 1,
        "organisation": organisation,
        "groups": [draw(groups(i)) for i in range(count)],
    }
