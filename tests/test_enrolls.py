"""Every rendering of a plan says what each placement enrolls (platforms, sites, devices), sites
escaped as any other free text, and shows nothing odd for a plan saved before placements said so."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from advisor.output.export import to_html
from advisor.output.formats import export
from advisor.output.render import table_rows, to_csv, to_markdown, to_table
from tests.placed import FORMULA_SITE, PIPE_SITE, old_plan, platforms_plan, sites_plan
from tests.test_export import MARK, READERS, TRIGGERS

# The table names what cuts production (sites in a geography split, platforms in a platform
# split, any part of a group); devices and a group's every platform are in the group's own list.
PILOT = "IT (20 users; Umeå, Luleå)"
BATCH = "Stores (120 users; Umeå), Stores (80 users; Luleå)"


def test_the_table_says_what_each_entry_enrolls() -> None:
    _, rows = table_rows(sites_plan())
    assert rows == [
        ["Limited pilot — self-service", PILOT, "", ""],
        ["Production phase 1 — assisted", "", BATCH, ""],
        ["Production phase 2 — self-service", "", "", "Office (40 users; Kiruna)"],
    ]
    assert PILOT in to_table(sites_plan())  # the command line's table


def test_in_swedish_platforms_and_devices_are_translated_and_sites_kept() -> None:
    _, rows = table_rows(sites_plan("sv"))
    assert rows[0][1] == "IT (20 användare; Umeå, Luleå)"
    assert rows[1][2].startswith("Butiker (120 användare; Umeå), ")
    _, rows = table_rows(platforms_plan("sv"))
    assert rows[1][2] == "Sjuksköterskor (300 användare; Windows)"


def test_a_platform_split_shows_one_platform_per_production_month() -> None:
    _, rows = table_rows(platforms_plan())
    assert [r[0] for r in rows] == [
        "Limited pilot — self-service",
        "Production phase 1 — self-service",
        "Production phase 2 — self-service",
    ]
    assert rows[1][2] == "Nurses (300 users; Windows)"
    assert rows[2][3] == "Nurses (300 users; iOS/iPadOS)"
    markdown = to_markdown(platforms_plan())
    assert (
        "- Production phase 1, April 2027: 300 users, self-service; Windows · Umeå · 300 devices" in markdown
    )
    assert (
        "- Production phase 2, May 2027: 300 users, self-service; iOS/iPadOS · Umeå · 250 devices" in markdown
    )


def test_an_old_plan_shows_as_before() -> None:
    for plan in (old_plan(), old_plan("sv")):
        _, rows = table_rows(plan)
        assert [cell for row in rows for cell in row[1:] if cell] in (
            ["IT (20 users)", "Stores (120 users), Stores (80 users)", "Office (40 users)"],
            ["IT (20 användare)", "Butiker (120 användare), Butiker (80 användare)", "Office (40 användare)"],
        )
        for text in (to_table(plan), to_markdown(plan), to_html(plan), to_csv(plan)):
            assert "None" not in text
            assert " · " not in text
        for text in (to_table(plan), to_markdown(plan), to_html(plan)):
            assert "device" not in text
            assert "enhet" not in text
    assert "- Limited pilot, March 2027: 20 users, self-service\n" in to_markdown(old_plan())
    rows = list(csv.reader(io.StringIO(to_csv(old_plan()))))
    placements = [row[8:11] for row in rows[1:] if row[0] == "placement"]
    assert placements == [["", "", ""]] * 4  # the same columns, left empty


def test_csv_has_a_column_each_for_platforms_sites_and_devices() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(sites_plan()))))
    assert rows[0][7:12] == ["enrollment", "platforms", "sites", "devices", "rules"]
    assert rows[1][8:11] == ["Windows, iOS/iPadOS", "Umeå, Luleå", "35"]
    assert [r[9] for r in rows[2:4]] == ["Umeå", "Luleå"]
    swedish = list(csv.reader(io.StringIO(to_csv(sites_plan("sv")))))
    assert swedish[0][8:11] == ["plattformar", "platser", "enheter"]


def test_xlsx_rationale_has_platforms_sites_and_devices() -> None:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(export(sites_plan(), "xlsx")))
    rationale = [list(row) for row in book["Rationale"].iter_rows(values_only=True)]
    assert rationale[0][4:9] == ["Enrollment", "Platforms", "Sites", "Devices", "Rule"]
    assert [
        "Stores",
        "Production phase 1",
        "2027-04",
        80,
        "assisted",
        "Windows, iOS/iPadOS",
        "Luleå",
        90,
    ] in [row[:8] for row in rationale]
    assert book["Plan"]["C5"].value == BATCH
    old = load_workbook(io.BytesIO(export(old_plan(), "xlsx")))
    assert [row[5:8] for row in old["Rationale"].iter_rows(min_row=3, values_only=True)] == [
        (None, None, None)
    ] * 4
    swedish = load_workbook(io.BytesIO(export(sites_plan("sv"), "xlsx")))
    assert [c.value for c in swedish["Motivering"][1]][5:8] == ["Plattformar", "Platser", "Enheter"]


def test_the_pdf_html_shows_the_placements_and_escapes_sites() -> None:
    page = to_html(sites_plan(site="<b>Luleå</b>"))
    assert "<b>Luleå" not in page
    # the table: a group a line, what it enrolls below
    assert '<div>IT (20 users)<br><span class="meta">Umeå, &lt;b&gt;Luleå&lt;/b&gt;' in page
    assert (
        "20 users, <b>self-service</b>; Windows, iOS/iPadOS · Umeå, &lt;b&gt;Luleå&lt;/b&gt; · 35 devices"
        in page
    )


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils' pdftotext is not installed")
def test_the_pdf_shows_sites_and_devices(tmp_path: Path) -> None:
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(export(sites_plan("sv"), "pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Kiruna" in text
    assert "35 enheter" in text


@pytest.mark.parametrize("site", [FORMULA_SITE, *(trigger + MARK for trigger in TRIGGERS)])
@pytest.mark.parametrize("kind", sorted(READERS))
def test_a_site_named_like_a_formula_is_text_in_every_spreadsheet(kind: str, site: str) -> None:
    cells = READERS[kind](export(sites_plan(site=site), kind))
    assert [f"{c.sheet}!{c.column}: {c.text!r}" for c in cells if c.live] == []
    written = site.replace("\r", "\n") if kind == "xlsx" else site  # XML reads a CR back as a line feed
    assert any(c.text.lstrip("'") == written for c in cells)  # the site alone in its cell, never a formula
    assert any(written in c.text and not c.text.startswith("'") for c in cells)  # inside a longer text


def test_a_site_with_a_pipe_neither_adds_a_column_nor_ends_a_row_in_markdown() -> None:
    markdown = to_markdown(sites_plan(site=PIPE_SITE))
    html: str = MarkdownIt("commonmark").enable("table").render(markdown)
    table = html.split("<table>")[1].split("</table>")[0]
    header, body = table.split("</thead>")
    rows = body.split("<tr>")[1:]
    assert len(rows) == 3
    assert all(r.count("<td>") == header.count("<th>") == 4 for r in rows)
    assert "Stores (80 users; Umeå | Norr)" in html
    assert "self-service; Windows, iOS/iPadOS · Umeå, Umeå | Norr · 35 devices" in html  # the group list
