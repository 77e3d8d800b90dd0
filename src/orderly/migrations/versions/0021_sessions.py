"""sessions: revocable dashboard sessions and sign-in throttling by client

Revision ID: 0021
Revises: 0020

`users.session_version` is copied into each dashboard session when the user signs in; signing
out, a password change, a role change or deactivation raise it, and every session holding an
older number is refused. Failed sign-ins are counted in `sign_in_failures` per client address
and per client and account, instead of locking the account (which let anyone lock it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("session_version", sa.Integer(), server_default="0", nullable=False)
    )
    op.drop_column("users", "failed_logins")
    op.drop_column("users", "locked_until")
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("window", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window", name="pk_sign_in_failures"),
        prefixes=["UNLOGGED"],
    )


def downgrade() -> None:
    op.drop_table("sign_in_failures")
    op.add_column("users", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "users", sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
    )
    op.drop_column("users", "session_version")
