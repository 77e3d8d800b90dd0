"""api key changes: every change to api_keys is announced on the channel orderly_api_keys

Revision ID: 0013
Revises: 0012

API processes keep the keys they have checked in memory, and forget them all as soon as any
key is revoked, changed or deleted: a trigger announces the change with NOTIFY, which
PostgreSQL delivers when the change commits, to every process that listens.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION orderly_api_keys_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('orderly_api_keys', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER api_keys_changed
        AFTER UPDATE OR DELETE OR TRUNCATE ON api_keys
        FOR EACH STATEMENT EXECUTE FUNCTION orderly_api_keys_changed()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER api_keys_changed ON api_keys")
    op.execute("DROP FUNCTION orderly_api_keys_changed()")
