"""The migrations build the schema the models declare: a table, column, index, key or constraint
added to a `models.py` without its migration (or the other way round) fails here, not in
production after an upgrade."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from orderly.schema import metadata

# Tables the models do not declare: the job queue's, installed by the first migration.
NOT_MODELLED_PREFIXES = ("procrastinate_", "alembic_version")


def _include(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    if kind == "table" and name is not None and name.startswith(NOT_MODELLED_PREFIXES):
        return False
    table = getattr(obj, "table", None)
    return not (table is not None and str(table.name).startswith(NOT_MODELLED_PREFIXES))


def test_the_migrated_database_matches_the_models(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_object": _include,
                    "compare_type": True,
                    "compare_server_default": False,
                },
            )
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == [], "\n".join(str(d) for d in differences)
