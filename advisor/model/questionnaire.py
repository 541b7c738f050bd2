"""The questionnaire: every question of the assessment, asked in plain words, in two languages.

The questions are derived from the assessment model: each answer's field carries its `Ask` (label,
help, and which of the guide's six discussion points, targeted groups and timeframes, it serves),
and its type gives the kind of input and the choices. The site renders them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from advisor.model.errors import InputError
from advisor.model.facts import KNOWN_FIELDS, Assessment, Group, Organisation, answer_kind, parse_assessment
from advisor.model.i18n import N_, gettext
from advisor.model.messages import describe_errors
from advisor.model.vocabulary import LANGUAGES, Ask, Language, QuestionKind, term


@dataclass(frozen=True)
class Question:
    name: str
    kind: QuestionKind
    label: str  # English; `title` and `hint` give them in a language
    help: str
    choices: tuple[str, ...] = ()
    required: bool = False
    point: int | None = None  # which of the guide's six discussion points it serves
    # Left empty, the answer is absent (a default that depends on other answers), which is not the
    # same as "none at all": the form offers that as a box to tick.
    nullable: bool = False
    # Asked only where it matters: every (answer, values) pair holds (see `asked`). Empty: always.
    shown_when: tuple[tuple[str, tuple[str, ...]], ...] = ()
    source: str | None = None  # the Microsoft page the help text follows
    default: Any = None  # the answer when the file does not give it
    # The answers `shown_when` names, as a draft that does not give them means them (their defaults).
    assumed: tuple[tuple[str, Any], ...] = ()
    # A choice the person must make: offered with none preselected, kept as null until made.
    explicit: bool = False
    max_length: int | None = None  # of a text answer, as the contract bounds it

    def title(self, language: Language) -> str:
        return gettext(self.label, language)

    def hint(self, language: Language) -> str:
        return gettext(self.help, language)

    def point_label(self, language: Language) -> str:
        """`Discussion point 2 of 6: number of users and devices`, or '' for other questions."""
        if self.point is None:
            return ""
        point = gettext(POINTS[self.point], language)
        return gettext("Discussion point %(n)s of 6: %(point)s", language, n=self.point, point=point)

    def choice_label(self, value: str, language: Language) -> str:
        return gettext(CHOICE_LABELS[value], language) if value in CHOICE_LABELS else term(value, language)

    def conditions(self, prefix: str = "") -> list[tuple[str, list[str]]]:
        """`shown_when` as a form (whose fields' names start with `prefix`) checks it: each field
        with the values that show the question."""
        return [(prefix + answer, list(values)) for answer, values in self.shown_when]

    @property
    def field_id(self) -> str:
        """The id of the form control a link to the question goes to (a group of boxes: its first)."""
        return (
            f"f-{self.name}-{self.choices[0]}" if self.kind == "multi" and self.choices else f"f-{self.name}"
        )

    @property
    def none_field(self) -> str:
        """The form field of a nullable question's "none at all" box."""
        return f"{self.name}-none"

    def counts_text(self, value: object, language: Language) -> str:
        """A `counts` answer as the form shows it: one `name: number` per line, choices by label."""
        if not isinstance(value, Mapping):
            return ""
        return "\n".join(
            f"{self.choice_label(k, language) if k in self.choices else k}: {n}" for k, n in value.items()
        )


# How a choice is offered, where it is not the plan's own word for the value (`term`).
CHOICE_LABELS: dict[str, str] = {
    "en": N_("English"),
    "sv": N_("Swedish"),
    "email": N_("E-mail and access"),
    "apps": N_("Apps"),
    "wifi_vpn": N_("Wi-Fi or VPN profiles"),
    "certificates": N_("Certificate profiles"),
    "compliance": N_("Compliance policies"),
    "shared_devices": N_("Shared devices"),
    "auto": N_("Let the advisor choose"),
    "department": N_("By department"),
    "geography": N_("By geography"),
    "platform": N_("By device platform"),
    # what a group says of its corporate devices, and how its personal devices take part
    "unknown": N_("Not known"),
    "new": N_("New (not yet in use)"),
    "in_use_reset_ok": N_("In use, may be reset"),
    "in_use_keep": N_("In use, must not be reset"),
    "enroll": N_("Users accept enrolling them"),
    "protect_apps": N_("App protection only"),
    # an option stands alone, so it starts with a capital (the plan's sentences use `term`)
    "low": N_("Low"),
    "medium": N_("Medium"),
    "high": N_("High"),
    "corporate": N_("Corporate"),
    "personal": N_("Personal"),
    "mixed": N_("Mixed"),
}

# The guide's six discussion points for targeted groups and timeframes.
POINTS: dict[int, str] = {
    1: N_("The group's willingness to change"),
    2: N_("Number of users and devices"),
    3: N_("Device platform types"),
    4: N_("Requirements"),
    5: N_("Geographic location"),
    6: N_("Business risk"),
}


def questions_of(model: type[BaseModel]) -> tuple[Question, ...]:
    """The model's questions, in the order of its fields, from each field's `Ask`."""
    questions = []
    fields = model.model_fields
    schema = model.model_json_schema()["properties"]
    for name, field in fields.items():
        ask = next((m for m in field.metadata if isinstance(m, Ask)), None)
        if ask is None:
            continue
        kind, choices = answer_kind(field.annotation)
        unknown = [answer for answer, _ in ask.shown_when if answer not in fields]
        if unknown:
            raise ValueError(f"{model.__name__}.{name} is asked when {unknown} hold, which are no answers")
        questions.append(
            Question(
                name,
                ask.kind or kind,
                ask.label,
                ask.help,
                choices,
                field.is_required(),
                ask.point,
                (ask.kind or kind) == "months" and field.default is None,
                ask.shown_when,
                ask.source,
                _default(field),
                tuple((answer, _default(fields[answer])) for answer, _ in ask.shown_when),
                ask.explicit,
                _max_length(schema.get(name, {})),
            )
        )
    return tuple(questions)


def _max_length(schema: Mapping[str, Any]) -> int | None:
    """The longest text the contract takes for an answer (an optional one: its text's)."""
    lengths = [
        part.get("maxLength") for part in (schema, *schema.get("anyOf", ())) if part.get("type") == "string"
    ]
    return next((n for n in lengths if isinstance(n, int)), None)


def _default(field: FieldInfo) -> Any:
    """The answer a file that does not give it means; None for a required one."""
    return None if field.is_required() else copy.deepcopy(field.default)


def asked(question: Question, answers: Mapping[str, Any]) -> bool:
    """Whether the question is asked, given the other answers of its (draft) group or
    organisation: each answer its `shown_when` names holds one of the values given (a list
    answer, such as the platforms, holds one of them among its items). An answer the draft does
    not give counts as its default; one that is no text or list of texts holds nothing."""
    for (answer, values), (_, default) in zip(question.shown_when, question.assumed, strict=True):
        value = answers.get(answer, default)
        if isinstance(value, list):
            if not any(isinstance(item, str) and item in values for item in value):
                return False
        elif not (isinstance(value, str) and value in values):
            return False
    return True


def not_asked_problems(questions: Sequence[Question], answers: Mapping[str, Any]) -> tuple[Question, ...]:
    """The questions of a draft group that are not asked, given its answers, but whose answers it
    holds and which are not valid: a question nobody sees must not keep the group from a plan."""
    hidden = {q.name: q for q in questions if q.shown_when and q.name in answers and not asked(q, answers)}
    if not hidden:
        return ()
    try:
        Group.model_validate(dict(answers))
    except ValidationError as exc:
        wrong = {str(err["loc"][0]) for err in exc.errors(include_url=False) if err["loc"]}
        return tuple(q for name, q in hidden.items() if name in wrong)
    return ()


ORGANISATION = questions_of(Organisation)
GROUP = questions_of(Group)


def from_form(questions: Sequence[Question], form: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Answers as entered, in the file's shape. Unparsable numbers are kept as text, so nothing a
    person typed is lost; validation then names them."""
    answers: dict[str, Any] = {}
    for question in questions:
        values = [v.strip() for v in form.get(question.name, [])]
        first = values[0] if values else ""
        if question.kind == "bool":
            answers[question.name] = first in ("on", "true", "1", "yes")
        elif question.kind == "multi":  # ticked boxes: the question's own choices, each once
            answers[question.name] = [v for v in dict.fromkeys(values) if v in question.choices]
        elif question.kind == "lines":
            answers[question.name] = [line.strip() for line in re.split(r"[\r\n]+", first) if line.strip()]
        elif question.kind == "months":
            months = [m for m in re.split(r"[\s,;]+", first) if m]
            if months or not question.nullable:
                answers[question.name] = months
            elif form.get(question.none_field):  # "none at all" ticked, and no month written
                answers[question.name] = []
        elif question.kind == "counts":
            if counts := _counts(question, first):
                answers[question.name] = counts
        elif question.explicit and question.name in form:
            # A choice the person must make: the form always sends it, empty until one is made,
            # which the draft keeps as null (no plan takes it); the default chosen is left out,
            # as the file means it. A form without the field at all (not the questionnaire's)
            # leaves it out too.
            if not first:
                answers[question.name] = None
            elif first != question.default:
                answers[question.name] = first
        elif first == "" or (question.kind == "choice" and first == question.default):
            continue  # optional and empty, or the default chosen: the default applies (the form
            # shows a choice's default when it has no answer, and sends it back unchanged)
        elif question.kind == "int":
            answers[question.name] = whole_number(first)
        else:
            answers[question.name] = first
    # A question that is not asked keeps the answer it was given (the form sends it back unseen),
    # but one it was never given, its default or no choice at all, is left out of the file.
    for question in questions:
        hidden = question.shown_when and not asked(question, answers)
        if hidden and answers.get(question.name) in (question.default, None):
            answers.pop(question.name, None)
    return answers


def group_from_form(form: Mapping[str, Sequence[str]]) -> tuple[dict[str, Any], tuple[Question, ...]]:
    """A group's answers as entered (`from_form`), less the answers of questions it is not asked
    that are not valid, which are returned so that the person is told: a hidden question keeps its
    answer, but never keeps the group from a plan."""
    answers = from_form(GROUP, form)
    dropped = not_asked_problems(GROUP, answers)
    for question in dropped:
        del answers[question.name]
    return answers, dropped


def unseen(
    questions: Sequence[Question], answers: Mapping[str, Any], seen: Sequence[str]
) -> tuple[Question, ...]:
    """The questions the answers now ask that the form did not show (`seen` names the ones it did,
    among those asked only where they matter): the page without its script learns of them only
    when it is sent."""
    return tuple(q for q in questions if q.shown_when and asked(q, answers) and q.name not in seen)


def _counts(question: Question, entered: str) -> dict[str, Any]:
    """`name: number` lines as a mapping. A name may be written as the form shows a choice, in
    either language; a number that is not one stays text, so that validation names it."""
    names = {question.choice_label(c, lang).casefold(): c for c in question.choices for lang in LANGUAGES}
    names |= {choice.casefold(): choice for choice in question.choices}
    counts: dict[str, Any] = {}
    for line in re.split(r"[\r\n]+", entered):
        if not line.strip():
            continue
        if ":" in line:
            name, _, number = line.rpartition(":")
        else:  # `Umeå 80`, or a name with no number (validation says what is missing)
            found = re.fullmatch(r"(.*\S)\s+([0-9]+)\s*", line)
            name, number = found.groups() if found else (line, "")
        name, number = name.strip(), number.strip()
        name = names.get(name.casefold(), name)
        counts[name] = whole_number(number)
    return counts


# Digits grouped by thousands as people type them: "1 200", "1,200", with a no-break space
# (U+00A0) or a narrow one (U+202F) as word processors and the Swedish locale write it.
_GROUPED = re.compile(r"-?[0-9]{1,3}(?:[ ,\u00a0\u202f\u2009][0-9]{3})+")
_WHOLE = re.compile(r"-?[0-9]{1,12}")


def whole_number(entered: str) -> int | str:
    """A whole number as a person types it ("1 200", "1,200", "-5"), else the text as typed, so
    that validation names it ("1.5" and "1,5" are no whole numbers; "-5" is one, below the least)."""
    entered = entered.strip()
    if _GROUPED.fullmatch(entered):
        entered = re.sub(r"[ ,\u00a0\u202f\u2009]", "", entered)
    return int(entered) if _WHOLE.fullmatch(entered) else entered


def new_group() -> dict[str, Any]:
    """The answers a new group's form starts from: every choice the person must make not made."""
    return {q.name: None for q in GROUP if q.explicit}


def _name_key(name: object) -> str:
    return " ".join(str(name or "").split()).casefold()


def name_taken(groups: Sequence[Mapping[str, Any]], index: int | None, name: object) -> bool:
    """Whether another group than the one at `index` has this name, regardless of case and spaces."""
    key = _name_key(name)
    return bool(key) and any(_name_key(g.get("name")) == key for i, g in enumerate(groups) if i != index)


def shown_value(question: Question, answers: Mapping[str, Any], language: Language) -> str:
    """An answer as a person reads it: labels for choices, yes or no, one text for a list; an
    answer left out reads as what it means (its default); an unmade choice as not answered."""
    value = answers.get(question.name, question.default)
    if value is None or value == "":
        if question.kind == "months" and question.nullable:
            return gettext("The usual ones", language)
        return gettext("Not answered", language) if question.required or question.explicit else "–"
    if question.kind == "bool":
        return gettext("Yes", language) if value is True else gettext("No", language)
    if question.kind == "counts":
        return question.counts_text(value, language).replace("\n", "; ") or "–"
    if isinstance(value, list):
        if not value:
            return gettext("None", language)
        labels = [question.choice_label(v, language) if v in question.choices else str(v) for v in value]
        return ", ".join(labels)
    if isinstance(value, str) and value in question.choices:
        return question.choice_label(value, language)
    return str(value)


def slug(name: str, taken: Sequence[str]) -> str:
    """A group id from its name, unique among `taken`."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:56] or "group"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def empty_draft(name: str = "") -> dict[str, Any]:
    return {"version": 1, "organisation": {"name": name} if name else {}, "groups": []}


# What no draft may hold, however incomplete it is: text or lists past the contract's sizes,
# control characters, and numbers typed as text too long to be any number. Saving such a draft
# would keep what the contract refuses (and make every page of the assessment slow).
_OUT_OF_BOUNDS = frozenset({"string_too_long", "too_long", "control"})
_LONGEST_NUMBER_TEXT = 30


def out_of_bounds(draft: Mapping[str, Any], language: Language) -> dict[str, str]:
    """The problems, by path, that stop a draft from being saved at all (see _OUT_OF_BOUNDS)."""
    try:
        Assessment.model_validate(dict(draft))
    except ValidationError as exc:
        errors = [
            err
            for err in exc.errors(include_url=False)
            if err["type"] in _OUT_OF_BOUNDS
            or (
                isinstance(err.get("input"), str)
                and len(err["input"]) > _LONGEST_NUMBER_TEXT
                and err["type"] in ("int_type", "int_parsing")
            )
        ]
        return {p.path: p.message for p in describe_errors(errors, language, KNOWN_FIELDS)}
    return {}


def problems(draft: Mapping[str, Any], language: Language) -> dict[str, str]:
    """Every problem of a draft, by path (`organisation.name`, `groups[2].users`)."""
    try:
        parse_assessment(dict(draft), "answers", language)
    except InputError as exc:
        return {p.path: p.message for p in exc.problems}
    return {}


def valid(draft: Mapping[str, Any]) -> Assessment | None:
    try:
        return parse_assessment(dict(draft))
    except InputError:
        return None
