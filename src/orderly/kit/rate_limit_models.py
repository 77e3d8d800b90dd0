import sqlalchemy as sa

from orderly.kit.db import metadata

# Requests per API key per minute, shared by every API process. Keyed by a prefix of the key's
# SHA-256, never the key. UNLOGGED: a counter lost in a crash costs nothing worth WAL.
rate_limit_windows = sa.Table(
    "rate_limit_windows",
    metadata,
    sa.Column("key_id", sa.Text, nullable=False),
    sa.Column("window", sa.BigInteger, nullable=False),
    sa.Column("requests", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("key_id", "window"),
    prefixes=["UNLOGGED"],
)
