"""Directory imports kept between requests: the proposal waiting for its preview (aggregates
only, one per assessment) and each person's remembered column mappings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from advisor.store.tables import ColumnMapping, DirectoryProposal, now


def pending(session: Session, assessment_id: int) -> DirectoryProposal | None:
    """The proposal waiting for the assessment's preview, if there is one."""
    return session.get(DirectoryProposal, assessment_id)


def save_pending(
    session: Session, assessment_id: int, user_id: int, proposal: dict[str, Any]
) -> DirectoryProposal:
    """Keep a new proposal for the preview, replacing any earlier one (and its edits)."""
    session.execute(delete(DirectoryProposal).where(DirectoryProposal.assessment_id == assessment_id))
    row = DirectoryProposal(
        assessment_id=assessment_id, user_id=user_id, proposal=proposal, edits=[], created_at=now()
    )
    session.add(row)
    session.flush()
    return row


def set_edits(session: Session, assessment_id: int, edits: list[dict[str, Any]]) -> bool:
    """The preview's edits so far; False if no proposal waits (discarded or applied meanwhile)."""
    row = session.get(DirectoryProposal, assessment_id, with_for_update=True)
    if row is None:
        return False
    row.edits = list(edits)  # a new list: JSON columns notice replacement, not mutation
    return True


def drop_pending(session: Session, assessment_id: int) -> bool:
    """Delete the waiting proposal (applied or discarded); whether there was one."""
    statement = delete(DirectoryProposal).where(DirectoryProposal.assessment_id == assessment_id)
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
