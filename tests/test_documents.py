"""Untrusted documents are parsed within stated bounds: nesting and number length (issue 9, item 9).

JSON nested 1,000 deep made the parser raise RecursionError, and an integer of more than 4,300
digits tripped Python's int-string conversion limit (ValueError): both were 500s on the site.
"""

from __future__ import annotations

import json

import pytest
import yaml

from advisor.model import yamlsource
from advisor.model.documents import MAX_DEPTH, MAX_NUMBER_DIGITS, DocumentProblem, load_json
from advisor.model.errors import InputError, RulebookError
from advisor.model.facts import loads_assessment
from advisor.model.yamlsource import load_yaml
from advisor.rulebook.loader import build_rulebook
from tests.conftest import ROOT

EXAMPLE = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())


def _nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def _deep_json(levels: int) -> str:
    return json.dumps(EXAMPLE)[:-1] + f', "groups": {_nested(levels)}' + "}"


def _long_number(digits: int) -> str:
    return json.dumps(EXAMPLE).replace('"users": 250', '"users": ' + "1" * digits, 1)


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 1000, 100_000])
def test_json_nested_past_the_bound_is_refused_with_the_bound(levels: int) -> None:
    with pytest.raises(InputError, match=f"nested deeper than {MAX_DEPTH} levels"):
        loads_assessment(_deep_json(levels), "deep.json")


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 1000, 100_000])
def test_yaml_nested_past_the_bound_is_refused_with_the_bound(levels: int) -> None:
    text = "version: 1\ngroups: " + _nested(levels) + "\n"
    with pytest.raises(InputError, match=f"line 2: nested deeper than {MAX_DEPTH} levels"):
        loads_assessment(text, "deep.yaml")


def test_the_bound_holds_with_the_pure_python_yaml_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """PyYAML's own composer recurses per level: without libyaml, 1,000 levels overflowed it."""
    monkeypatch.setattr(yamlsource, "_Loader", yaml.SafeLoader)
    with pytest.raises(InputError, match=f"nested deeper than {MAX_DEPTH} levels"):
        loads_assessment("version: 1\ngroups: " + _nested(1000) + "\n", "deep.yaml")


def test_nesting_up_to_the_bound_is_read() -> None:
    assert load_json(_nested(MAX_DEPTH)) is not None
    assert load_yaml(_nested(MAX_DEPTH))[0] is not None
    for parse in (load_json, lambda text: load_yaml(text)[0]):
        with pytest.raises(DocumentProblem, match="nested deeper"):
            parse(_nested(MAX_DEPTH + 1))
        with pytest.raises(DocumentProblem, match="nested deeper"):
            parse("{" + '"a": {' * MAX_DEPTH + "}" * MAX_DEPTH + "}")


@pytest.mark.parametrize("digits", [MAX_NUMBER_DIGITS + 1, 4_300, 4_301, 100_000])
def test_long_numbers_are_refused_in_json_and_yaml(digits: int) -> None:
    text = _long_number(digits)
    with pytest.raises(InputError, match=f"a number of {digits:,} digits"):
        loads_assessment(text, "long.json")
    as_yaml = yaml.safe_dump(EXAMPLE, sort_keys=False).replace("users: 250", "users: " + "1" * digits, 1)
    with pytest.raises(InputError, match=rf"line \d+: a number of {digits:,} digits"):
        loads_assessment(as_yaml, "long.yaml")


def test_numbers_up_to_the_bound_still_reach_the_schema() -> None:
    with pytest.raises(InputError, match=r"groups\[0\]\.users"):
        loads_assessment(_long_number(MAX_NUMBER_DIGITS), "long.json")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("parameters:\n  big:\n    value: " + "9" * 5000 + "\n", "extra.yaml:3: a number of 5,000 digits"),
        ("parameters: " + _nested(1000) + "\n", f"extra.yaml:1: nested deeper than {MAX_DEPTH} levels"),
    ],
)
def test_rule_files_beyond_the_bounds_are_findings_not_crashes(text: str, message: str) -> None:
    with pytest.raises(RulebookError) as caught:
        build_rulebook({"rules/extra.yaml": text.encode()})
    assert any(message in str(finding) for finding in caught.value.findings), caught.value.findings
