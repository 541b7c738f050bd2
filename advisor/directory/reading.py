"""Streaming readers of the two exports: bytes in, one small row at a time out, memory flat.

The encoding is sniffed: a byte-order mark says UTF-8 or UTF-16 (Excel's "Unicode text", usually
tab-separated); otherwise the text is UTF-8, or Windows-1252 when its first non-ASCII byte is not
UTF-8 (Excel's "CSV" on a Western Windows). The delimiter (comma, semicolon as Swedish Excel
writes, or tab) is sniffed from the header line. No message ever quotes a cell: positions only.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from advisor.directory.columns import FIELDS, ColumnMapping, looks_like, normalise, resolve, shown_headers
from advisor.directory.errors import FileRefused, Kind, MissingColumns

if TYPE_CHECKING:
    from _csv import Reader  # what csv.reader returns; it counts the lines it read

CHUNK = 64 * 1024
MAX_LINE = 1_000_000  # characters in one physical line
MAX_FIELD = 1024  # characters in a field the import reads (a UPN is at most 113)
MAX_ROWS = 2_000_000
DELIMITERS = (",", ";", "\t")
OwnershipSeen = Literal["corporate", "personal", "unknown"]

_WORKBOOKS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # XLSX (a ZIP), XLS (OLE2)
_FALSE = frozenset({"false", "no", "0", "n", "disabled", "nej", "falskt", "falsk", "inaktiverad"})
_SAID = {"utf-16": "UTF-16", "utf-8": "UTF-8", "cp1252": "Windows-1252"}
_QUOTED = re.compile(r'"[^"]*"')
_LONE_CR = re.compile(r"\r(?!\n)")
_SEP_LINE = re.compile(r"^sep=(.)\r?\n?$")  # Excel's hint line, `sep=;`, before the header


@runtime_checkable
class Readable(Protocol):
    """What the readers read from: a binary file, a request's stream, or `SizeLimited` around one."""

    def read(self, size: int = -1, /) -> bytes: ...


class SizeLimited:
    """A stream refused (FileRefused `too_large`) as soon as more than `limit` bytes are read from
    it: for an upload whose length is not known before it is read (a chunked CSV body)."""

    def __init__(self, stream: Readable, limit: int, kind: Kind, source: str | None = None) -> None:
        self.stream, self.limit, self.kind, self.source = stream, limit, kind, source
        self.consumed = 0

    def read(self, size: int = -1, /) -> bytes:
        data = self.stream.read(size)
        self.consumed += len(data)
        if self.consumed > self.limit:
            raise FileRefused("too_large", self.kind, source=self.source, megabytes=self.limit // 1_000_000)
        return data


@dataclass(frozen=True, slots=True)
class UserRow:
    upn: str  # lower case, stripped; '' when the row has none
    department: str | None  # as written (spelling variants are the report's business)
    enabled: bool
    guest: bool
    job_title: str | None
    site: str | None  # the office, else the city, else the country, else the usage location


@dataclass(frozen=True, slots=True)
class DeviceRow:
    upn: str | None  # the primary user's, lower case; None for a device without one
    os: str
    os_version: str
    ownership: OwnershipSeen
    managed_by: str
    intune: bool  # managed by Intune (alone or co-managed with Configuration Manager)
    last_check_in: datetime | None  # UTC; None when empty or unreadable


def read_users(
    stream: Readable,
    mapping: ColumnMapping | Mapping[str, str] | None = None,
    source: str | None = None,
    headers: list[str] | None = None,
) -> Iterator[UserRow]:
    """The users of an Entra ID export, one at a time (`headers`, if given, receives the file's
    header line once it is read)."""
    rows, columns = _table(stream, "users", mapping, source, headers)
    upn, dept = columns["upn"], columns["department"]
    # Enabled as accountEnabled says, else as "Block sign in" says the opposite.
    enabled, blocked = columns.get("account_enabled"), columns.get("sign_in_blocked")
    kind, title = columns.get("user_type"), columns.get("job_title")
    sites = [columns[f] for f in ("office", "city", "country", "usage_location") if f in columns]
    for row in rows:
        address = row[upn].strip().lower()
        department = row[dept].strip() and row[dept]
        site = next((row[i].strip() for i in sites if row[i].strip()), None)
        if enabled is not None:
            active = row[enabled].strip().casefold() not in _FALSE
        else:
            active = row[blocked].strip().casefold() in _FALSE  # type: ignore[index]
        yield UserRow(
            address,
            department or None,
            active,
            (kind is not None and row[kind].strip().casefold() == "guest") or "#ext#" in address,
            (row[title].strip() or None) if title is not None else None,
            site,
        )


def read_devices(
    stream: Readable,
    mapping: ColumnMapping | Mapping[str, str] | None = None,
    source: str | None = None,
    headers: list[str] | None = None,
) -> Iterator[DeviceRow]:
    """The devices of an Intune export, one at a time (`headers`, if given, receives the file's
    header line once it is read)."""
    rows, columns = _table(stream, "devices", mapping, source, headers)
    upn, os, version, owner, managed, seen = (
        columns[f] for f in ("upn", "os", "os_version", "ownership", "managed_by", "last_check_in")
    )
    for row in rows:
        address = row[upn].strip().lower()
        agent = row[managed].strip()
        yield DeviceRow(
            address or None,
            row[os].strip(),
            row[version].strip(),
            ownership_of(row[owner]),
            agent,
            by_intune(agent),
            parse_time(row[seen]),
        )


def is_enrolled(device: DeviceRow, now: datetime, active_days: int) -> bool:
    """Enrolled, for the progress: managed by Intune and checked in within `active_days` of `now`
    (the rule file's directory_active_days); a time in the future (a skewed clock) counts."""
    seen = device.last_check_in
    return device.intune and seen is not None and (now - seen).total_seconds() <= active_days * 86_400


def ownership_of(value: str) -> OwnershipSeen:
    """Intune's Ownership column (`Corporate`, `Personal`) or Graph's owner type (`company`)."""
    word = value.strip().casefold()
    if word in ("corporate", "company", "företag"):
        return "corporate"
    return "personal" if word in ("personal", "personlig", "privat") else "unknown"


def by_intune(agent: str) -> bool:
    """Whether Intune manages the device: `Intune`, `Co-managed`, `MDM`, or Graph's agents that
    include MDM (`mdm`, `easMdm`, `configurationManagerClientMdm`, `intuneClient`, ...)."""
    word = agent.casefold()
    return "intune" in word or "mdm" in word or word.replace(" ", "") in ("co-managed", "comanaged")


_TIME_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
)


def parse_time(value: str) -> datetime | None:
    """A check-in time as the exports write it (ISO 8601, with up to seven decimals, or the US
    form); naive times are UTC. None when empty or unreadable (the progress counts those)."""
    text = value.strip()
    if not text:
        return None
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(text.replace(" UTC", "").replace(".0000000", ""))
    except ValueError:
        moment = _strptime(text)
        if moment is None:
            return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _strptime(text: str) -> datetime | None:
    for form in _TIME_FORMATS:
        try:
            return datetime.strptime(text, form)
        except ValueError:
            continue
    return None


def read_headers(stream: Readable, kind: Kind, source: str | None = None) -> tuple[str, ...]:
    """The header line only (for a mapping form), as it may be shown."""
    lines = _lines(stream, kind, source)
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise FileRefused("empty", kind, source=source)
    delimiter, first = _delimiter(first, lines, kind, source)
    return shown_headers(next(csv.reader([first], delimiter=delimiter), []))


def _table(
    stream: Readable,
    kind: Kind,
    mapping: ColumnMapping | Mapping[str, str] | None,
    source: str | None,
    seen: list[str] | None = None,
) -> tuple[Iterator[list[str]], dict[str, int]]:
    """The rows after the header line, each checked for its width and the length of the fields
    read, and where each field is."""
    lines = _lines(stream, kind, source)
    skipped = 0  # lines before the header (blank ones, Excel's sep= line): csv's count starts after
    first = None
    for line in lines:
        if line.strip():
            first = line
            break
        skipped += 1
    if first is None:
        raise FileRefused("empty", kind, source=source)
    delimiter, header = _delimiter(first, lines, kind, source)
    skipped += header is not first
    reader = csv.reader(itertools.chain([header], lines), delimiter=delimiter)
    headers = _next(reader, kind, source, skipped)
    if headers is None or not any(h.strip() for h in headers):
        raise FileRefused("empty", kind, source=source)
    if seen is not None:
        seen[:] = [h.strip() for h in headers]
    try:
        columns = resolve(kind, headers, mapping)
    except MissingColumns as missing:
        other = looks_like(headers)
        if other is not None and other != kind:
            raise FileRefused(f"{other}_as_{kind}", kind, source=source) from None
        raise MissingColumns(kind, missing.missing, missing.headers, source) from None
    return _rows(reader, len(headers), sorted(columns.values()), kind, source, skipped), columns


def _rows(
    reader: Reader, width: int, used: list[int], kind: Kind, source: str | None, skipped: int
) -> Iterator[list[str]]:
    def line_num() -> int:
        return reader.line_num + skipped

    count = 0
    while (row := _next(reader, kind, source, skipped)) is not None:
        if not row:
            continue  # a blank line
        if len(row) != width and not (len(row) > width and not any(row[width:])):
            if len(row) < width and not any(row):
                continue  # a line of empty fields only
            raise FileRefused(
                "field_count", kind, line=line_num(), source=source, found=len(row), expected=width
            )
        for index in used:
            if len(row[index]) > MAX_FIELD:
                raise FileRefused(
                    "field_too_long", kind, line=line_num(), column=index + 1, source=source, limit=MAX_FIELD
                )
        count += 1
        if count > MAX_ROWS:
            raise FileRefused("too_many_rows", kind, source=source, limit=MAX_ROWS)
        yield row
    if count == 0:
        raise FileRefused("no_rows", kind, source=source)


def _next(reader: Reader, kind: Kind, source: str | None, skipped: int) -> list[str] | None:
    try:
        return next(reader, None)
    except csv.Error as exc:
        line = reader.line_num + skipped
        if "field larger than field limit" in str(exc):
            raise FileRefused(
                "field_too_long", kind, line=line, source=source, limit=csv.field_size_limit()
            ) from None
        # csv's own words name no value ("unexpected end of data", "new-line character seen ...")
        raise FileRefused("bad_quotes", kind, line=line, source=source, detail=str(exc)[:120]) from None


def _delimiter(first: str, lines: Iterator[str], kind: Kind, source: str | None) -> tuple[str, str]:
    """The delimiter (from Excel's `sep=` line, else the most frequent of the three outside quotes in
    the header line) and the header line."""
    hint = _SEP_LINE.match(first)
    if hint:
        header = next(lines, None)
        if header is None:
            raise FileRefused("empty", kind, source=source)
        return hint.group(1), header
    bare = _QUOTED.sub("", first)
    counts = {d: bare.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    if counts[best] == 0:
        known = {normalise(a) for aliases in FIELDS[kind].values() for a in aliases}
        if normalise(first) not in known:
            raise FileRefused("not_csv", kind, source=source)
        best = ","
    return best, first


def _lines(stream: Readable, kind: Kind, source: str | None) -> Iterator[str]:
    """The physical lines of the decoded text, each ending with its newline (the last may not).
    A carriage return alone ends a line too (old Mac files): it is read as a newline."""
    partial = ""
    line = 1  # the number of the line `partial` starts
    held = ""  # a carriage return at the end of a chunk: the next one says whether \n follows
    for text in _texts(stream, kind, source):
        if "\x00" in text:
            at = line + (partial + text[: text.index("\x00")]).count("\n")
            raise FileRefused("binary", kind, line=at, source=source)
        text = held + text
        held = ""
        if text.endswith("\r"):
            text, held = text[:-1], "\r"
        if "\r" in text:
            text = _LONE_CR.sub("\n", text)
        parts = (partial + text).split("\n")
        partial = parts.pop()
        line += len(parts)
        if len(partial) > MAX_LINE:
            raise FileRefused("line_too_long", kind, line=line, source=source, limit=MAX_LINE)
        for part in parts:
            yield part + "\n"
    partial += "\n" if held else ""
    if partial:
        yield partial


def _texts(stream: Readable, kind: Kind, source: str | None) -> Iterator[str]:
    """Decoded text, chunk by chunk (see the module's docstring for the encodings)."""
    first = stream.read(CHUNK)
    # A stream may give fewer bytes than asked: the marks and signatures need their first four.
    while first and len(first) < 4:
        more = stream.read(CHUNK)
        if not more:
            break
        first += more
    if not first:
        return
    if first.startswith(_WORKBOOKS):
        raise FileRefused("workbook", kind, source=source)
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        yield from _strict(first, stream, "utf-16", kind, source)
    elif first.startswith(codecs.BOM_UTF8):
        yield from _strict(first[3:], stream, "utf-8", kind, source)
    elif b"\x00" in first:
        raise FileRefused("binary", kind, line=first[: first.index(b"\x00")].count(b"\n") + 1, source=source)
    else:
        yield from _utf8_or_1252(first, stream, kind, source)


def _strict(
    first: bytes, stream: Readable, encoding: str, kind: Kind, source: str | None, lines: int = 1
) -> Iterator[str]:
    """The text in `encoding`, refused at the first byte that is not (`lines`: the line it starts on)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    chunk = first
    while True:
        final = not chunk
        try:
            text = decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            at = lines + exc.object[: exc.start].decode(encoding, "replace").count("\n")
            code = "undecodable" if encoding == "cp1252" else "not_as_marked"
            raise FileRefused(code, kind, line=at, source=source, encoding=_SAID[encoding]) from None
        lines += text.count("\n")
        if text:
            yield text
        if final:
            return
        chunk = stream.read(CHUNK)


def _utf8_or_1252(first: bytes, stream: Readable, kind: Kind, source: str | None) -> Iterator[str]:
    """UTF-8 until a byte that is not: Windows-1252 from there if every byte before it was ASCII
    (the same in both, so nothing read so far changes), else an error naming the line. The state
    lives across chunks: an "é" after 64 KB of ASCII is still read right."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 1
    multibyte = False  # real UTF-8 beyond ASCII seen: the file is UTF-8
    chunk = first
    while True:
        final = not chunk
        try:
            text = decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            data: bytes = exc.object
            before = data[: exc.start]
            if multibyte or not before.isascii():
                at = lines + before.count(b"\n")
                raise FileRefused("encoding", kind, line=at, source=source) from None
            yield from _strict(data, stream, "cp1252", kind, source, lines)
            return
        if not multibyte and not text.isascii():
            multibyte = True
        lines += text.count("\n")
        if text:
            yield text
        if final:
            return
        chunk = stream.read(CHUNK)
