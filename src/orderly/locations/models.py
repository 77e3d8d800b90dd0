import sqlalchemy as sa

from orderly.kit.columns import created_at, id_column, jsonb, org_column, text_array, updated_at
from orderly.kit.db import metadata

locations = sa.Table(
    "locations",
    metadata,
    id_column(),
    org_column(),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("group_id", sa.BigInteger, sa.ForeignKey("location_groups.id")),
    jsonb("address", nullable=False, default="{}"),
    sa.Column("country", sa.CHAR(2), nullable=False),
    sa.Column("latitude", sa.Float),
    sa.Column("longitude", sa.Float),
    sa.Column("timezone", sa.Text, nullable=False, server_default="UTC"),
    text_array("capabilities"),
    text_array("ships_to"),
    sa.Column("daily_order_capacity", sa.Integer),
    sa.Column("priority", sa.Integer, nullable=False, server_default="100"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    # The sales tax a store adds to what it sells at its counter, {"name", "rate"} with the
    # rate in percent (migration 0032): nothing upstream computed it.
    jsonb("sales_tax"),
    created_at(),
    updated_at(),
    sa.UniqueConstraint("org_id", "code"),
    sa.CheckConstraint("kind IN ('warehouse', 'store', '3pl', 'supplier')", name="kind"),
    sa.CheckConstraint(
        "daily_order_capacity IS NULL OR daily_order_capacity >= 0", name="capacity"
    ),
)
