"""The id converter's pattern is exactly 1..MAX_ID: the bound is in the URL map, not in each view."""

from __future__ import annotations

import random
import re

import pytest

from advisor.store.tables import MAX_ID
from web.ids import parse_id, up_to


@pytest.mark.parametrize("limit", [1, 9, 10, 99, 100, 12345, MAX_ID])
def test_the_pattern_matches_exactly_the_numbers_up_to_the_limit(limit: int) -> None:
    pattern = re.compile(up_to(limit) + r"\Z")
    rng = random.Random(9)  # noqa: S311 - reproducible test data, not a secret
    numbers = [
        *range(0, 3000),
        *range(limit - 1000, limit + 1000),
        *(rng.randrange(10**11) for _ in range(20_000)),
    ]
    wrong = [n for n in numbers if bool(pattern.match(str(n))) != (1 <= n <= limit)]
    assert wrong == []
    assert not pattern.match("007")


@pytest.mark.parametrize("text", ["0", "-1", "abc", "１２", str(MAX_ID + 1), str(2**63), "9" * 5000])
def test_parse_id_refuses_what_is_no_id(text: str) -> None:
    with pytest.raises(ValueError, match="not an id"):
        parse_id(text)


def test_parse_id_reads_ids_and_absence() -> None:
    assert parse_id(None) is None
    assert parse_id(" ") is None
    assert parse_id(" 42 ") == 42
    assert parse_id(str(MAX_ID)) == MAX_ID
