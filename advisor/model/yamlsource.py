"""Safe YAML loading that remembers the line of every value and refuses what could blow up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from advisor.model.documents import MAX_DEPTH, DocumentProblem, too_deep, too_many_digits
from advisor.model.i18n import N_

# Rule files and assessments are small documents; anything larger is a mistake or an attack.
MAX_DOCUMENT_BYTES = 1_000_000

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # C parser if built


class YamlProblem(DocumentProblem):
    """The text is not a YAML document we accept; `line` is 1-based where known."""


Path = tuple[str | int, ...]


@dataclass
class LineMap:
    """Line numbers (1-based) of every mapping key and sequence item, by path."""

    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


def load_yaml(text: str | bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> tuple[Any, LineMap]:
    """Parse one YAML document into plain data plus a line map.

    Anchors and aliases are refused outright: they are never needed in these files and are the
    mechanism of "billion laughs" expansion. Tags other than the standard scalar ones are refused
    by the safe composer. Nesting is bounded (MAX_DEPTH) before anything is composed: PyYAML's
    composer recurses once per level, so the bound is checked on the flat stream of events.
    """
    raw = text.encode() if isinstance(text, str) else text
    if len(raw) > max_bytes:
        raise YamlProblem(
            N_("the document is %(size)s bytes; the limit is %(limit)s"),
            size=f"{len(raw):,}",
            limit=f"{max_bytes:,}",
        )
    try:
        _check_nesting(raw)
        node = yaml.compose(raw, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        if "maximum nesting depth" in str(exc.problem):  # libyaml's own bound (1,000), past ours
            raise _too_deep(line) from None
        raise YamlProblem(N_("not valid YAML: %(detail)s"), line, detail=str(exc.problem or exc)) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(N_("not valid YAML: %(detail)s"), detail=str(exc)) from None
    except RecursionError:  # defensive: the nesting bound above keeps the composer shallow
        raise _too_deep() from None
    lines = LineMap()
    if node is None:
        return None, lines
    seen: set[int] = set()
    data = _build(node, (), lines, seen, 0, yaml.SafeLoader(""))
    return data, lines


def _too_deep(line: int | None = None) -> YamlProblem:
    deep = too_deep(line)
    return YamlProblem(deep.template, line, **deep.values)


def _check_nesting(raw: bytes) -> None:
    """Refuse collections nested deeper than MAX_DEPTH, reading events (the parser is flat)."""
    depth = 0
    for event in yaml.parse(raw, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                raise _too_deep(mark.line + 1 if mark is not None else None)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _build(
    node: yaml.Node, path: Path, lines: LineMap, seen: set[int], depth: int, ctor: yaml.SafeLoader
) -> Any:
    if depth > MAX_DEPTH:  # defensive: _check_nesting refused deeper documents already
        raise _too_deep(node.start_mark.line + 1)
    if id(node) in seen or getattr(node, "anchor", None):
        raise YamlProblem(N_("anchors and aliases are not allowed"), node.start_mark.line + 1)
    seen.add(id(node))
    lines.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem(N_("mapping keys must be plain values"), key_node.start_mark.line + 1)
            key = _scalar(key_node, ctor)
            if not isinstance(key, str | int | bool) or key is None:
                raise YamlProblem(N_("unsupported key %(key)s"), key_node.start_mark.line + 1, key=repr(key))
            if key in result:
                raise YamlProblem(N_("duplicate key '%(key)s'"), key_node.start_mark.line + 1, key=key)
            child = (*path, str(key))
            lines.lines[child] = key_node.start_mark.line + 1
            result[key] = _build(value_node, child, lines, seen, depth + 1, ctor)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*path, index), lines, seen, depth + 1, ctor)
            for index, item in enumerate(node.value)
        ]
    return _scalar(node, ctor)


def _scalar(node: yaml.Node, ctor: yaml.SafeLoader) -> Any:
    # The safe constructor resolves standard tags (int, bool, null, timestamp…) and rejects others.
    line = node.start_mark.line + 1
    if node.tag == "tag:yaml.org,2002:int":
        problem = too_many_digits(str(node.value), line)
        if problem is not None:
            raise YamlProblem(problem.template, line, **problem.values)
    try:
        return ctor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        raise YamlProblem(N_("unsupported value: %(detail)s"), line, detail=str(exc.problem)) from None
    except ValueError as exc:  # defensive: a conversion the constructor itself refuses
        raise YamlProblem(N_("unsupported value: %(detail)s"), line, detail=str(exc)) from None
