"""One source for the answers: the assessment model's fields. The facts rules may name, the
questionnaire, the JSON Schema's choices and the test strategies are derived from them, and a new
answer is one field (these tests fail when a field lacks its question or its fact)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from hypothesis import given
from pydantic import StrictBool

from advisor.model.facts import (
    DERIVED_GROUP_FACTS,
    GROUP_FACTS,
    NOT_ASKED,
    NOT_FACTS,
    Assessment,
    Group,
    Organisation,
    facts_of,
    group_facts,
)
from advisor.model.i18n import N_
from advisor.model.questionnaire import GROUP, ORGANISATION, questions_of
from advisor.model.vocabulary import Ask, Fact
from tests.strategies import groups


def _meta(model: Any, name: str, kind: type) -> Any:
    return next((m for m in model.model_fields[name].metadata if isinstance(m, kind)), None)


def test_every_answer_is_asked_or_says_why_not() -> None:
    for model in (Organisation, Group):
        for name in model.model_fields:
            assert (_meta(model, name, Ask) is None) == (name in NOT_ASKED), f"{model.__name__}.{name}"
    assert [q.name for q in ORGANISATION] == [n for n in Organisation.model_fields if n not in NOT_ASKED]
    assert [q.name for q in GROUP] == [n for n in Group.model_fields if n not in NOT_ASKED]


def test_every_group_answer_is_a_fact_or_says_why_not() -> None:
    for name in Group.model_fields:
        assert (_meta(Group, name, Fact) is None) == (name in NOT_FACTS), name
        assert (name in GROUP_FACTS) == (name not in NOT_FACTS), name
    assert set(NOT_FACTS) <= set(Group.model_fields)  # no reason kept for a field that is gone


def test_the_facts_of_a_group_are_the_declared_ones_with_values_of_their_kind() -> None:
    group = Group(
        id="g", name="G", users=10, devices=None, platforms=["ios", "android"], locations=["A", "B"]
    )
    facts = group_facts(group)
    assert list(facts) == list(GROUP_FACTS)
    assert facts["devices"] == 10  # empty means one per user
    assert facts["device_ratio_percent"] == 100
    assert facts["platforms"] == frozenset({"ios", "android"})
    assert (facts["platform_count"], facts["site_count"]) == (2, 2)
    for name, spec in GROUP_FACTS.items():
        value = facts[name]
        if spec.kind == "bool":
            assert isinstance(value, bool)
        elif spec.kind == "int":
            assert isinstance(value, int)
            assert not isinstance(value, bool)
        elif spec.kind == "enum":
            assert value in spec.values
        else:
            assert isinstance(value, frozenset)
            assert value <= set(spec.values)
    assert {d.spec.name for d in DERIVED_GROUP_FACTS} <= set(GROUP_FACTS)


def test_a_choice_offers_exactly_what_the_contract_accepts() -> None:
    """The questionnaire's choices and the JSON Schema's enums come from one Literal per answer."""
    schema = Assessment.model_json_schema()
    for model, questions in (("Organisation", ORGANISATION), ("Group", GROUP)):
        properties = schema["$defs"][model]["properties"]
        for question in questions:
            if question.kind not in ("choice", "multi"):
                continue
            node = properties[question.name]
            node = node.get("items", node)
            assert tuple(node["enum"]) == question.choices, question.name


class _Extended(Group):
    """A group model with two new answers, each written once."""

    shift_workers: Annotated[
        StrictBool,
        Ask(N_("Shift workers"), N_("Why it matters.")),
        Fact(N_("shift workers")),
    ] = False
    connectivity: Annotated[
        Literal["office", "remote", "offline"],
        Ask(N_("Connectivity"), N_("Why it matters."), point=5),
        Fact(N_("connectivity")),
    ] = "office"


def test_a_new_answer_is_one_field() -> None:
    specs = facts_of(_Extended)
    assert (specs["shift_workers"].kind, specs["shift_workers"].label("en")) == ("bool", "shift workers")
    assert (specs["connectivity"].kind, specs["connectivity"].values) == (
        "enum",
        ("office", "remote", "offline"),
    )
    asked = {q.name: q for q in questions_of(_Extended)}
    assert asked["shift_workers"].kind == "bool"
    assert (asked["connectivity"].kind, asked["connectivity"].choices) == (
        "choice",
        ("office", "remote", "offline"),
    )
    assert asked["connectivity"].point_label("en").startswith("Discussion point 5 of 6")


@given(groups(0))
def test_the_strategies_answer_every_question(group: dict[str, Any]) -> None:
    assert set(group) == set(Group.model_fields)
    Group.model_validate(group)
