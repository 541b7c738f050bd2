"""The history of the rule files: every saved content, with who saved it and why."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from advisor.store.tables import RuleFileVersion, User


def rule_file_versions(session: Session, file: str) -> list[RuleFileVersion]:
    return list(
        session.scalars(
            select(RuleFileVersion).where(RuleFileVersion.file == file).order_by(RuleFileVersion.number)
        )
    )


def add_rule_file_version(
    session: Session, file: str, content: str, author: User | None, message: str, rulebook_version: str
) -> RuleFileVersion:
    number = (
        session.scalar(select(func.max(RuleFileVersion.number)).where(RuleFileVersion.file == file)) or 0
    ) + 1
    entry = RuleFileVersion(
        file=file,
        number=number,
        content=content,
        author_id=author.id if author else None,
        message=message[:500],
        rulebook_version=rulebook_version,
    )
    session.add(entry)
    session.flush()
    return entry
