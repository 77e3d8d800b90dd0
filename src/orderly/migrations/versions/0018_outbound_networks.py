"""outbound networks: private networks a webhook may reach; no receiver's answer kept

Revision ID: 0018
Revises: 0017

Webhook URLs may not lead to loopback, private or link-local addresses (kit.outbound). An admin
may allow named private networks for one webhook (an ERP on the premises): `allowed_networks`,
CIDRs. A failed delivery used to keep the first characters of the receiver's answer as its
error, which the API showed back; it now keeps the status code alone, and the answers already
kept are removed here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A failed attempt keeps its status code alone: the error kept with one (the answer) goes.
FORGET_ANSWERS = """
UPDATE webhook_deliveries
SET last_error = CASE WHEN last_status_code IS NULL THEN last_error END,
    log = (
        SELECT coalesce(
            jsonb_agg(
                CASE WHEN attempt->>'status_code' IS NULL THEN attempt
                     ELSE jsonb_set(attempt, '{error}', 'null') END
                ORDER BY n
            ),
            '[]'::jsonb
        )
        FROM jsonb_array_elements(log) WITH ORDINALITY AS a(attempt, n)
    )
WHERE last_status_code IS NOT NULL
   OR jsonb_path_exists(log, '$[*] ? (@.status_code != null && @.error != null)')
"""


def upgrade() -> None:
    op.add_column(
        "webhook_subscriptions",
        sa.Column(
            "allowed_networks",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
    )
    op.execute(FORGET_ANSWERS)


def downgrade() -> None:
    op.drop_column("webhook_subscriptions", "allowed_networks")
