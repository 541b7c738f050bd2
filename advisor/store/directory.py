"""Directory imports kept between requests: the proposal waiting for its preview (aggregates
only, one per assessment) and each person's remembered column mappings."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from advisor.store.tables import ColumnMapping, DirectoryProposal, now


def new_token() -> str:
    return secrets.token_urlsafe(16)  # 22 characters


def pending(
    session: Session, assessment_id: int, max_age: timedelta | None = None
) -> DirectoryProposal | None:
    """The proposal waiting for the assessment's preview, if there is one; one older than
    `max_age` is deleted instead (left waiting: its aggregates are not kept for ever)."""
    row = session.get(DirectoryProposal, assessment_id)
    if row is not None and max_age is not None and row.created_at < now() - max_age:
        session.delete(row)
        session.flush()
        return None
    return row


def save_pending(
    session: Session, assessment_id: int, user_id: int, proposal: dict[str, Any]
) -> DirectoryProposal:
    """Keep a new proposal for the preview, replacing any earlier one (and its edits)."""
    session.execute(delete(DirectoryProposal).where(DirectoryProposal.assessment_id == assessment_id))
    row = DirectoryProposal(
        assessment_id=assessment_id,
        user_id=user_id,
        proposal=proposal,
        edits=[],
        token=new_token(),
        created_at=now(),
    )
    session.add(row)
    session.flush()
    return row


def set_edits(session: Session, assessment_id: int, token: str, edits: list[dict[str, Any]]) -> str | None:
    """The preview's edits so far, made on the proposal as `token` names it; its new token, or
    None if that proposal no longer waits as it was (discarded, applied, replaced by another
    upload or edited meanwhile)."""
    row = session.get(DirectoryProposal, assessment_id, with_for_update=True)
    if row is None or not secrets.compare_digest(row.token, token):
        return None
    row.edits = list(edits)  # a new list: JSON columns notice replacement, not mutation
    row.token = new_token()
    return row.token


def drop_pending(session: Session, assessment_id: int, token: str | None = None) -> bool:
    """Delete the waiting proposal (applied or discarded), only if `token` still names it when
    given; whether there was one."""
    statement = delete(DirectoryProposal).where(DirectoryProposal.assessment_id == assessment_id)
    if token is not None:
        statement = statement.where(DirectoryProposal.token == token)
    result = session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]  # a DML result (CursorResult) has rowcount


def remembered_mapping(session: Session, user_id: int, kind: str) -> dict[str, str]:
    """The columns this person mapped for a kind of export ("users", "devices"); {} if none."""
    found = session.scalar(
        select(ColumnMapping.mapping).where(ColumnMapping.user_id == user_id, ColumnMapping.kind == kind)
    )
    return dict(found or {})


def remember_mapping(session: Session, user_id: int, kind: str, mapping: dict[str, str]) -> None:
    """Keep the mapping for this person's next upload of that kind (merged over the one kept)."""
    row = session.get(ColumnMapping, (user_id, kind))
    if row is None:
        session.add(ColumnMapping(user_id=user_id, kind=kind, mapping=dict(mapping), updated_at=now()))
    else:
        row.mapping = {**row.mapping, **mapping}
        row.updated_at = now()
    session.flush()
