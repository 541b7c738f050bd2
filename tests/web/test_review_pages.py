"""The review pages as a person reads them: the sign-off (confirmed, shown once done, never a
comment reading "None"), one comment action per item and the reader's place kept, names and
sentences instead of ids, and the account and import pages' wording, in English and Swedish."""

from __future__ import annotations

import re

import pytest
import yaml
from flask import Flask

from advisor.store.reviews import review_events
from advisor.store.tables import AssessmentRecord
from tests.conftest import ROOT
from tests.web.conftest import Browser, make_user
from tests.web.helpers import fill, form_values
from web.extensions import services

CONTOSO = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
SMALL = {**CONTOSO, "groups": CONTOSO["groups"][:5]}  # IT, IT executives, Sales, Retail, HR


def _text(html: str) -> str:
    """What a person reads: the page without its tags, its spaces folded."""
    body = html.split("<main", 1)[-1]
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def _status(app: Flask, assessment_id: int) -> tuple[str, int | None]:
    with services(app).store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        return record.status, record.signed_version


@pytest.fixture
def lead(app: Flask) -> Browser:
    make_user(app, "lead", "reviewer")
    browser = Browser(app.test_client())
    browser.login("lead")
    return browser


def _in_review(anna: Browser) -> int:
    assessment_id = fill(anna, SMALL)
    assert anna.post(f"/assessments/{assessment_id}/review/submit").status_code == 302
    return assessment_id


def test_a_sign_off_is_confirmed_then_shown_with_who_and_when_and_no_none(
    app: Flask, anna: Browser, lead: Browser
) -> None:
    assessment_id = _in_review(anna)
    review = f"/assessments/{assessment_id}/review"
    page = lead.get(review).get_data(as_text=True)
    assert 'name="confirm" value="1" required' in page  # the browser asks for the box first

    refused = lead.post(f"{review}/sign_off", follow_redirects=True).get_data(as_text=True)
    assert "Tick the box that says you have read the plan" in refused
    assert _status(app, assessment_id) == ("in_review", None)

    lead.post(f"{review}/sign_off", {"confirm": "1", "text": "  "})
    status, signed = _status(app, assessment_id)
    assert status == "signed_off"
    with services(app).store.session() as db:
        signing = [e for e in review_events(db, assessment_id) if e.action == "signed_off"]
    assert [e.text for e in signing] == [None]  # no comment was written: none is recorded

    for reader in (lead, anna):
        text = _text(reader.get(review).get_data(as_text=True))
        assert not re.search(r"\bNone\b(?! yet)", text), re.findall(r".{60}None.{20}", text)
        when = signing[0].created_at.strftime("%Y-%m-%d %H:%M")
        assert f"lead signed off version {signed} on {when}." in text
        assert "saving a changed answer reopens the review" in text
    page = lead.get(review).get_data(as_text=True)
    assert "/review/sign_off" not in page  # done: neither button is offered again
    assert "/review/send_back" not in page
    # A message edit after the sign-off is a newer version that keeps it: still nothing to sign.
    message = f"/assessments/{assessment_id}/messages/en/it/limited_pilot/announce"
    went = anna.post(message, {"subject": "Intune is coming", "body": "Soon.", "action": "save"})
    assert went.status_code == 302, went.get_data(as_text=True)
    assert _status(app, assessment_id) == ("signed_off", signed)
    page = lead.get(review).get_data(as_text=True)
    assert "/review/sign_off" not in page
    assert "/review/send_back" not in page
    assert f"lead signed off version {signed} on {when}." in _text(page)

    lead.post("/language", {"language": "sv"})
    text = _text(lead.get(review).get_data(as_text=True))
    assert f"lead godkände version {signed} den {when}." in text
    assert not re.search(r"\bNone\b", text)


def test_a_sign_off_comment_is_kept(app: Flask, anna: Browser, lead: Browser) -> None:
    assessment_id = _in_review(anna)
    lead.post(f"/assessments/{assessment_id}/review/sign_off", {"confirm": "1", "text": "Good to go."})
    text = _text(anna.get(f"/assessments/{assessment_id}/review").get_data(as_text=True))
    assert re.search(r"signed off version \d+: Good to go\.", text)


def test_saving_after_a_sign_off_is_announced_on_the_forms_before_saving(
    app: Flask, anna: Browser, lead: Browser
) -> None:
    assessment_id = _in_review(anna)
    notice = "Saving a changed answer here reopens its review"
    pages = [f"/assessments/{assessment_id}/{page}" for page in ("organisation", "groups", "groups/4")]
    assert all(notice not in anna.get(page).get_data(as_text=True) for page in pages)
    lead.post(f"/assessments/{assessment_id}/review/sign_off", {"confirm": "1"})
    for page in [*pages, f"/assessments/{assessment_id}/whatif"]:
        assert notice in anna.get(page).get_data(as_text=True), page
    # The reviewer keeps nothing from the what-if: nothing to warn them of.
    assert notice not in lead.get(f"/assessments/{assessment_id}/whatif").get_data(as_text=True)
    anna.post("/language", {"language": "sv"})
    page = anna.get(f"/assessments/{assessment_id}/groups/4").get_data(as_text=True)
    assert "Sparar du ett ändrat svar här öppnas granskningen igen" in page


def test_a_comment_brings_the_reader_back_to_the_item(app: Flask, anna: Browser, lead: Browser) -> None:
    assessment_id = _in_review(anna)
    review = f"/assessments/{assessment_id}/review"
    page = lead.get(review).get_data(as_text=True)
    # One "Comment" action per item: every comment form sits in a closed <details>, except the
    # one on the whole plan.
    forms = page.count("/review/comment")
    assert forms > 10
    assert page.count('<details class="comment-action">') == forms - 1
    assert page.count('<details class="comment-action" open>') == 1

    target = "group:hr:wave-late-for-low-readiness"
    assert 'id="item-hr-wave-late-for-low-readiness"' in page
    sent = lead.post(f"{review}/comment", {"target": target, "text": "Is HR really reluctant?"})
    assert sent.headers["Location"].endswith(f"{review}#item-hr-wave-late-for-low-readiness")
    sent = lead.post(f"{review}/comment", {"target": "group:hr", "text": "About HR."})
    assert sent.headers["Location"].endswith(f"{review}#group-hr")
    sent = lead.post(f"{review}/comment", {"target": "", "text": "On the whole."})
    assert sent.headers["Location"].endswith(f"{review}#comments")
    with services(app).store.session() as db:
        first = next(e for e in review_events(db, assessment_id) if e.target == target)
    answer = anna.post(f"{review}/comment", {"reply_to": str(first.id), "target": target, "text": "Yes."})
    assert answer.headers["Location"].endswith(f"{review}#comment-{first.id}")
    assert f'id="comment-{first.id}"' in lead.get(review).get_data(as_text=True)


def test_history_and_compare_name_groups_and_values_never_ids_or_dicts(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, SMALL)
    care = {**CONTOSO["groups"][5], "id": "v-rd-och-omsorg", "name": "Vård och omsorg"}
    anna.post(f"/assessments/{assessment_id}/groups/new", form_values(care))
    anna.post(f"/assessments/{assessment_id}/groups/4", {**form_values(SMALL["groups"][4]), "users": "55"})
    history = _text(anna.get(f"/assessments/{assessment_id}/history").get_data(as_text=True))
    assert "Group added (Vård och omsorg)" in history
    assert "Number of users (HR)" in history
    numbers = [int(n) for n in re.findall(r"Compare with (\d+)", history)]
    newest = max(numbers) + 1
    for lang, added in (("en", "Group added"), ("sv", "Grupp tillagd")):
        anna.post("/language", {"language": lang})
        page = anna.get(f"/assessments/{assessment_id}/compare?a={newest - 2}&b={newest}").get_data(
            as_text=True
        )
        text = _text(page)
        assert f"{added} (Vård och omsorg) – Vård och omsorg" in text
        assert "{" not in text
        assert "'id'" not in page
        assert "v-rd-och-omsorg" not in text


def test_what_if_warnings_are_sentences_and_problems_name_the_question(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, SMALL)
    form: dict[str, object] = {f"o-{k}": v for k, v in form_values(SMALL["organisation"]).items()}
    for index, group in enumerate(SMALL["groups"]):
        form.update({f"g{index}-{k}": v for k, v in form_values(group).items()})
    form["o-support_capacity"] = ""  # unknown: the plan warns that it cannot size the months
    page = anna.post(f"/assessments/{assessment_id}/whatif", form).get_data(as_text=True)
    added = re.search(r'<div class="warnings-added">(.*?)</div>', page, re.S)
    assert added is not None
    assert "<li>" in added.group(1)
    assert "no-support-capacity" not in page
    form["g4-users"] = "0"
    page = anna.post(f"/assessments/{assessment_id}/whatif", form).get_data(as_text=True)
    assert "Number of users (group HR): must be at least 1" in _text(page)
    assert "groups[4]" not in page


def test_the_token_page_shows_the_header_with_its_placeholder(anna: Browser) -> None:
    page = anna.get("/account/tokens").get_data(as_text=True)
    assert "Authorization: Bearer &lt;token&gt;" in page
    assert "<token>" not in page
    anna.post("/language", {"language": "sv"})
    assert "rubriken Authorization: Bearer &lt;token&gt;" in anna.get("/account/tokens").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("lang", "labels"),
    [("en", ["Low", "Medium", "High", "Corporate", "Personal", "Mixed"]), ("sv", ["Låg", "Medel", "Hög"])],
)
def test_options_start_with_a_capital(anna: Browser, lang: str, labels: list[str]) -> None:
    assessment_id = fill(anna, SMALL)
    anna.post("/language", {"language": lang})
    page = anna.get(f"/assessments/{assessment_id}/groups/4").get_data(as_text=True)
    options = re.findall(r"<option [^>]*>([^<]+)</option>", page)
    assert set(labels) <= set(options)
    assert not {"low", "medium", "high", "corporate", "låg", "hög"} & set(options)
