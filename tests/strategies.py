"""Hypothesis strategies: random valid assessments and random rule conditions."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from advisor.model.vocabulary import LEVELS, OWNERSHIP, PLATFORMS, REQUIREMENTS

SITES = ["Stockholm", "Oslo", "Lund", "Umeå", "Bergen"]


@st.composite
def groups(draw: st.DrawFn, index: int) -> dict[str, Any]:
    users = draw(st.one_of(st.integers(1, 120), st.integers(1, 6000)))
    return {
        "id": f"g{index}",
        "name": draw(st.sampled_from(["IT", "Sales", "HR", "Retail", "Finance"])) + f" {index}",
        "department": draw(st.sampled_from(["IT", "Sales", "HR", "Retail", "Finance"])),
        "users": users,
        "devices": draw(st.one_of(st.none(), st.integers(0, users * 4))),
        "platforms": draw(st.lists(st.sampled_from(PLATFORMS), min_size=1, max_size=4, unique=True)),
        "ownership": draw(st.sampled_from(OWNERSHIP)),
        "locations": draw(st.lists(st.sampled_from(SITES), max_size=3, unique=True)),
        "it_department": draw(st.booleans()),
        "executives": draw(st.booleans()),
        "change_readiness": draw(st.sampled_from(LEVELS)),
        "feedback": draw(st.booleans()),
        "needs_help": draw(st.sampled_from(LEVELS)),
        "business_risk": draw(st.sampled_from(LEVELS)),
        "requirements": draw(st.lists(st.sampled_from(REQUIREMENTS), max_size=4, unique=True)),
    }


@st.composite
def assessments(draw: st.DrawFn, max_groups: int = 8) -> dict[str, Any]:
    count = draw(st.integers(1, max_groups))
    organisation: dict[str, Any] = {
        "name": "Random",
        "rollout_start": f"{draw(st.integers(2026, 2030))}-{draw(st.integers(1, 12)):02d}",
        "split_by": draw(st.sampled_from(["auto", "auto", "department", "geography", "platform"])),
    }
    if draw(st.booleans()):
        organisation["support_capacity"] = draw(st.integers(1, 5000))
    return {
        "version": 1,
        "organisation": organisation,
        "groups": [draw(groups(i)) for i in range(count)],
    }
