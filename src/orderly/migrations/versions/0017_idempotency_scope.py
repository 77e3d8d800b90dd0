"""idempotency scope: keys expire, and a stored response never holds a secret

Revision ID: 0017
Revises: 0016

A key is now bound to its request (method, route, path parameters and body, all in
`request_hash`), expires at `expires_at` (`ORDERLY_IDEMPOTENCY_KEY_TTL_HOURS` after it was
stored) and is pruned by a periodic job. Records stored before have their day from
`created_at`; their hash covered the body only, so a retry of such a request during that day is
answered 422 `idempotency_key_reused`, never run twice.

A response that showed a secret once is kept without it (`secret_withheld`), and a replay of it
is refused. Records kept before held the plaintext of issued API keys: the key is removed from
them here, as is the (already empty) secret of webhook subscriptions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "idempotency_keys",
        sa.Column("secret_withheld", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("idempotency_keys", sa.Column("expires_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE idempotency_keys SET expires_at = created_at + interval '24 hours'")
    op.alter_column("idempotency_keys", "expires_at", nullable=False)
    for member, marker in (("key", '"key":"oly_'), ("secret", '"secret":null')):
        op.execute(
            sa.text(
                """
                UPDATE idempotency_keys
                   SET response = convert_to(
                           (convert_from(response, 'UTF8')::jsonb - :member)::text, 'UTF8'),
                       secret_withheld = true
                 WHERE position(convert_to(:marker, 'UTF8') IN response) > 0
                """
            ).bindparams(member=member, marker=marker)
        )


def downgrade() -> None:
    op.drop_column("idempotency_keys", "expires_at")
    op.drop_column("idempotency_keys", "secret_withheld")
