import sqlalchemy as sa

from orderly.kit.columns import created_at, org_column
from orderly.kit.db import metadata

# The first response to each Idempotency-Key, replayed for the same request until the key
# expires; a response that showed a secret is kept without it (secret_withheld).
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    org_column(),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("request_hash", sa.LargeBinary, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("response", sa.LargeBinary, nullable=False),
    sa.Column("secret_withheld", sa.Boolean, nullable=False, server_default=sa.false()),
    created_at(),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("org_id", "key"),
)
