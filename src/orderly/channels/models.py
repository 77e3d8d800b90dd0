import sqlalchemy as sa

from orderly.kit.columns import created_at, id_column, jsonb, org_column, text_array, updated_at
from orderly.kit.db import metadata

channels = sa.Table(
    "channels",
    metadata,
    id_column(),
    org_column(),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("allow_backorders", sa.Boolean, nullable=False, server_default=sa.false()),
    # Location kinds allowed to fulfil this channel's orders; empty means every kind but suppliers.
    text_array("fulfillment_location_kinds"),
    jsonb("settings", nullable=False, default="{}"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    created_at(),
    updated_at(),
    sa.UniqueConstraint("org_id", "code"),
    sa.CheckConstraint("kind IN ('web', 'app', 'marketplace', 'pos', 'b2b')", name="kind"),
)
