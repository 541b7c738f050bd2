"""Why an uploaded export was refused: a code the site translates, positions but never values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from advisor.model.errors import InputError, Problem
from advisor.model.i18n import N_, gettext
from advisor.model.vocabulary import Language

Kind = Literal["users", "devices"]
KINDS: tuple[Kind, ...] = ("users", "devices")

# Every message names a position (line, column) or a count, never a cell's value: a value may be a
# person's name or address, and these messages reach logs.
MESSAGES: dict[str, str] = {
    "workbook": N_("this is an Excel workbook, not a CSV file: open it in Excel and save it as CSV"),
    "binary": N_("this is not a text file (it holds binary data near line %(line)s)"),
    "not_csv": N_(
        "this is not a CSV file: the first line has no columns separated by commas, semicolons or tabs"
    ),
    "encoding": N_(
        "line %(line)s is not UTF-8 text, though the lines before it were: save the file again as UTF-8"
    ),
    "undecodable": N_("line %(line)s holds bytes that are neither UTF-8 nor Windows-1252 text"),
    "not_as_marked": N_(
        "line %(line)s is not %(encoding)s text, though the file starts with the mark of that encoding: "
        "save the file again"
    ),
    "empty": N_("the file is empty"),
    "no_rows": N_("the file has a header line but no rows"),
    "users_as_devices": N_(
        "this looks like a users export (from Microsoft Entra ID), but a devices export (from Intune) "
        "was expected"
    ),
    "devices_as_users": N_(
        "this looks like a devices export (from Intune), but a users export (from Microsoft Entra ID) "
        "was expected"
    ),
    "field_count": N_("line %(line)s has %(found)s fields where the header has %(expected)s"),
    "field_too_long": N_("line %(line)s, column %(column)s: the field is longer than %(limit)s characters"),
    "line_too_long": N_("line %(line)s is longer than %(limit)s characters"),
    "bad_quotes": N_("line %(line)s: the quoting is broken (%(detail)s)"),
    "missing_columns": N_("the file has no column for: %(fields)s"),
    "too_many_rows": N_("the file has more than %(limit)s rows"),
    "too_large": N_("the file is larger than %(megabytes)s MB"),
}


class FileRefused(InputError):
    """An export refused whole: `code` says why (the site translates it), `line` and `column`
    where (1-based; None when it is about the file as a whole), `values` fill the message."""

    exit_code = 2

    def __init__(
        self,
        code: str,
        kind: Kind,
        *,
        line: int | None = None,
        column: int | None = None,
        source: str | None = None,
        **values: object,
    ) -> None:
        self.code = code
        self.kind = kind
        self.line = line
        self.column = column
        self.values = {"line": line, "column": column, **values}
        super().__init__(source or f"{kind} file", [Problem("", self.say("en"))])

    def format_message(self) -> str:
        return f"{self.source}: {self.say('en')}"

    def say(self, language: Language) -> str:
        """The reason in `language`, as a sentence without the file's name."""
        return gettext(MESSAGES[self.code], language, **self.values)


class MissingColumns(FileRefused):
    """Columns the import needs are not in the file: the site asks which header holds each
    (`missing` are field codes, `headers` what the file has), and remembers the answer."""

    def __init__(self, kind: Kind, missing: Sequence[str], headers: Sequence[str], source: str | None = None):
        self.missing = tuple(missing)
        self.headers = tuple(headers)
        super().__init__("missing_columns", kind, source=source, fields=", ".join(self.missing))
