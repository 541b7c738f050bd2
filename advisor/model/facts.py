"""The assessment file (contract 1): pydantic models, loading, and the facts rules see."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from advisor.model.documents import DocumentProblem, load_json
from advisor.model.errors import InputError, Problem
from advisor.model.messages import describe_errors, text
from advisor.model.vocabulary import PLATFORMS, REQUIREMENTS, Language
from advisor.model.yamlsource import load_yaml

Level = Literal["low", "medium", "high"]
Platform = Literal["windows", "macos", "ios", "android"]
Requirement = Literal["email", "apps", "wifi_vpn", "certificates", "compliance", "shared_devices"]


def _integral(value: Any) -> Any:
    """JSON has one number type: 250.0 is the whole number 250 (JSON Schema agrees). Text and
    booleans stay refused by the strict check that follows."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def count(minimum: int, maximum: int) -> Any:
    """A whole number in [minimum, maximum]. The Field comes before the validator: in the other
    order pydantic writes `ge`/`le`, which JSON Schema does not know, instead of minimum/maximum."""
    return Annotated[int, Field(strict=True, ge=minimum, le=maximum), BeforeValidator(_integral)]


MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# Free text (names, departments, locations, titles) holds no control character (C0, DEL, C1:
# they break XLSX files and terminals) and one character that is whitespace neither to Python nor
# to JSON Schema (ECMA-262): the two disagree on some (U+0085, U+001C-U+001F), so the classes list
# both sets explicitly and avoid `.` and `\s`. Python's `$` also matches before a final newline,
# hence `(?!\n)`. Pydantic's regex engine has no look-ahead, so the validator below applies the
# pattern with Python's `re`, as schema readers do: one pattern for the schema and the validator.
_CONTROL = r"\u0000-\u001f\u007f-\u009f"
_SPACE = r" \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
TEXT = rf"^[^{_CONTROL}]*[^{_CONTROL}{_SPACE}][^{_CONTROL}]*$(?!\n)"
_TEXT = re.compile(TEXT)
_CONTROL_CHARACTER = re.compile(f"[{_CONTROL}]")


def control_character(value: str) -> str | None:
    """The first control character of `value` as `U+001B`, or None if it has none."""
    found = _CONTROL_CHARACTER.search(value)
    return None if found is None else f"U+{ord(found.group()):04X}"


def _free_text(value: Any) -> Any:
    """Refuses text that does not fit TEXT, saying why: which control character, or blank."""
    if isinstance(value, str) and value and not _TEXT.search(value):
        code = control_character(value)
        if code:
            raise PydanticCustomError(
                "control", "must not contain control characters ({code})", {"code": code}
            )
        raise PydanticCustomError("blank", "must not be blank")
    return value


# The Field comes before the validator (see `count`); the validator runs first.
FreeText = Annotated[
    str,
    Field(min_length=1, max_length=200, json_schema_extra={"pattern": TEXT}),
    BeforeValidator(_free_text),
]
MAX_GROUPS = 1000


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Organisation(_Frozen):
    # The patterns put in the JSON Schema what the validators say in plain words.
    name: Annotated[FreeText, Field(examples=["Contoso"])]
    rollout_start: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2027-07"])]
    language: Language = "en"
    support_capacity: count(1, 100_000_000) | None = None  # type: ignore[valid-type]  # count() builds the Annotated type at run time; mypy reads only written types
    split_by: Literal["auto", "department", "geography", "platform"] = "auto"

    @field_validator("rollout_start", mode="before")
    @classmethod
    def _month(cls, value: Any) -> Any:
        if not isinstance(value, str) or not MONTH.match(value):
            raise PydanticCustomError("month_form", "must be a month written YYYY-MM")
        return value


class Group(_Frozen):
    id: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,64}$")]
    name: Annotated[FreeText, Field(examples=["Sales"])]
    department: FreeText | None = None
    users: count(1, 10_000_000)  # type: ignore[valid-type]  # count() builds the Annotated type at run time; mypy reads only written types
    devices: count(0, 100_000_000) | None = None  # type: ignore[valid-type]  # count() builds the Annotated type at run time; mypy reads only written types
    platforms: Annotated[
        list[Platform],
        # Distinct values: the longest list holds each once (an unbounded list made 82 MB of errors).
        Field(min_length=1, max_length=len(PLATFORMS), json_schema_extra={"uniqueItems": True}),
    ]
    ownership: Literal["corporate", "personal", "mixed"] = "corporate"
    locations: Annotated[
        list[FreeText],
        Field(max_length=200, json_schema_extra={"uniqueItems": True}),
    ] = []
    it_department: StrictBool = False
    executives: StrictBool = False
    change_readiness: Level = "medium"
    feedback: StrictBool = False
    needs_help: Level = "medium"
    business_risk: Level = "medium"
    requirements: Annotated[
        list[Requirement], Field(max_length=len(REQUIREMENTS), json_schema_extra={"uniqueItems": True})
    ] = []

    @field_validator("platforms", "requirements", "locations")
    @classmethod
    def _no_repeats(cls, values: list[str]) -> list[str]:
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise PydanticCustomError(
                "repeated", "lists {values} more than once", {"values": ", ".join(repeated)}
            )
        return values

    @property
    def department_name(self) -> str:
        return self.department or self.name

    @property
    def device_count(self) -> int:
        count: int = self.users if self.devices is None else self.devices
        return count


class Assessment(_Frozen):
    version: Literal[1]
    organisation: Organisation
    groups: Annotated[list[Group], Field(min_length=1, max_length=MAX_GROUPS)]

    @model_validator(mode="after")
    def _unique_ids(self) -> Assessment:
        for index, (group_id, first) in duplicate_ids([g.id for g in self.groups]):
            raise PydanticCustomError(
                "duplicate_id",
                "groups[{index}].id: '{id}' is already used by groups[{first}]",
                {"index": index, "id": group_id, "first": first},
            )
        return self


def duplicate_ids(ids: list[object]) -> list[tuple[int, tuple[str, int]]]:
    """(index, (id, index of first use)) for every id used before; non-text ids are skipped."""
    first: dict[str, int] = {}
    repeats = []
    for index, group_id in enumerate(ids):
        if not isinstance(group_id, str):
            continue
        if group_id in first:
            repeats.append((index, (group_id, first[group_id])))
        else:
            first[group_id] = index
    return repeats


KNOWN_FIELDS: dict[str, tuple[str, ...]] = {
    "": tuple(Assessment.model_fields),
    "organisation": tuple(Organisation.model_fields),
    "groups": tuple(Group.model_fields),
}


def parse_assessment(data: Any, source: str = "assessment", language: Language = "en") -> Assessment:
    """Validate already-parsed data; every problem is reported at once, by path."""
    try:
        return Assessment.model_validate(data)
    except ValidationError as exc:
        errors = (err for err in exc.errors(include_url=False) if err["type"] != "duplicate_id")
        problems = describe_errors(errors, language, KNOWN_FIELDS)
        # Pydantic skips model checks when a field failed; name repeated ids all the same.
        groups = data.get("groups") if isinstance(data, dict) else None
        if isinstance(groups, list):
            ids = [g.get("id") if isinstance(g, dict) else None for g in groups]
            for index, (group_id, first) in duplicate_ids(ids):
                problems.append(
                    Problem(
                        f"groups[{index}].id",
                        text("duplicate_id", language, id=group_id, first=first),
                    )
                )
        raise InputError(source, problems) from None


def load_assessment(path: Path | str, language: Language = "en") -> Assessment:
    """Read an assessment from a YAML or JSON file and validate it whole."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), [Problem("", f"cannot read the file: {exc.strerror}")]) from None
    return loads_assessment(raw, str(path), language)


def loads_assessment(raw: bytes | str, source: str, language: Language = "en") -> Assessment:
    """Parse and validate YAML or JSON text."""
    return parse_assessment(load_document(raw, source), source, language)


def load_document(raw: bytes | str, source: str) -> dict[str, Any]:
    """YAML or JSON text as plain data (JSON is YAML, but a JSON error message reads better)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise InputError(source, [Problem("", "the file is not UTF-8 text")]) from None
    data: Any
    try:
        data = load_json(text) if text.lstrip().startswith("{") else load_yaml(text)[0]
    except DocumentProblem as exc:  # both parsers bound nesting and number length alike
        where = f"line {exc.line}: " if exc.line else ""
        raise InputError(source, [Problem("", where + exc.message)]) from None
    if not isinstance(data, dict):
        raise InputError(
            source,
            [Problem("", "the file must hold a mapping with version, organisation and groups")],
        )
    return data


FactValue = int | bool | str | frozenset[str]


def group_facts(group: Group) -> dict[str, FactValue]:
    """The facts the group and placement stages see for one group (derived counts included)."""
    return {
        "users": group.users,
        "devices": group.device_count,
        "device_ratio_percent": group.device_count * 100 // group.users,
        "platforms": frozenset(group.platforms),
        "platform_count": len(group.platforms),
        "ownership": group.ownership,
        "site_count": len(group.locations),
        "it_department": group.it_department,
        "executives": group.executives,
        "change_readiness": group.change_readiness,
        "feedback": group.feedback,
        "needs_help": group.needs_help,
        "business_risk": group.business_risk,
        "requirements": frozenset(group.requirements),
    }
