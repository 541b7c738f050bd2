"""Rule files, edited safely: the names a rule or scenario file may have, atomic writes, and
field-by-field edits that keep the file's comments and order."""

from __future__ import annotations

import difflib
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from advisor.model.errors import AdvisorError
from advisor.rulebook.schema import DEFAULT_PRIORITY

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\.yaml$")


class RuleFileError(AdvisorError):
    """A request about a rule file that cannot be done (a bad name, an edit that does not apply)."""


def write_atomically(path: Path, text: str) -> None:
    """Replace the file whole or not at all: a crash leaves the previous content in place."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# The last rulebook this instance ran, so that a process starting while the folder is broken
# (a worker recycled by gunicorn, say) runs that rather than refusing to start.
LAST_GOOD = "rulebook-last-good.json"


def remember(instance_dir: Path, sources: Mapping[str, bytes]) -> None:
    """Keep a folder's files (as `read_folder` read them) as the last good rulebook; call only
    once they have loaded."""
    texts = {name: content.decode("utf-8") for name, content in sources.items()}
    instance_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(instance_dir / LAST_GOOD, json.dumps(texts, ensure_ascii=False))


def last_good(instance_dir: Path) -> dict[str, bytes] | None:
    """The files of the last good rulebook, if one was kept and is readable."""
    try:
        kept = json.loads((instance_dir / LAST_GOOD).read_text(encoding="utf-8"))
        return {str(name): str(text).encode("utf-8") for name, text in kept.items()}
    except (OSError, ValueError, AttributeError):
        return None


def _yaml(sequence_indent: int = 4) -> YAML:
    """Round-trip mode (comments, order and quoting survive), in the shipped files' layout: the
    rule files indent a list under its key ("  - id: …", `sequence_indent` 4), the scenario files
    do not (`sequence_indent` 2)."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=sequence_indent, offset=sequence_indent - 2)
    yaml.width = 1_000_000  # never re-wrap what the author wrapped (or did not)
    return yaml


# A parameter's value as a field-by-field edit sets it: a number, a list, or a table of lists.
FieldValue = int | list[str] | dict[str, list[str]]


def _plain(value: object) -> object:
    """A value as read by ruamel, as plain Python, to compare with an edit."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _text_item(item: str) -> str:
    """A text written so that the rule loader reads it back as this very text (quoted when it
    would otherwise read as a number, a date, true or false, or break the list)."""
    try:
        same = pyyaml.safe_load(item) == item and "," not in item
    except pyyaml.YAMLError:
        same = False
    return item if same else DoubleQuotedScalarString(item)


def _written(value: FieldValue) -> object:
    """A value in the shipped files' layout: lists on one line, a table one key per line."""
    if isinstance(value, int):
        return value
    if isinstance(value, list):
        items = CommentedSeq(_text_item(item) for item in value)
        items.fa.set_flow_style()
        return items
    table = CommentedMap()
    for key, values in value.items():
        table[_text_item(key)] = _written(values)  # "NO" would read as false
    return table


def edit_yaml(text: str, change: Callable[[Any], None], *, sequence_indent: int = 4) -> str:
    """`text` with `change` applied to its document, every line the change does not touch kept
    byte for byte (comments, order, quotes, spacing and wrapping included).

    The document is read and written back by ruamel's round trip; where that would also restyle
    lines the change never touched (a layout other than the shipped files'), only the lines the
    change made differ are carried over into the original text. RuleFileError if it is not YAML.
    """
    yaml = _yaml(sequence_indent)
    try:
        document = yaml.load(text)
        baseline = _dumped(yaml, document)
        change(document)
        edited = _dumped(yaml, document)
    except YAMLError as exc:
        raise RuleFileError(f"the file is not valid YAML: {exc}") from None
    except ValueError as exc:  # e.g. a number past Python's int-string conversion limit
        raise RuleFileError(f"the file cannot be edited field by field: {exc}") from None
    except RecursionError:
        raise RuleFileError("the file is nested too deeply to be edited field by field") from None
    if baseline == text or edited == baseline:
        return text if edited == baseline else edited
    return _carried_over(text, baseline, edited)


def _dumped(yaml: YAML, document: object) -> str:
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _carried_over(original: str, baseline: str, edited: str) -> str:
    """The hunks that turn `baseline` (the original as ruamel writes it) into `edited`, applied
    to `original` where each lands on lines the round trip left alone; `edited` whole otherwise."""
    old, base, new = original.splitlines(True), baseline.splitlines(True), edited.splitlines(True)
    # baseline line → the same line in the original, where the round trip kept it
    same: dict[int, int] = {}
    for block in difflib.SequenceMatcher(None, base, old, autojunk=False).get_matching_blocks():
        same.update((block.a + k, block.b + k) for k in range(block.size))
    out = list(old)
    hunks = difflib.SequenceMatcher(None, base, new, autojunk=False).get_opcodes()
    for _tag, i1, i2, j1, j2 in reversed([h for h in hunks if h[0] != "equal"]):
        kept = [same.get(i) for i in range(i1, i2)]
        start: int | None = None
        if i1 == i2:  # an insertion: before the line the original has at that place
            start = same[i1] if i1 in same else same[i1 - 1] + 1 if i1 - 1 in same else 0 if i1 == 0 else None
        elif None not in kept and kept == list(range(kept[0] or 0, (kept[0] or 0) + len(kept))):
            start = kept[0]  # lines replaced or removed, each in the original, one after the other
        if start is None:
            return edited
        out[start : start + len(kept)] = new[j1:j2]
    return "".join(out)


def set_fields(text: str, parameters: Mapping[str, FieldValue], priorities: dict[str, int]) -> str:
    """Change parameter values and rule priorities in place, keeping everything else as written:
    a value that does not change is not written at all (a rule without a priority keeps none)."""

    def change(document: Any) -> None:
        if not isinstance(document, dict):
            raise RuleFileError("the file is not a mapping")
        for name, value in parameters.items():
            parameter = (document.get("parameters") or {}).get(name)
            if parameter is None:
                raise RuleFileError(f"no parameter '{name}' in this file")
            if _plain(parameter.get("value")) != value:
                parameter["value"] = _written(value)
        rules = {rule.get("id"): rule for rule in document.get("rules") or [] if isinstance(rule, dict)}
        for rule_id, value in priorities.items():
            if rule_id not in rules:
                raise RuleFileError(f"no rule '{rule_id}' in this file")
            if rules[rule_id].get("priority", DEFAULT_PRIORITY) != value:
                rules[rule_id]["priority"] = value

    return edit_yaml(text, change)
