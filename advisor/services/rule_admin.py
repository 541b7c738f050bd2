"""Rule administration: a proposed rule file checked against the whole rulebook before it is saved."""

from __future__ import annotations

from pathlib import Path

from advisor.model.errors import Finding, RulebookError
from advisor.model.yamlsource import MAX_DOCUMENT_BYTES
from advisor.quality.lint import lint
from advisor.rulebook.loader import Rulebook, build_rulebook, read_folder


def candidate(folder: Path, name: str, text: str) -> tuple[Rulebook | None, list[Finding]]:
    """The folder's rulebook with `name` replaced by `text`, and every finding about it.

    Validation errors and lint errors both block; the rulebook is None when it did not load.
    """
    if len(text.encode()) > MAX_DOCUMENT_BYTES:
        return None, [Finding(name, None, None, f"larger than {MAX_DOCUMENT_BYTES:,} bytes")]
    # Named as load_rulebook names them, so the result equals the folder loaded after a save.
    try:
        sources = read_folder(folder)
    except RulebookError as exc:
        return None, list(exc.findings)
    sources.pop(str(folder / name), None)
    sources[str(folder / name)] = text.encode()
    try:
        rulebook = build_rulebook(sources, label=str(folder))
    except RulebookError as exc:
        return None, list(exc.findings)
    return rulebook, [*rulebook.findings, *lint(rulebook)]
