"""The rulebook in the database: the current content of each file, the head row that every change
bumps, and the history of every saved content, with who saved it and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from advisor.store.tables import RulebookHead, RuleFile, RuleFileVersion, User, now

HEAD = 1  # the id of the one head row
CHANNEL = "advisor_rulebook"  # PostgreSQL: notified in every transaction that bumps the head


@dataclass(frozen=True)
class Head:
    """Where the rulebook stands: a serial that every change bumps, and the rulebook's version."""

    serial: int
    version: str


def head(session: Session) -> Head | None:
    """The head (None before the rulebook is seeded): one primary-key read, cheap to poll."""
    row = session.execute(
        select(RulebookHead.serial, RulebookHead.version).where(RulebookHead.id == HEAD)
    ).one_or_none()
    return None if row is None else Head(row.serial, row.version)


def rulebook_files(session: Session) -> dict[str, str]:
    """Every file of the rulebook by name: rule files "x.yaml", scenarios "scenarios/x.yaml"."""
    return {name: content for name, content in session.execute(select(RuleFile.name, RuleFile.content))}


def rulebook_file(session: Session, name: str) -> str | None:
    return session.scalar(select(RuleFile.content).where(RuleFile.name == name))


def seed(session: Session, files: Mapping[str, str], version: str) -> None:
    """The first rulebook of an empty database. The head's insert is what makes it exclusive: of
    two processes seeding at once, the second fails on its primary key (IntegrityError at the
    flush) and its whole transaction, files included, is rolled back."""
    session.add(RulebookHead(id=HEAD, serial=1, version=version, changed_at=now()))
    session.flush()
    session.add_all(RuleFile(name=name, content=content, updated_at=now()) for name, content in files.items())
    _notify(session)


def change_files(
    session: Session, changes: Mapping[str, str | None], version: str, based_on: int
) -> int | None:
    """Write the files in `changes` (None removes one) and bump the head, provided the head is
    still the one numbered `based_on` (the serial the change was checked on); the new serial, or
    None when another change came first (then nothing is written: roll the transaction back)."""
    bumped = session.execute(
        update(RulebookHead)
        .where(RulebookHead.id == HEAD, RulebookHead.serial == based_on)
        .values(serial=based_on + 1, version=version, changed_at=now())
    )
    if bumped.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
        return None
    current = rulebook_files(session)
    for name, content in changes.items():
        if content is None:
            session.execute(delete(RuleFile).where(RuleFile.name == name))
        elif name in current:
            session.execute(
                update(RuleFile).where(RuleFile.name == name).values(content=content, updated_at=now())
            )
        else:
            session.add(RuleFile(name=name, content=content, updated_at=now()))
    session.flush()
    _notify(session)
    return based_on + 1


def _notify(session: Session) -> None:
    """On PostgreSQL, wake every listening process when this transaction commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {CHANNEL}"))


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
