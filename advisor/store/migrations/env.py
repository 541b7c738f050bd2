"""Alembic environment: the URL comes from the caller (advisor.store.migrate), never from a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from advisor.store.tables import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "advisor.store.migrate passes the database URL"  # noqa: S101

engine = create_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=url.startswith("sqlite"),
    )  # SQLite needs batch ALTERs
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
