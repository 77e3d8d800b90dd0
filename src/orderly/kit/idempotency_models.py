import sqlalchemy as sa

from orderly.kit.columns import created_at, org_column
from orderly.kit.db import metadata

# The first response to each Idempotency-Key, replayed for a retry with the same body.
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    org_column(),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("request_hash", sa.LargeBinary, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("response", sa.LargeBinary, nullable=False),
    created_at(),
    sa.PrimaryKeyConstraint("org_id", "key"),
)
