"""Every export format of a plan, in one registry.

The command line's `--format`, the plan page's download list, the API's export route and the
OpenAPI document's enum and media types are all made from FORMATS: a new format is one entry here
(plus the function that writes it), and tests/web/test_export_registry.py checks every surface
offers every entry it names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from advisor.model.plan import Plan
from advisor.output.export import to_pdf, to_xlsx
from advisor.output.ics import to_ics
from advisor.output.render import to_csv, to_json, to_markdown, to_table

# Where a format is offered: the `advisor plan --format` choices, the plan page's download links,
# and the API's /export/<name> route (with the OpenAPI document that describes it).
Surface = Literal["cli", "page", "api"]
EVERYWHERE: frozenset[Surface] = frozenset({"cli", "page", "api"})


@dataclass(frozen=True)
class ExportFormat:
    name: str  # the --format value and the last part of the download and API paths
    label: str  # the download link's text (a name, the same in every language)
    media_type: str  # the whole Content-Type, parameters included: send it as it is
    extension: str  # of the downloaded file's name
    binary: bool  # never written to a terminal; the API documents it as binary
    write: Callable[[Plan], str | bytes]  # text is sent as UTF-8
    surfaces: frozenset[Surface] = EVERYWHERE
    # A spreadsheet opens it: every cell goes through escape.spreadsheet_cell, so no text from the
    # answers or the rule files ever becomes a formula (tests/test_export.py checks each one).
    tabular: bool = False

    @property
    def essence(self) -> str:
        """The media type without its parameters (`text/csv`), as OpenAPI names a response's content."""
        return self.media_type.split(";")[0].strip()


_REGISTERED = (
    # The plan page lists the downloads in this order.
    ExportFormat("pdf", "PDF", "application/pdf", "pdf", binary=True, write=to_pdf),
    ExportFormat(
        "xlsx",
        "Excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
        binary=True,
        write=to_xlsx,
        tabular=True,
    ),
    # With a byte order mark, so that Excel reads UTF-8.
    ExportFormat(
        "csv",
        "CSV",
        "text/csv; charset=utf-8",
        "csv",
        binary=False,
        write=lambda plan: "\ufeff" + to_csv(plan),
        tabular=True,
    ),
    ExportFormat(
        "markdown", "Markdown", "text/markdown; charset=utf-8", "md", binary=False, write=to_markdown
    ),
    # The calendar's events for a calendar program. Text (UTF-8, as RFC 5545 has it): it prints
    # to a terminal, and decoding the library's bytes here and encoding them in export() gives
    # back the very same bytes.
    ExportFormat(
        "ics",
        "iCalendar",
        "text/calendar; charset=utf-8",
        "ics",
        binary=False,
        write=lambda plan: to_ics(plan).decode("utf-8"),
    ),
    ExportFormat("json", "JSON", "application/json", "json", binary=False, write=to_json),
    # The guide's table for a terminal: the command line's default.
    ExportFormat(
        "table",
        "Text",
        "text/plain; charset=utf-8",
        "txt",
        binary=False,
        write=to_table,
        surfaces=frozenset({"cli"}),
    ),
)

FORMATS: dict[str, ExportFormat] = {f.name: f for f in _REGISTERED}


def offered(surface: Surface) -> list[ExportFormat]:
    """The formats a surface offers, in the registry's order."""
    return [f for f in FORMATS.values() if surface in f.surfaces]


def offered_format(surface: Surface, name: str) -> ExportFormat | None:
    """The format called `name` if the surface offers it."""
    found = FORMATS.get(name)
    return found if found is not None and surface in found.surfaces else None


def export(plan: Plan, name: str) -> bytes:
    """The plan in one of FORMATS, as bytes."""
    body = FORMATS[name].write(plan)
    return body.encode("utf-8") if isinstance(body, str) else body
