"""Every export format of a plan, in one registry.

The command line's `--format`, the plan page's download list, the API's export route and the
OpenAPI document's enum and media types are all made from FORMATS: a new format is one entry here
(plus the function that writes it), and tests/web/test_export_registry.py checks every surface
offers every entry it names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from advisor.model.plan import Plan, Standing
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
    # The plan, and where its review stands when the site knows it (None on the command line);
    # text is sent as UTF-8.
    write: Callable[[Plan, Standing | None], str | bytes]
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
        write=lambda plan, _: "\ufeff" + to_csv(plan),
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
        write=lambda plan, _: to_ics(plan).decode("utf-8"),
    ),
    ExportFormat(
        "json", "JSON", "application/json", "json", binary=False, write=lambda plan, _: to_json(plan)
    ),
    # The guide's table for a terminal: the command line's default.
    ExportFormat(
        "table",
        "Text",
        "text/plain; charset=utf-8",
        "txt",
        binary=False,
        write=lambda plan, _: to_table(plan),
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


def export(plan: Plan, name: str, standing: Standing | None = None) -> bytes:
    """The plan in one of FORMATS, as bytes; the PDF, the workbook and the Markdown say where its
    review stands when `standing` is given."""
    body = FORMATS[name].write(plan, standing)
    return body.encode("utf-8") if isinstance(body, str) else body


def _slug(text: str, *, ascii_only: bool) -> str:
    """Words joined by hyphens, lower case: "Vård & Omsorg AB" → "vård-omsorg-ab" (or, ASCII
    only, "vard-omsorg-ab": accents dropped, other letters left out)."""
    if ascii_only:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "-".join(re.findall(r"[^\W_]+", text.lower()))[:60].strip("-")


def download_names(
    organisation: str, day: str, extension: str, what: str = "rollout-plan"
) -> tuple[str, str | None]:
    """A downloaded plan's file name, "rollout-plan-contoso-2026-11-25.pdf": in ASCII for every
    client, and when the organisation's name has other letters, the name with them as well (for
    RFC 6266's `filename*`), else None."""
    ascii_slug = _slug(organisation, ascii_only=True)
    plain = "-".join(part for part in (what, ascii_slug, day) if part) + f".{extension}"
    full_slug = _slug(organisation, ascii_only=False)
    full = "-".join(part for part in (what, full_slug, day) if part) + f".{extension}"
    return plain, (full if full != plain else None)


def content_disposition(organisation: str, day: str, extension: str, what: str = "rollout-plan") -> str:
    """The Content-Disposition of a downloaded plan: `filename` in ASCII, and `filename*` (RFC
    5987, UTF-8, percent-encoded) when the name has letters ASCII lacks."""
    plain, full = download_names(organisation, day, extension, what)
    header = f'attachment; filename="{plain}"'
    return header if full is None else header + f"; filename*=UTF-8''{quote(full, safe='')}"
