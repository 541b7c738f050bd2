"""Pydantic models of a rule file: what an admin may write, and nothing else."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, StrictBool, StrictInt, Tag
from pydantic_core import PydanticCustomError

from advisor.model.vocabulary import VERDICTS, Provenance, Stage, Verdict

Op = Literal["eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "contains", "not_contains"]
# A number in a condition: far beyond any fact's range, yet always a small integer to convert.
Number = Annotated[StrictInt, Field(ge=-(10**12), le=10**12)]
Scalar = StrictBool | Number | str
RULE_ID = r"^[a-z0-9][a-z0-9-]{0,63}$"
NAME = r"^[a-z][a-z0-9_]{0,63}$"
# The priority of a rule that names none.
DEFAULT_PRIORITY = 0


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


# Control characters other than tab and line breaks: a rule's text reaches pages and exports as
# written, so it may hold none (the answers' free text holds none at all).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _no_control_characters(value: str) -> str:
    found = _CONTROL.search(value)
    if found is not None:
        code = f"U+{ord(found.group()):04X}"
        raise PydanticCustomError("control", "must not contain control characters ({code})", {"code": code})
    return value


RuleText = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_no_control_characters)]


class Texts(_Strict):
    """A text in both languages of the product."""

    en: RuleText
    sv: RuleText


# A parameter's value: a whole number (a threshold rules compare facts with), a list of short texts
# (an order, say) or a table from a short key to such a list (values by country, say). Lists and
# tables are for the planner; conditions and reasons use numbers.
ShortText = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_no_control_characters)]
NumberValue = Annotated[StrictInt, Field(ge=0, le=10_000_000)]
ListValue = Annotated[list[ShortText], Field(max_length=100)]
TableValue = Annotated[dict[ShortText, ListValue], Field(max_length=300)]


def _value_kind(data: Any) -> str | None:
    if isinstance(data, int):
        return "<number>"  # a bool too: StrictInt refuses it with its own message
    if isinstance(data, list):
        return "<list>"
    if isinstance(data, dict):
        return "<table>"
    return None


ParameterValue = Annotated[
    Union[  # noqa: UP007 - pydantic's Tag needs the Union spelled out
        Annotated[NumberValue, Tag("<number>")],
        Annotated[ListValue, Tag("<list>")],
        Annotated[TableValue, Tag("<table>")],
    ],
    Discriminator(
        _value_kind,
        custom_error_type="parameter_value",
        custom_error_message="a parameter's value is a whole number, a list of texts or a table of lists",
    ),
]


class Parameter(_Strict):
    """A named value: rules and the planner refer to it by name."""

    value: ParameterValue
    description: Texts
    provenance: Provenance  # a threshold of our own is beyond_guide, and so is every rule using it
    # The page it follows (current_practice: Microsoft's; our judgement: the page it extends).
    source: Annotated[str, Field(min_length=1, max_length=500)] | None = None


class Leaf(_Strict):
    """One comparison of a fact with a value or with a named parameter."""

    fact: Annotated[str, Field(min_length=1, max_length=64)]
    op: Op
    value: Scalar | list[Scalar] | None = None
    param: Annotated[str, Field(pattern=NAME)] | None = None


class AllOf(_Strict):
    all: Annotated[list[Condition], Field(max_length=50)]


class AnyOf(_Strict):
    any: Annotated[list[Condition], Field(min_length=1, max_length=50)]


class NotOf(_Strict):
    not_: Condition = Field(alias="not")


def _condition_kind(data: Any) -> str | None:
    if isinstance(data, BaseModel):
        data = data.model_dump(by_alias=True)
    if not isinstance(data, dict):
        return None
    for key in ("all", "any", "not"):
        if key in data:
            return f"<{key}>"
    return "<leaf>" if "fact" in data or "op" in data else None


Condition = Annotated[
    Union[  # noqa: UP007 - pydantic's Tag needs the Union spelled out
        Annotated[Leaf, Tag("<leaf>")],
        Annotated[AllOf, Tag("<all>")],
        Annotated[AnyOf, Tag("<any>")],
        Annotated[NotOf, Tag("<not>")],
    ],
    Discriminator(
        _condition_kind,
        custom_error_type="condition_form",
        custom_error_message="a condition is all, any, not, or fact with op",
    ),
]


def leaves(node: Condition | None) -> list[Leaf]:
    """Every comparison in a condition, in the order written."""
    if node is None:
        return []
    if isinstance(node, Leaf):
        return [node]
    if isinstance(node, NotOf):
        return leaves(node.not_)
    children = node.all if isinstance(node, AllOf) else node.any
    return [leaf for child in children for leaf in leaves(child)]


class Rule(_Strict):
    """One recommendation of the guide: when it applies, what it decides and why."""

    id: Annotated[str, Field(pattern=RULE_ID)]
    decides: Annotated[str, Field(min_length=1, max_length=64)]
    value: Annotated[str, Field(min_length=1, max_length=64)]
    priority: Annotated[StrictInt, Field(ge=0, le=1000)] = DEFAULT_PRIORITY
    severity: Literal["warning", "tension", "info"] | None = None
    when: Condition | None = None
    reason: Texts
    source: Annotated[str, Field(min_length=1, max_length=500)]
    provenance: Provenance
    # What the reason says about the group (early or late, in or out of a pilot): the lint refuses
    # two rules with opposite verdicts that can both speak in one group's rationale.
    verdicts: Annotated[
        list[Verdict], Field(max_length=len(VERDICTS), json_schema_extra={"uniqueItems": True})
    ] = []


class RuleFile(_Strict):
    """A rule file: the stage its rules run at, named parameters, and the rules."""

    stage: Stage | None = None
    description: Texts | None = None
    parameters: dict[Annotated[str, Field(pattern=NAME)], Parameter] = {}
    rules: list[Rule] = []


for _model in (AllOf, AnyOf, NotOf, Rule, RuleFile):
    _model.model_rebuild()
