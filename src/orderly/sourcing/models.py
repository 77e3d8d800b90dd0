"""Routing configurations: the organization's default and each channel's own."""

import sqlalchemy as sa

from orderly.kit.columns import created_at, id_column, jsonb, org_column, updated_at
from orderly.kit.db import metadata

# One row per organization with channel_id NULL (the default) and one per channel that
# overrides it. Two partial unique indexes keep (org, channel) unique, the NULL included.
routing_configs = sa.Table(
    "routing_configs",
    metadata,
    id_column(),
    org_column(),
    sa.Column("channel_id", sa.BigInteger, sa.ForeignKey("channels.id", ondelete="CASCADE")),
    jsonb("config", nullable=False, default="{}"),
    created_at(),
    updated_at(),
)
sa.Index(
    "ux_routing_configs_org_default",
    routing_configs.c.org_id,
    unique=True,
    postgresql_where=routing_configs.c.channel_id.is_(None),
)
sa.Index(
    "ux_routing_configs_org_channel",
    routing_configs.c.org_id,
    routing_configs.c.channel_id,
    unique=True,
    postgresql_where=routing_configs.c.channel_id.is_not(None),
)
