"""Column helpers shared by every feature's tables."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg


def id_column() -> sa.Column[Any]:
    return sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True)


def org_column() -> sa.Column[Any]:
    return sa.Column(
        "org_id",
        sa.BigInteger,
        sa.ForeignKey("organizations.id", ondelete="CASCADE"),
        nullable=False,
    )


def owned_by_parent(
    parent: str, columns: list[str], parent_columns: list[str]
) -> sa.ForeignKeyConstraint:
    """The key of a row that belongs to a parent of its own organization: ``columns`` (the
    first is org_id, a plain column) reference ``parent_columns`` of ``parent``, org_id first.
    One key instead of one to the organization and one to the parent (migration 0016)."""
    return sa.ForeignKeyConstraint(
        columns, [f"{parent}.{c}" for c in parent_columns], ondelete="CASCADE"
    )


def created_at() -> sa.Column[Any]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def updated_at() -> sa.Column[Any]:
    return sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def jsonb(name: str, *, nullable: bool = True, default: str | None = None) -> sa.Column[Any]:
    return sa.Column(
        name,
        pg.JSONB,
        nullable=nullable,
        server_default=sa.text(f"'{default}'::jsonb") if default is not None else None,
    )


def text_array(name: str) -> sa.Column[Any]:
    return sa.Column(name, pg.ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'"))
