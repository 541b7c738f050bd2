"""The questionnaire's questions asked only where they matter, without the site: which questions
a draft group is asked, and what its form's answers keep."""

from __future__ import annotations

from advisor.model.facts import Group
from advisor.model.questionnaire import GROUP, asked, from_form, group_from_form, not_asked_problems, unseen
from advisor.model.vocabulary import Ask

QUESTIONS = {q.name: q for q in GROUP}


def _asked(group: dict[str, object]) -> set[str]:
    return {q.name for q in GROUP if q.shown_when and asked(q, group)}


def test_each_question_carries_when_it_is_asked_and_its_source() -> None:
    for name, field in Group.model_fields.items():
        if name in QUESTIONS:
            ask = next(m for m in field.metadata if isinstance(m, Ask))
            assert (QUESTIONS[name].shown_when, QUESTIONS[name].source) == (ask.shown_when, ask.source)
    assert QUESTIONS["private_use"].source is not None
    assert QUESTIONS["users"].shown_when == ()


def test_ownership_and_platforms_decide_what_is_asked() -> None:
    assert _asked({}) == {"corporate_devices"}  # a draft that does not say: the defaults
    assert _asked({"ownership": "corporate", "platforms": ["android"]}) == {
        "corporate_devices",
        "private_use",
    }
    assert _asked({"ownership": "personal", "platforms": ["android"]}) == {"personal_devices"}
    assert _asked({"ownership": "mixed", "platforms": ["ios"]}) == {
        "personal_percent",
        "personal_devices",
        "corporate_devices",
    }
    # What a draft holds that no form would send asks nothing it names.
    assert _asked({"ownership": 3, "platforms": "android"}) == set()
    assert all(asked(q, {}) for q in GROUP if not q.shown_when)


def test_a_hidden_question_keeps_an_answer_given_and_leaves_out_its_default() -> None:
    form = {"name": ["S"], "users": ["4"], "platforms": ["windows"], "ownership": ["personal"]}
    assert from_form(GROUP, {**form, "personal_devices": ["enroll"]})["personal_devices"] == "enroll"
    kept = from_form(GROUP, {**form, "corporate_devices": ["new"], "personal_devices": ["unknown"]})
    assert kept["corporate_devices"] == "new"  # not asked now, but given: kept
    assert "personal_devices" not in kept  # asked, and its default chosen: the default applies
    assert "private_use" not in kept  # not asked, default: left out
    assert "personal_percent" not in kept


def test_a_hidden_answer_that_is_not_valid_is_left_out_and_named() -> None:
    form = {
        "name": ["S"],
        "users": ["4"],
        "platforms": ["ios"],
        "ownership": ["corporate"],
        "personal_percent": ["150"],
    }
    answers, dropped = group_from_form(form)
    assert [q.name for q in dropped] == ["personal_percent"]
    assert "personal_percent" not in answers
    shown = {**form, "ownership": ["mixed"]}
    answers, dropped = group_from_form(shown)
    assert (answers["personal_percent"], dropped) == (150, ())  # asked: the error is shown by it
    assert not_asked_problems(GROUP, answers) == ()


def test_questions_the_answers_now_ask_that_the_form_did_not_show() -> None:
    answers = {"ownership": "mixed", "platforms": ["android"]}
    assert [q.name for q in unseen(GROUP, answers, ["corporate_devices"])] == [
        "personal_percent",
        "personal_devices",
        "private_use",
    ]
