"""The assessment file (contract 1): pydantic models, loading, and the facts rules see."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from advisor.model.documents import DocumentProblem, load_json
from advisor.model.errors import InputError, Problem
from advisor.model.i18n import N_, gettext
from advisor.model.messages import describe_errors, text
from advisor.model.vocabulary import (
    CRITERIA,
    METHOD_ONLY_FACTS,
    ORGANISATION_FACTS,
    PLACEMENT_ONLY_FACTS,
    PLATFORMS,
    REQUIREMENTS,
    Ask,
    Criterion,
    DeviceState,
    Fact,
    FactKind,
    FactSpec,
    Language,
    Level,
    MessageKind,
    Outcome,
    Ownership,
    PersonalUse,
    PhaseKind,
    Platform,
    QuestionKind,
    Requirement,
    SplitChoice,
    Stage,
)
from advisor.model.yamlsource import load_yaml


def _integral(value: Any) -> Any:
    """JSON has one number type: 250.0 is the whole number 250 (JSON Schema agrees). Text and
    booleans stay refused by the strict check that follows."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


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
# After the bounds, so that it runs first; in the other order pydantic writes `ge`/`le`, which JSON
# Schema does not know, instead of minimum/maximum.
WHOLE = BeforeValidator(_integral)


def bounds(minimum: int, maximum: int) -> Any:
    """The Field of a whole number in [minimum, maximum]; put WHOLE after it."""
    return Field(strict=True, ge=minimum, le=maximum)


# A country: an ISO 3166-1 alpha-2 code. Written in any case, with spaces (and tabs or line breaks)
# around it; kept in upper case. The schema's pattern states what the validator accepts.
_AROUND = "[ \t\r\n]*"
COUNTRY = f"^{_AROUND}[A-Za-z]{{2}}{_AROUND}$"
_COUNTRY = re.compile(COUNTRY)


def _country(value: Any) -> Any:
    if value is False:  # YAML 1.1 reads a bare NO (Norway) as false
        raise PydanticCustomError(
            "country_no", 'must be a two-letter country code: YAML reads a bare NO as false, write "NO"'
        )
    if not isinstance(value, str) or not _COUNTRY.search(value):
        raise PydanticCustomError("country_form", "must be a two-letter country code such as SE")
    return value.strip(" \t\r\n").upper()


# A month to keep free: `MM` is that month every year, `YYYY-MM` that month only.
MONTH_ENTRY = r"^(0[1-9]|1[0-2]|\d{4}-(0[1-9]|1[0-2]))$"
_MONTH_ENTRY = re.compile(MONTH_ENTRY)


def _month_entry(value: Any) -> Any:
    if not isinstance(value, str) or not _MONTH_ENTRY.fullmatch(value):
        raise PydanticCustomError(
            "month_entry", "must be a month written MM (every year) or YYYY-MM (that month only)"
        )
    return value


def _distinct_months(values: list[str] | None) -> list[str] | None:
    if values is not None:
        _refuse_repeats(values)
        if len({v for v in values if len(v) == 2}) == 12:
            raise PydanticCustomError("every_month", "names every month of the year: no phase could start")
    return values


CountryCode = Annotated[
    str, Field(examples=["SE"], json_schema_extra={"pattern": COUNTRY}), BeforeValidator(_country)
]
MonthEntry = Annotated[
    str,
    Field(examples=["07", "2027-12"], json_schema_extra={"pattern": MONTH_ENTRY}),
    BeforeValidator(_month_entry),
]
# Months in which nothing starts: each written once (at most two years' worth, named one by one).
Months = Annotated[
    list[MonthEntry],
    Field(max_length=24, json_schema_extra={"uniqueItems": True}),
    AfterValidator(_distinct_months),
]


@lru_cache(maxsize=4096)
def site_key(name: str) -> str:
    """What makes two site names one site: case and surrounding spaces do not count. (Remembered:
    a geography split compares each site name many times.)"""
    return name.strip().casefold()


def _refuse_repeats(values: list[str], key: Callable[[str], str] = str) -> None:
    """Refuses a list that holds a value (as `key` sees it) more than once, naming each as written."""
    seen: dict[str, str] = {}
    repeated: list[str] = []
    for value in values:
        k = key(value)
        if k in seen and seen[k] not in repeated:
            repeated.append(seen[k])
        seen.setdefault(k, value)
    if repeated and key is site_key:
        raise PydanticCustomError(
            "repeated_site",
            "lists the site {values} more than once (case and surrounding spaces do not make another site)",
            {"values": ", ".join(sorted(repeated))},
        )
    if repeated:
        raise PydanticCustomError(
            "repeated", "lists {values} more than once", {"values": ", ".join(sorted(repeated))}
        )


# Users by site: names as in `locations`, each with a whole number. Written out because pydantic
# would put the name's pattern in patternProperties, which leaves other names unchecked.
SiteCounts = Annotated[
    dict[FreeText, Annotated[int, bounds(0, 10_000_000), WHOLE]],
    Field(max_length=200),
    WithJsonSchema(
        {
            "type": "object",
            "maxProperties": 200,
            "propertyNames": {"minLength": 1, "maxLength": 200, "pattern": TEXT},
            "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 10_000_000},
        }
    ),
]


def _refuse_other_keys(
    value: dict[str, int], expected: list[str], field: str, key: Callable[[str], str] = str
) -> None:
    """Refuses a division whose names are not exactly `expected` (the group's `field`)."""
    given = {key(name) for name in value}
    wanted = {key(name) for name in expected}
    missing = [name for name in expected if key(name) not in given]
    extra = [name for name in value if key(name) not in wanted]
    if missing or extra:
        raise PydanticCustomError(
            "division_names",
            "must name exactly the group's {field}",
            {"field": field, "missing": ", ".join(missing), "extra": ", ".join(extra)},
        )


def _refuse_other_sum(value: dict[str, int], expected: int, what: str) -> None:
    """Refuses a division whose numbers do not add up to the group's `expected` total."""
    total = sum(value.values())
    if total != expected:
        raise PydanticCustomError(
            "division_sum",
            "adds up to {total}, not {expected}",
            {"total": total, "expected": expected, "what": what},
        )


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# Every answer is one field below. Its type says what is valid (and so the JSON Schema, the API and
# the questionnaire's kind of input and choices); `Ask` says how the questionnaire asks for it;
# `Fact` makes it a fact rules may name. Adding an answer is adding a field here (and its rules).


# A gate's thresholds by criterion: the two shares are percentages (at most 100), the others counts.
_PERCENT_CRITERIA = ("enrollment_success", "devices_compliant", "feedback")
GateThresholds = Annotated[
    dict[Criterion, Annotated[int, bounds(0, 10_000), WHOLE]],
    WithJsonSchema(
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                code: {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 100 if code in _PERCENT_CRITERIA else 10_000,
                }
                for code in CRITERIA
            },
        }
    ),
]


class Organisation(_Frozen):
    # The patterns put in the JSON Schema what the validators say in plain words.
    name: Annotated[
        FreeText,
        Field(examples=["Contoso"]),
        Ask(
            N_("Organisation name"),
            N_("Shown on the plan and its exports."),
        ),
    ]
    rollout_start: Annotated[
        str,
        Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2027-07"]),
        Ask(
            N_("First month of the rollout"),
            N_("The limited pilot starts this month; every later phase is counted from it."),
            kind="month",
        ),
    ]
    language: Annotated[
        Language,
        Ask(
            N_("Language of the plan"),
            N_("Every text in the plan and its exports is written in this language."),
        ),
    ] = "en"
    support_capacity: Annotated[
        int | None,
        bounds(1, 100_000_000),
        WHOLE,
        Ask(
            N_("Users the helpdesk can onboard in a month"),
            N_(
                "Limits how many users go in one month; a larger group is spread over several months. "
                "Leave empty if unknown."
            ),
            point=2,
        ),
    ] = None
    split_by: Annotated[
        SplitChoice,
        Ask(
            N_("How production phases are cut"),
            N_(
                "The guide cuts production by department, by geography or by platform; the advisor "
                "chooses from your groups unless you decide."
            ),
        ),
    ] = "auto"
    country: Annotated[
        CountryCode | None,
        Ask(
            N_("Country"),
            N_(
                "A two-letter country code, such as SE for Sweden: it decides the usual holiday months "
                "in which no phase starts. Empty means Sweden if the plan is in Swedish."
            ),
        ),
    ] = None
    # Empty (null) means the rulebook's months for the country; an empty list means none at all.
    quiet_months: Annotated[
        Months | None,
        Ask(
            N_("Months in which no phase starts"),
            N_(
                "Holidays and other months the whole organisation keeps free: 07 means every July, "
                "2027-12 only December 2027. Separate them with commas. Empty means the usual holiday "
                "months of your country."
            ),
            kind="months",
        ),
    ] = None

    support_contact: Annotated[
        FreeText | None,
        Field(examples=["IT service desk, phone 010-123 45 00, servicedesk@contoso.com"]),
        Ask(
            N_("Where users get help"),
            N_(
                "A phone number, an e-mail address or a web page: every message to the users names it. "
                "Empty means the messages leave a place to fill in."
            ),
        ),
    ] = None
    # Empty (null) means the rulebook's thresholds; a criterion left out keeps its own.
    gate_thresholds: Annotated[
        GateThresholds | None,
        Field(
            description="Exit criteria of every phase, by criterion: the enrollment success and the "
            "feedback in percent, helpdesk tickets per 100 users, blocking issues open (a count); "
            "null: the rulebook's"
        ),
        Ask(
            N_("Exit criteria of every phase, one per line"),
            N_(
                "Such as “Enrollment success rate: 98”. Each go/no-go review holds the phase's measured "
                "figures against them: enrollment success and feedback in percent (at least), helpdesk "
                "tickets per 100 users and blocking issues open (at most). Empty means the rulebook's."
            ),
            kind="counts",
            source="https://learn.microsoft.com/mem/intune/fundamentals/intune-planning-guide",
        ),
    ] = None

    @field_validator("gate_thresholds")
    @classmethod
    def _percent_at_most_100(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        for code in _PERCENT_CRITERIA:
            if value is not None and value.get(code, 0) > 100:
                raise PydanticCustomError(
                    "percent",
                    "{code} is a percentage: at most 100, not {value}",
                    {"code": code, "value": value[code]},
                )
        return value

    @field_validator("rollout_start", mode="before")
    @classmethod
    def _month(cls, value: Any) -> Any:
        if not isinstance(value, str) or not MONTH.match(value):
            raise PydanticCustomError("month_form", "must be a month written YYYY-MM")
        return value


class Group(_Frozen):
    id: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,64}$")]
    name: Annotated[
        FreeText,
        Field(examples=["Sales"]),
        Ask(
            N_("Group name"),
            N_("A targeted group from your use-case scenarios, such as a department or a user type."),
        ),
    ]
    department: Annotated[
        FreeText | None,
        Ask(
            N_("Department"),
            N_(
                "Groups of one department go in the same phase when phases are cut by department. "
                "Empty means the group name."
            ),
        ),
    ] = None
    users: Annotated[
        int,
        bounds(1, 10_000_000),
        WHOLE,
        Ask(
            N_("Number of users"),
            N_(
                "Decides the pilot split, which enrollment approach scales, and how many months the group "
                "needs."
            ),
            point=2,
        ),
        Fact(N_("number of users")),
    ]
    devices: Annotated[
        int | None,
        bounds(0, 100_000_000),
        WHOLE,
        Ask(
            N_("Number of devices"),
            N_(
                "Every device is enrolled, so many devices per user means more support time. "
                "Empty means one per user."
            ),
            point=2,
        ),
        Fact(N_("number of devices")),  # rules see `device_count`: never empty
    ] = None
    platforms: Annotated[
        list[Platform],
        # Distinct values: the longest list holds each once (an unbounded list made 82 MB of errors).
        Field(min_length=1, max_length=len(PLATFORMS), json_schema_extra={"uniqueItems": True}),
        Ask(
            N_("Device platforms"),
            N_(
                "Each platform enrolls differently; a platform that no pilot tests is a risk, and many "
                "platforms can call for phases by platform."
            ),
            point=3,
        ),
        Fact(N_("device platforms")),
    ]
    # Empty (null) means the devices divided evenly over the platforms.
    devices_by_platform: Annotated[
        dict[Platform, Annotated[int, bounds(0, 100_000_000), WHOLE]] | None,
        Field(
            description="The devices of each of the group's platforms, adding up to devices (users "
            "when devices is empty); null: divided evenly"
        ),
        Ask(
            N_("Devices per platform, one platform per line"),
            N_(
                "Such as “Windows: 120”. When phases are cut by platform, each platform's devices go in "
                "their own phase. Empty means the devices are divided evenly over the platforms."
            ),
            point=3,
            kind="counts",
        ),
    ] = None
    ownership: Annotated[
        Ownership,
        Ask(
            N_("Who owns the devices"),
            N_("Personal devices need the users' consent and different enrollment options."),
            point=3,
            explicit=True,
        ),
        Fact(N_("device ownership")),
    ] = "corporate"
    # How a mixed group's devices divide between corporate and personal ones. Empty: the rulebook's
    # assumption, which the plan states.
    personal_percent: Annotated[
        int | None,
        bounds(0, 100),
        WHOLE,
        Ask(
            N_("Share of the group's devices that are personal (percent)"),
            N_(
                "Corporate and personal devices enroll in different ways and weigh differently on the "
                "helpdesk. Empty means the plan assumes a share and says so."
            ),
            point=3,
            shown_when=(("ownership", ("mixed",)),),
        ),
    ] = None
    personal_devices: Annotated[
        PersonalUse,
        Ask(
            N_("How the users' personal devices take part"),
            N_(
                "Enrolled, the device is managed and can be checked for compliance, but users may worry "
                "about their privacy; with app protection only, the device is not enrolled and only the "
                "work apps are protected. Not known: enrolled if the group needs compliance, Wi-Fi/VPN or "
                "certificate profiles, otherwise app protection."
            ),
            point=3,
            shown_when=(("ownership", ("personal", "mixed")),),
            source="https://learn.microsoft.com/mem/intune/fundamentals/deployment-guide-enrollment",
            explicit=True,
        ),
        Fact(N_("how personal devices take part")),
    ] = "unknown"
    corporate_devices: Annotated[
        DeviceState,
        Ask(
            N_("The group's corporate devices are"),
            N_(
                "Apple automated device enrollment, Windows Autopilot and Android Enterprise's corporate "
                "modes set a device up from scratch: a device already in use must be reset (wiped) first. "
                "Not known: the plan assumes Apple devices are in use and warns about the reset."
            ),
            point=3,
            shown_when=(("ownership", ("corporate", "mixed")),),
            source="https://learn.microsoft.com/mem/intune/enrollment/device-enrollment",
            explicit=True,
        ),
        Fact(N_("state of the corporate devices")),
    ] = "unknown"
    private_use: Annotated[
        StrictBool,
        Ask(
            N_("Users may use their corporate Android phones privately too"),
            N_(
                "A corporate-owned work profile keeps a private part IT cannot see; a fully managed phone "
                "is for work only."
            ),
            point=3,
            shown_when=(("ownership", ("corporate", "mixed")), ("platforms", ("android",))),
            source="https://learn.microsoft.com/mem/intune/fundamentals/deployment-guide-platform-android",
        ),
        Fact(N_("private use of corporate phones")),
    ] = False
    locations: Annotated[
        list[FreeText],
        Field(max_length=200, json_schema_extra={"uniqueItems": True}),
        Ask(
            N_("Sites or regions, one per line"),
            N_(
                "Groups spread over many sites call for phases by geography; a group in one place can "
                "be helped at an IT tech fair."
            ),
            point=5,
        ),
    ] = []
    # Empty (null) means the users divided evenly over the sites.
    users_by_location: Annotated[
        SiteCounts | None,
        Field(
            description="The users at each of the group's locations (the names compared without "
            "regard to case and surrounding spaces), adding up to users; null: divided evenly"
        ),
        Ask(
            N_("Users per site, one site per line"),
            N_(
                "Such as “Umeå: 80”. When phases are cut by geography, each site's users go in their own "
                "phase. Empty means the users are divided evenly over the sites."
            ),
            point=5,
            kind="counts",
        ),
    ] = None
    it_department: Annotated[
        StrictBool,
        Ask(
            N_("The group is part of the IT department"),
            N_("The guide starts the rollout with IT users in the pilots."),
        ),
        Fact(
            N_("part of the IT department"),
            says=(
                ("true", N_("the group is part of the IT department")),
                ("false", N_("the group is not part of the IT department")),
            ),
        ),
    ] = False
    executives: Annotated[
        StrictBool,
        Ask(
            N_("The group consists of executives or VIP users"),
            N_("Executives are kept out of the limited pilot and get assisted enrollment."),
        ),
        Fact(
            N_("executives or VIP users"),
            says=(
                ("true", N_("the group consists of executives or VIP users")),
                ("false", N_("the group has no executives or VIP users")),
            ),
        ),
    ] = False
    # Filled by a directory import, never asked: which users of a users export are the group's
    # (the plan against what enrolled places them with these). Department names and job titles,
    # not personal data; empty for a group typed by hand (its department, else its name, is the
    # one it holds; executives then by the rulebook's job-title patterns).
    departments: Annotated[
        list[FreeText],
        Field(
            max_length=MAX_GROUPS,
            json_schema_extra={"uniqueItems": True},
            description="The directory departments whose users the group holds (a directory import "
            "fills it for a group of several departments); empty: its department, else its name",
        ),
    ] = []
    other_departments: Annotated[
        StrictBool,
        Field(
            description="The group also holds the users of every department no other group holds "
            "(the import's group of the smallest departments put together)"
        ),
    ] = False
    executive_titles: Annotated[
        list[FreeText],
        Field(
            max_length=MAX_GROUPS,
            json_schema_extra={"uniqueItems": True},
            description="The job titles the respondent confirmed as executives' in a directory "
            "import: users with one of them are the group's, whatever their department",
        ),
    ] = []
    change_readiness: Annotated[
        Level,
        Ask(
            N_("Willingness to change"),
            N_("Eager groups can go early; reluctant ones go late, when the process is proven."),
            point=1,
            explicit=True,
        ),
        Fact(
            N_("willingness to change"),
            says=(
                ("low", N_("the group is reluctant to change")),
                ("medium", N_("the group is neither eager nor reluctant to change")),
                ("high", N_("the group is eager to change")),
            ),
        ),
    ] = "medium"
    feedback: Annotated[
        StrictBool,
        Ask(
            N_("Willing to give feedback as pilot users"),
            N_("Pilot users' feedback improves the configuration, documentation and notifications."),
            point=1,
        ),
        Fact(
            N_("willing to give feedback"),
            says=(
                ("true", N_("the group is willing to give feedback")),
                ("false", N_("the group has not said it will give feedback")),
            ),
        ),
    ] = False
    needs_help: Annotated[
        Level,
        Ask(
            N_("Help the users need to enroll"),
            N_("Decides between self-service, assisted enrollment and an IT tech fair."),
            explicit=True,
        ),
        Fact(
            N_("help needed to enroll"),
            says=(
                ("low", N_("the group needs little help to enroll")),
                ("medium", N_("the group needs some help to enroll")),
                ("high", N_("the group needs a lot of help to enroll")),
            ),
        ),
    ] = "medium"
    business_risk: Annotated[
        Level,
        Ask(
            N_("Business risk"),
            N_("What a disruption during enrollment would cost the group's work; risky groups go late."),
            point=6,
            explicit=True,
        ),
        Fact(
            N_("business risk"),
            says=(
                ("low", N_("a disruption would cost the group's work little")),
                ("medium", N_("a disruption would cost the group's work something")),
                ("high", N_("a disruption would cost the group's work dearly")),
            ),
        ),
    ] = "medium"
    requirements: Annotated[
        list[Requirement],
        Field(max_length=len(REQUIREMENTS), json_schema_extra={"uniqueItems": True}),
        Ask(
            N_("What the group needs from Intune"),
            N_(
                "The pilots should test every requirement later groups have. Groups that depend on "
                "certificate or Wi-Fi/VPN profiles wait until earlier phases have proven them; with "
                "compliance policies, Conditional Access stays in report-only mode until the group is "
                "enrolled."
            ),
            point=4,
        ),
        Fact(N_("requirements")),
    ] = []
    avoid_months: Annotated[
        Months,
        Ask(
            N_("Months to avoid for this group"),
            N_(
                "The group's own busy periods, such as year-end closing or peak season: 01 means every "
                "January, 2027-12 only December 2027. Separate them with commas."
            ),
            point=6,
            kind="months",
        ),
    ] = []

    @field_validator("platforms", "requirements", "departments", "executive_titles")
    @classmethod
    def _no_repeats(cls, values: list[str]) -> list[str]:
        _refuse_repeats(values)
        return values

    @field_validator("locations")
    @classmethod
    def _one_name_per_site(cls, values: list[str]) -> list[str]:
        _refuse_repeats(values, site_key)
        return values

    @field_validator("devices_by_platform")
    @classmethod
    def _devices_divided(cls, value: dict[str, int] | None, info: ValidationInfo) -> dict[str, int] | None:
        # Checked only against answers that are valid themselves (a wrong one is named on its own).
        if value is None or "platforms" not in info.data or "users" not in info.data:
            return value
        _refuse_other_keys(value, info.data["platforms"], "platforms")
        devices = info.data.get("devices")
        if devices is None and "devices" in info.data:
            _refuse_other_sum(value, info.data["users"], "devices_as_users")
        elif devices is not None:
            _refuse_other_sum(value, devices, "devices")
        return value

    @field_validator("users_by_location")
    @classmethod
    def _users_divided(cls, value: dict[str, int] | None, info: ValidationInfo) -> dict[str, int] | None:
        if value is None or "locations" not in info.data:
            return value
        _refuse_repeats(list(value), site_key)
        _refuse_other_keys(value, info.data["locations"], "locations", site_key)
        if "users" in info.data:
            _refuse_other_sum(value, info.data["users"], "users")
        return value

    @property
    def department_name(self) -> str:
        return self.department or self.name

    @property
    def device_count(self) -> int:
        return self.users if self.devices is None else self.devices


# Answers that are not facts of their own, and why (a test holds every other field to a Fact).
NOT_FACTS = {
    "id": "an identifier, made from the name",
    "name": "a name, not a property rules weigh",
    "department": "decides the department split, which the planner makes",
    "locations": "rules see how many there are (site_count)",
    "devices_by_platform": "the planner divides a group's devices by platform with it",
    "users_by_location": "the planner divides a group's users by site with it",
    "avoid_months": "the planner moves the group's phases out of these months",
    "personal_percent": "the planner divides a mixed group's devices with it",
    "departments": "places a users export's users in the group when progress is measured",
    "other_departments": "places a users export's users in the group when progress is measured",
    "executive_titles": "places a users export's executives in the group when progress is measured",
}
# Answers the questionnaire does not ask, and why (a test holds every other field to an Ask).
NOT_ASKED = {
    "id": "made from the group's name",
    "version": "the file format's version",
    "gate_decisions": "recorded at the gates, in the review",
    "messages": "edited on the plan's message drafts",
    "departments": "filled by a directory import, from the departments of the users it counted",
    "other_departments": "filled by a directory import, for its group of departments put together",
    "executive_titles": "filled by a directory import, from the job titles the respondent confirmed",
}


DAY = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"


def _day(value: Any) -> Any:
    """A calendar date written YYYY-MM-DD that exists (not 2027-02-30)."""
    if type(value) is date:  # YAML reads an unquoted 2027-08-27 as a date
        value = value.isoformat()
    if not isinstance(value, str) or not re.fullmatch(DAY, value):
        raise PydanticCustomError("day_form", "must be a date written YYYY-MM-DD")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("day_exists", "is not a date of the calendar") from None
    return value


Day = Annotated[
    str, Field(examples=["2027-08-27"], json_schema_extra={"pattern": DAY}), BeforeValidator(_day)
]
# A note or a message: several lines allowed (line breaks and tabs), no other control character.
_LONG_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]")


def _long_text(value: Any) -> Any:
    if isinstance(value, str) and (found := _LONG_CONTROL.search(value)):
        raise PydanticCustomError(
            "control", "must not contain control characters ({code})", {"code": f"U+{ord(found.group()):04X}"}
        )
    return value


LONG_TEXT = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"


def long_text(maximum: int) -> Any:
    """Text of up to `maximum` characters over several lines; the schema's pattern says what the
    validator refuses."""
    return Annotated[
        str, Field(max_length=maximum, json_schema_extra={"pattern": LONG_TEXT}), BeforeValidator(_long_text)
    ]


class PhaseIn(_Frozen):
    """A phase of the plan: its kind, and its number for a production phase."""

    phase: PhaseKind
    number: Annotated[int | None, bounds(1, 1000), WHOLE] = None


class GateDecisionIn(_Frozen):
    """A go/no-go decision recorded at the gate after a phase: who took it, when, and why."""

    after: PhaseIn
    outcome: Outcome
    by: FreeText
    date: Day  # the day it was taken (not `on`, which YAML reads as true)
    note: long_text(2000) = ""  # type: ignore[valid-type]


class MessageEdit(_Frozen):
    """A message draft as the organisation edited it, for one group, phase and language."""

    group: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,64}$")]
    phase: PhaseIn
    kind: MessageKind
    language: Language
    subject: FreeText
    body: Annotated[long_text(10_000), Field(min_length=1)]  # type: ignore[valid-type]


class Assessment(_Frozen):
    version: Literal[1]
    organisation: Organisation
    groups: Annotated[list[Group], Field(min_length=1, max_length=MAX_GROUPS)]
    # The rollout under way: the decisions taken at its gates (oldest first) and the messages as
    # edited. Recorded from the review and the message pages, never asked by the questionnaire.
    gate_decisions: Annotated[list[GateDecisionIn], Field(max_length=500)] = []
    messages: Annotated[list[MessageEdit], Field(max_length=2000)] = []

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
    return parse_assessment(load_document(raw, source, language), source, language)


def load_document(raw: bytes | str, source: str, language: Language = "en") -> dict[str, Any]:
    """YAML or JSON text as plain data (JSON is YAML, but a JSON error message reads better);
    InputError, said in `language`, for text that is neither or holds no mapping."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise InputError(source, [Problem("", gettext("the file is not UTF-8 text", language))]) from None
    data: Any
    try:
        data = load_json(text) if text.lstrip().startswith("{") else load_yaml(text)[0]
    except DocumentProblem as exc:  # both parsers bound nesting and number length alike
        said = exc.say(language)
        if exc.line:
            said = gettext("line %(line)s: %(problem)s", language, line=exc.line, problem=said)
        raise InputError(source, [Problem("", said)]) from None
    if not isinstance(data, dict):
        raise InputError(
            source,
            [
                Problem(
                    "",
                    gettext("the file must hold a mapping with version, organisation and groups", language),
                )
            ],
        )
    return data


FactValue = int | bool | str | frozenset[str]


@dataclass(frozen=True)
class Derived:
    """A group fact computed from the answers rather than given by one (placed after `after`)."""

    spec: FactSpec
    after: str
    value: Callable[[Group], FactValue]


DERIVED_GROUP_FACTS: tuple[Derived, ...] = (
    Derived(
        FactSpec("device_ratio_percent", "int", N_("devices per 100 users")),
        "devices",
        lambda g: g.device_count * 100 // g.users,
    ),
    Derived(
        FactSpec("platform_count", "int", N_("number of platforms")),
        "platforms",
        lambda g: len(g.platforms),
    ),
    Derived(
        FactSpec("site_count", "int", N_("number of sites")),
        "ownership",
        lambda g: len(g.locations),
    ),
)
# An answer whose fact is not its value as given: `devices` left empty means one per user.
_FACT_VALUES: dict[str, Callable[[Group], FactValue]] = {"devices": lambda g: g.device_count}


def answer_kind(annotation: Any) -> tuple[QuestionKind, tuple[str, ...]]:
    """What a field's type asks for (the input, and so the kind of fact), and its choices."""
    if get_origin(annotation) in (Union, UnionType):  # optional: the type it holds
        (annotation,) = (a for a in get_args(annotation) if a is not type(None))
    if get_origin(annotation) is Annotated:  # constrained: the type it constrains
        annotation = get_args(annotation)[0]
    if annotation is bool:
        return "bool", ()
    if annotation is int:
        return "int", ()
    if get_origin(annotation) is Literal:
        return "choice", get_args(annotation)
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        return ("multi", get_args(item)) if get_origin(item) is Literal else ("lines", ())
    if get_origin(annotation) is dict:  # a number for each name: the names offered, if fixed
        key, _ = get_args(annotation)
        return "counts", get_args(key) if get_origin(key) is Literal else ()
    return "text", ()


# The kind of fact each kind of answer makes; free text is no fact (rules compare values).
_FACT_KINDS: dict[QuestionKind, FactKind] = {"bool": "bool", "int": "int", "choice": "enum", "multi": "set"}


def facts_of(model: type[Group]) -> dict[str, FactSpec]:
    """The group facts rules may name: every field with a `Fact`, and the derived facts."""
    specs: dict[str, FactSpec] = {}
    for name, field in model.model_fields.items():
        fact = next((m for m in field.metadata if isinstance(m, Fact)), None)
        if fact is not None:
            kind, values = answer_kind(field.annotation)
            specs[name] = FactSpec(name, _FACT_KINDS[kind], fact.label, values, fact.says)
        for derived in DERIVED_GROUP_FACTS:
            if derived.after == name:
                specs[derived.spec.name] = derived.spec
    return specs


GROUP_FACTS = facts_of(Group)
PLACEMENT_FACTS = GROUP_FACTS | PLACEMENT_ONLY_FACTS
METHOD_FACTS = GROUP_FACTS | METHOD_ONLY_FACTS
FACTS_BY_STAGE: dict[Stage, dict[str, FactSpec]] = {
    "group": GROUP_FACTS,
    "organisation": ORGANISATION_FACTS,
    "method": METHOD_FACTS,
    "placement": PLACEMENT_FACTS,
}
_DERIVED = {d.spec.name: d.value for d in DERIVED_GROUP_FACTS}


def group_facts(group: Group) -> dict[str, FactValue]:
    """The facts the group and placement stages see for one group (derived counts included)."""
    facts: dict[str, FactValue] = {}
    for name in GROUP_FACTS:
        compute = _DERIVED.get(name) or _FACT_VALUES.get(name)
        value = compute(group) if compute else getattr(group, name)
        facts[name] = frozenset(value) if isinstance(value, list) else value
    return facts
