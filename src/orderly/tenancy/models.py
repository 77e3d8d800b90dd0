import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from orderly.kit.columns import created_at, id_column, org_column
from orderly.kit.db import metadata

organizations = sa.Table(
    "organizations",
    metadata,
    id_column(),
    sa.Column("slug", sa.Text, nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("fraud_hold_threshold", sa.Integer, nullable=False, server_default="100"),
    created_at(),
)

# The hierarchy: org > brand > region > location group (locations hang off a group).
brands = sa.Table(
    "brands",
    metadata,
    id_column(),
    org_column(),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    created_at(),
    sa.UniqueConstraint("org_id", "code"),
)

regions = sa.Table(
    "regions",
    metadata,
    id_column(),
    org_column(),
    sa.Column("brand_id", sa.BigInteger, sa.ForeignKey("brands.id"), nullable=False),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    created_at(),
    sa.UniqueConstraint("org_id", "code"),
)

location_groups = sa.Table(
    "location_groups",
    metadata,
    id_column(),
    org_column(),
    sa.Column("region_id", sa.BigInteger, sa.ForeignKey("regions.id"), nullable=False),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    created_at(),
    sa.UniqueConstraint("org_id", "code"),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    id_column(),
    org_column(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("prefix", sa.Text, nullable=False),
    sa.Column("key_hash", sa.LargeBinary, nullable=False, unique=True),
    sa.Column("role", sa.Text, nullable=False),
    created_at(),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)

# People who sign in to the dashboard. `location_ids` limits an associate to some locations
# (empty: every location). Passwords are argon2id hashes.
users = sa.Table(
    "users",
    metadata,
    id_column(),
    org_column(),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column(
        "location_ids", pg.ARRAY(sa.BigInteger), nullable=False, server_default=sa.text("'{}'")
    ),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    # Copied into each dashboard session at sign-in; raising it ends every session of the user.
    sa.Column("session_version", sa.Integer, nullable=False, server_default="0"),
    created_at(),
    sa.Column("last_login_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("org_id", "email"),
)

# Failed dashboard sign-ins per fixed window, keyed by client address or by client and account
# (tenancy.sign_in). UNLOGGED: a count lost in a crash costs nothing worth WAL.
sign_in_failures = sa.Table(
    "sign_in_failures",
    metadata,
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("window", sa.BigInteger, nullable=False),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("key", "window"),
    prefixes=["UNLOGGED"],
)
