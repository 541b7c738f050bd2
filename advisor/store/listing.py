"""The assessments list, a page at a time: searched, filtered and sorted in the database.

Pages are found by keyset, never by OFFSET: a page ends at a row, and the next page starts after
that row's sort key and id (both in an opaque cursor). An assessment saved or created meanwhile
moves to the top of the default order and never shifts the rows of the pages after; the cost of
a page does not grow with how far in it lies. Each order has its index (see tables).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from advisor.store.tables import MAX_ID, SUMMARY_ONLY, AssessmentRecord, ReviewStatus, Role, User

MAX_QUERY = 200  # characters of a search: no title or organisation name is longer
# Characters of a cursor's sort key, and of a cursor: a title and an organisation name, 401
# characters at most, fit however case-folding lengthens them (at most threefold); the cursor
# stays within the request line a server takes (gunicorn's: 4,094 bytes) for any usual title.
MAX_KEY = 1300
MAX_CURSOR = 3000


class Sort(StrEnum):
    CHANGED = "changed"  # recently changed first (the default)
    CREATED = "created"  # recently created first
    TITLE = "title"  # by title, A to Z whatever the case (then by organisation)


# Each order's column, and whether it runs from the highest value down.
_ORDER: dict[Sort, tuple[InstrumentedAttribute[Any], bool]] = {
    Sort.CHANGED: (AssessmentRecord.updated_at, True),
    Sort.CREATED: (AssessmentRecord.created_at, True),
    Sort.TITLE: (AssessmentRecord.search_text, False),
}


class BadListQuery(ValueError):
    """A list parameter that cannot be used: which one (`field`), and why, in English."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after (or, going back, before) the row with this sort key and id."""

    sort: Sort
    before: bool
    key: datetime | str
    id: int

    def encode(self) -> str:
        key = self.key.isoformat() if isinstance(self.key, datetime) else self.key
        raw = json.dumps([self.sort.value, "b" if self.before else "a", key, self.id], ensure_ascii=False)
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """The cursor a page link carries; BadListQuery for anything this module did not write."""
        refused = BadListQuery(
            "page", "is not a page of this list: follow the list's own next and prev links"
        )
        if len(text) > MAX_CURSOR:
            raise refused
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            sort_name, direction, key, row_id = json.loads(raw.decode())
            sort = Sort(sort_name)
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
            raise refused from None
        if direction not in ("a", "b") or not isinstance(key, str) or len(key) > MAX_KEY:
            raise refused
        if not isinstance(row_id, int) or isinstance(row_id, bool) or not 1 <= row_id <= MAX_ID:
            raise refused
        if sort is Sort.TITLE:
            return cls(sort, direction == "b", key, row_id)
        try:
            moment = datetime.fromisoformat(key)
        except ValueError:
            raise refused from None
        if moment.tzinfo is None:
            raise refused
        return cls(sort, direction == "b", moment, row_id)


@dataclass(frozen=True)
class ListQuery:
    """What a list shows: a search, filters, an order and where the page starts."""

    q: str = ""
    status: ReviewStatus | None = None
    owner: str | None = None  # a username
    sort: Sort = Sort.CHANGED
    waiting: bool = False  # only those waiting on the reader (see `waiting_filter`)
    page: Cursor | None = None

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> ListQuery:
        """The query from a page's or the API's parameters (absent or empty: no filter);
        BadListQuery naming the first that cannot be used."""
        q = " ".join(args.get("q", "").split())
        if len(q) > MAX_QUERY:
            raise BadListQuery("q", f"must be at most {MAX_QUERY} characters")
        status = None
        if text := args.get("status", ""):
            try:
                status = ReviewStatus(text)
            except ValueError:
                raise BadListQuery("status", f"must be one of: {', '.join(ReviewStatus)}") from None
        owner = args.get("owner", "") or None
        if owner is not None and len(owner) > 64:
            raise BadListQuery("owner", "is not a username: a username has at most 64 characters")
        try:
            sort = Sort(args.get("sort", "") or Sort.CHANGED)
        except ValueError:
            raise BadListQuery("sort", f"must be one of: {', '.join(Sort)}") from None
        waiting = args.get("waiting", "")
        if waiting not in ("", "0", "1", "true", "false"):
            raise BadListQuery("waiting", "must be true or false")
        page = Cursor.decode(text) if (text := args.get("page", "")) else None
        if page is not None and page.sort is not sort:
            raise BadListQuery("page", f"is a page of the list sorted by {page.sort}, not by {sort}")
        return cls(q, status, owner, sort, waiting in ("1", "true"), page)

    def arguments(self, page: str | None = None) -> dict[str, str]:
        """The parameters that ask for this query again (at `page`), the defaults left out."""
        given = {
            "q": self.q,
            "status": self.status.value if self.status else "",
            "owner": self.owner or "",
            "sort": "" if self.sort is Sort.CHANGED else self.sort.value,
            "waiting": "1" if self.waiting else "",
            "page": page or "",
        }
        return {name: value for name, value in given.items() if value}


@dataclass(frozen=True)
class Page:
    records: list[AssessmentRecord]  # without their answers and plans (SUMMARY_ONLY)
    count: int  # every assessment the query matches, on all its pages
    next: str | None  # the cursor of the page after, if there is one
    prev: str | None  # the cursor of the page before, if there is one


def waiting_filter(user: User) -> ColumnElement[bool]:
    """The assessments waiting on `user`: for a reviewer (or an admin), the others' assessments
    in review; for an author, their own sent back to them."""
    if user.role in (Role.REVIEWER, Role.ADMIN):
        return (AssessmentRecord.status == ReviewStatus.IN_REVIEW) & (AssessmentRecord.owner_id != user.id)
    return (AssessmentRecord.status == ReviewStatus.CHANGES_REQUESTED) & (
        AssessmentRecord.owner_id == user.id
    )


def waiting_count(session: Session, user: User) -> int:
    query = select(func.count()).select_from(AssessmentRecord).where(waiting_filter(user))
    return session.scalar(query) or 0


def first_waiting(session: Session, user: User, size: int) -> list[AssessmentRecord]:
    """The `size` assessments that have waited on `user` the least time (most recently changed)."""
    statement = page_statement(user, ListQuery(waiting=True), size).limit(size)
    return list(session.scalars(statement))


def _filters(user: User, query: ListQuery) -> list[ColumnElement[bool]]:
    """Who may see whose (an author their own; reviewers and admins every one), then the query's."""
    found: list[ColumnElement[bool]] = []
    if user.role == Role.RESPONDENT:
        found.append(AssessmentRecord.owner_id == user.id)
    if query.waiting:
        found.append(waiting_filter(user))
    if query.status is not None:
        found.append(AssessmentRecord.status == query.status)
    if query.owner is not None:
        owner_id = select(User.id).where(User.username == query.owner).scalar_subquery()
        found.append(AssessmentRecord.owner_id == owner_id)
    if query.q:
        found.append(AssessmentRecord.search_text.contains(query.q.casefold(), autoescape=True))
    return found


def _keyed(statement: Select[Any], sort: Sort, cursor: Cursor | None, backwards: bool) -> Select[Any]:
    column, descending = _ORDER[sort]
    if backwards:
        descending = not descending
    if cursor is not None:
        mark = tuple_(literal(cursor.key, column.type), literal(cursor.id, AssessmentRecord.id.type))
        row = tuple_(column, AssessmentRecord.id)
        statement = statement.where(row < mark if descending else row > mark)
    if descending:
        return statement.order_by(column.desc(), AssessmentRecord.id.desc())
    return statement.order_by(column.asc(), AssessmentRecord.id.asc())


def _cursor(record: AssessmentRecord, sort: Sort, before: bool) -> str:
    column, _descending = _ORDER[sort]
    return Cursor(sort, before, getattr(record, column.key), record.id).encode()


def page_statement(user: User, query: ListQuery, size: int) -> Select[Any]:
    """The SELECT of a page: `size` + 1 rows (the one more tells whether a page follows), read
    backwards when the cursor points back."""
    backwards = query.page is not None and query.page.before
    statement = select(AssessmentRecord).options(*SUMMARY_ONLY).where(*_filters(user, query))
    return _keyed(statement, query.sort, query.page, backwards).limit(size + 1)


def assessment_page(session: Session, user: User, query: ListQuery, size: int) -> Page:
    """A page (`size` rows at most) of the assessments `user` may see that match `query`, and the
    count of them all."""
    count = (
        session.scalar(select(func.count()).select_from(AssessmentRecord).where(*_filters(user, query))) or 0
    )
    cursor = query.page
    backwards = cursor is not None and cursor.before
    records = list(session.scalars(page_statement(user, query, size)))
    more = len(records) > size
    records = records[:size]
    if backwards:
        records.reverse()
        has_prev, has_next = more, True
    else:
        has_prev, has_next = cursor is not None, more
    return Page(
        records,
        count,
        _cursor(records[-1], query.sort, False) if has_next and records else None,
        _cursor(records[0], query.sort, True) if has_prev and records else None,
    )
