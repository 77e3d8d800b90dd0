"""Alembic environment: runs migrations on the URL the caller put in the config."""

from alembic import context
from sqlalchemy import create_engine, pool

from orderly.kit.db import async_url
from orderly.schema import metadata

config = context.config


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "orderly.migrate sets sqlalchemy.url"
    engine = create_engine(async_url(url), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
