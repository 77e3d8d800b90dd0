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
    # Failed sign-ins in a row; past a few the account is locked for a while.
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", sa.DateTime(timezone=True)),
    created_at(),
    sa.Column("last_login_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("org_id", "email"),
)
