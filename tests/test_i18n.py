"""One catalogue for the core and the site: every string has its Swedish, and a count picks its form."""

from __future__ import annotations

import ast
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from advisor.evaluate.oracle import OracleEvaluator
from advisor.model import i18n
from advisor.model.errors import InputError
from advisor.model.facts import Assessment, parse_assessment
from advisor.model.i18n import N_, gettext, ngettext
from advisor.model.plan import Plan, RulebookRef
from advisor.model.vocabulary import Language
from advisor.output.render import made_with, to_markdown, to_table
from advisor.planning.planner import make_plan
from advisor.rulebook import Rulebook
from tests.conftest import ROOT
from tools.build_translations import extract, problems, read


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The code's strings, extracted afresh by pybabel into a temporary folder (never the repository)."""
    return extract(tmp_path_factory.mktemp("pot"))


def test_extraction_finds_the_strings_of_the_core_and_the_site(template: Catalog) -> None:
    ids = {message.id for message in template}
    assert "Group added" in ids  # advisor/, a gettext call
    assert "Rollout phases" in ids  # advisor/, marked with N_ when the module is imported
    assert ("%(num)d user", "%(num)d users") in ids  # advisor/ and the templates, with its plural
    assert "The user name or the password is wrong." in ids  # web/*.py
    assert "Skip to content" in ids  # web/templates


def test_every_string_has_its_swedish_in_every_plural_form(template: Catalog) -> None:
    assert problems(template, read("sv")) == []


def test_the_check_names_each_kind_of_gap(template: Catalog) -> None:
    """A catalogue with a gap of every kind: each is reported (the check can fail)."""
    catalogue = read("sv")
    del catalogue["Group added"]
    for message_id, string, flags in (
        ("Group removed", "", ()),
        (("%(num)d user", "%(num)d users"), ("%(num)d användare", ""), ("python-format",)),
        ("Skip to content", "Hoppa till innehållet", ("fuzzy",)),
        ("Rollout plan for %(name)s", "Distributionsplan för %(namn)s", ("python-format",)),
        ("A string the code no longer has", "En sträng som koden inte längre har", ()),
    ):
        if message_id in catalogue:
            del catalogue[message_id]  # adding would keep the translation it has
        catalogue.add(message_id, string, flags=flags)
    found = "\n".join(problems(template, catalogue))
    assert "no translation: 'Group added'" in found
    assert "empty translation: 'Group removed'" in found
    assert "empty translation: ('%(num)d user', '%(num)d users')" in found
    assert "fuzzy (check it, then remove the flag): 'Skip to content'" in found
    assert "unknown named placeholder 'namn': 'Rollout plan for %(name)s'" in found
    assert "no longer in the code (run --update): 'A string the code no longer has'" in found


def _gettext_calls_in_f_strings(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.JoinedStr):
            continue
        for inner in ast.walk(node):
            if (
                isinstance(inner, ast.Call)
                and isinstance(inner.func, ast.Name)
                and inner.func.id in {"_", "N_", "gettext", "ngettext"}
                and inner.args
                and isinstance(inner.args[0], ast.Constant)
            ):
                found.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    return found


def test_no_marked_string_hides_in_an_f_string() -> None:
    """Python 3.11 reads an f-string as one token, so pybabel never sees a call inside it: its
    string would stay English in every language."""
    paths = sorted((ROOT / "advisor").rglob("*.py")) + sorted((ROOT / "web").rglob("*.py"))
    assert [hit for path in paths for hit in _gettext_calls_in_f_strings(path)] == []


def test_a_text_marked_at_import_is_translated_where_it_is_shown() -> None:
    title = N_("Rollout phases")
    assert title == "Rollout phases"
    assert gettext(title, "en") == "Rollout phases"
    assert gettext(title, "sv") == "Distributionsfaser"
    assert gettext("Rollout plan for %(name)s", "sv", name="Contoso") == "Distributionsplan för Contoso"


@pytest.mark.parametrize(
    ("language", "one", "three"),
    [("en", "1 rule", "3 rules"), ("sv", "1 regel", "3 regler")],
)
def test_a_count_takes_its_form_in_the_core(language: Language, one: str, three: str) -> None:
    texts = [ngettext("%(num)d rule", "%(num)d rules", n, language) for n in (1, 3)]
    assert texts == [one, three]


def _two_groups(users: tuple[int, int]) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
    data["groups"] = data["groups"][:2]
    for group, count in zip(data["groups"], users, strict=True):
        group["users"] = group["devices"] = count
    return data


@pytest.mark.parametrize(
    ("language", "one", "three"),
    [("en", "(1 user)", "(3 users)"), ("sv", "(1 användare)", "(3 användare)")],
)
def test_the_plan_counts_users_in_words(rulebook: Rulebook, language: Language, one: str, three: str) -> None:
    plan = make_plan(parse_assessment(_two_groups((3, 1))), OracleEvaluator(rulebook), language)
    table = to_table(plan)
    assert f"IT {three}" in table
    assert f"IT executives {one}" in table
    assert "user(s)" not in to_markdown(plan)


@pytest.mark.parametrize(
    ("language", "one", "three"),
    [
        ("en", "Rulebook version v (1 rule)", "Rulebook version v (3 rules)"),
        ("sv", "Regelboksversion v (1 regel)", "Regelboksversion v (3 regler)"),
    ],
)
def test_the_plans_last_line_counts_its_rules(
    rulebook: Rulebook, contoso: Assessment, language: Language, one: str, three: str
) -> None:
    plan: Plan = make_plan(contoso, OracleEvaluator(rulebook), language)
    lines = [
        made_with(plan.model_copy(update={"rulebook": RulebookRef(version="v", rules=n)})) for n in (1, 3)
    ]
    assert lines == [one, three]


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "groups: must have at least 1 item"), ("sv", "groups: måste ha minst 1 post")],
)
def test_a_refused_answer_counts_in_words(language: Language, expected: str) -> None:
    data = _two_groups((3, 1)) | {"groups": []}
    with pytest.raises(InputError) as refused:
        parse_assessment(data, language=language)
    assert expected in str(refused.value)


@pytest.fixture
def source_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The catalogue as an install that skipped `make translations` has it: the `.po` alone."""
    folder = tmp_path / "translations" / "sv" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shutil.copy(i18n.source_path("sv"), folder / "messages.po")
    monkeypatch.setattr(i18n, "CATALOGUE", tmp_path / "translations")
    i18n.translations.cache_clear()
    yield folder
    i18n.translations.cache_clear()


def test_the_core_reads_the_source_when_nothing_is_compiled(source_only: Path) -> None:
    assert not (source_only / "messages.mo").exists()
    assert i18n.gettext("Limited pilot", "sv") == "Begränsat pilottest"
    assert i18n.ngettext("%(num)d user", "%(num)d users", 3, "sv") == "3 användare"


def test_a_source_newer_than_its_compiled_catalogue_wins(source_only: Path) -> None:
    compiled = source_only / "messages.mo"
    with (source_only / "messages.po").open("rb") as source_stream, compiled.open("wb") as stream:
        write_mo(stream, read_po(source_stream, locale="sv"))
    source = source_only / "messages.po"
    source.write_text(source.read_text().replace('"Begränsat pilottest"', '"Begränsat pilottest (ny)"'))
    os.utime(compiled, (1, 1))  # compiled long before the edit
    assert i18n.gettext("Limited pilot", "sv") == "Begränsat pilottest (ny)"


def test_the_site_does_not_start_without_its_compiled_catalogue(source_only: Path) -> None:
    """Flask-Babel reads compiled catalogues only and would quietly show English."""
    from flask import Flask

    from web.i18n import init_app

    with pytest.raises(i18n.CatalogueMissing, match="make translations"):
        init_app(Flask(__name__))
