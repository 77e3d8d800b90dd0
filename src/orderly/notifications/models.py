"""Notification templates, the messages sent, webhook subscriptions and their deliveries, and
the cursor of the event outbox that feeds them from the order timeline."""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from orderly.kit.columns import created_at, id_column, jsonb, org_column, updated_at
from orderly.kit.db import metadata

# An organization's own template for a kind of message; channel '' is its default for every
# sales channel, a channel code overrides it for that channel. Missing: the built-in default.
notification_templates = sa.Table(
    "notification_templates",
    metadata,
    id_column(),
    org_column(),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("channel", sa.Text, nullable=False, server_default=""),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body_text", sa.Text, nullable=False),
    sa.Column("body_html", sa.Text, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    created_at(),
    updated_at(),
    sa.UniqueConstraint("org_id", "kind", "channel"),
)

NOTIFICATION_STATUSES = "'queued', 'sent', 'failed', 'skipped'"

# One customer message. (org, event, kind) is unique, so one event never yields two messages
# of a kind; an order is confirmed once however often it is (re)allocated.
notifications = sa.Table(
    "notifications",
    metadata,
    id_column(),
    org_column(),
    sa.Column("order_id", sa.BigInteger, sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("event_id", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("channel", sa.Text, nullable=False, server_default="email"),
    sa.Column("recipient", sa.Text),
    sa.Column("subject", sa.Text),
    sa.Column("body_text", sa.Text),
    sa.Column("body_html", sa.Text),
    sa.Column("status", sa.Text, nullable=False, server_default="queued"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column(
        "next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    created_at(),
    updated_at(),
    sa.UniqueConstraint("org_id", "event_id", "kind"),
    sa.CheckConstraint(f"status IN ({NOTIFICATION_STATUSES})", name="status"),
)
sa.Index("ix_notifications_org_id", notifications.c.org_id, notifications.c.id.desc())
sa.Index("ix_notifications_org_order", notifications.c.org_id, notifications.c.order_id)
sa.Index(
    "ix_notifications_due",
    notifications.c.next_attempt_at,
    postgresql_where=notifications.c.status == "queued",
)
sa.Index(
    "ux_notifications_confirmed_once",
    notifications.c.org_id,
    notifications.c.order_id,
    unique=True,
    postgresql_where=notifications.c.kind == "order_confirmed",
)

webhook_subscriptions = sa.Table(
    "webhook_subscriptions",
    metadata,
    id_column(),
    org_column(),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("event_types", pg.ARRAY(sa.Text), nullable=False),
    sa.Column("secret_sealed", sa.LargeBinary, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    # Private networks (CIDR) an admin allowed this URL to reach (kit.outbound).
    sa.Column(
        "allowed_networks", pg.ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'")
    ),
    created_at(),
    updated_at(),
)
sa.Index("ix_webhook_subscriptions_org", webhook_subscriptions.c.org_id, webhook_subscriptions.c.id)

DELIVERY_STATUSES = "'pending', 'delivered', 'dead'"

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    id_column(),
    org_column(),
    sa.Column(
        "subscription_id",
        sa.BigInteger,
        sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("event_id", sa.BigInteger, nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    jsonb("payload", nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column(
        "next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("last_status_code", sa.Integer),
    sa.Column("last_error", sa.Text),
    # The attempts, newest last: at, status code or error, duration.
    jsonb("log", nullable=False, default="[]"),
    sa.Column("delivered_at", sa.DateTime(timezone=True)),
    created_at(),
    updated_at(),
    sa.UniqueConstraint("org_id", "subscription_id", "event_id"),
    sa.CheckConstraint(f"status IN ({DELIVERY_STATUSES})", name="status"),
)
sa.Index(
    "ix_webhook_deliveries_subscription",
    webhook_deliveries.c.org_id,
    webhook_deliveries.c.subscription_id,
    webhook_deliveries.c.id.desc(),
)
sa.Index(
    "ix_webhook_deliveries_due",
    webhook_deliveries.c.next_attempt_at,
    postgresql_where=webhook_deliveries.c.status == "pending",
)
sa.Index(
    "ix_webhook_deliveries_dead",
    webhook_deliveries.c.org_id,
    webhook_deliveries.c.id.desc(),
    postgresql_where=webhook_deliveries.c.status == "dead",
)

# The outbox's progress over order_events (one row, 'order_events'): every event with an id up
# to `head_id` has been dispatched, except the ids in `gaps`, which were not visible (not yet
# committed, or rolled back) when the head passed them. A gap up to `horizon_id` is dropped
# once every transaction running at `horizon_snapshot` has ended (and `horizon_at` is a few
# seconds old): it can no longer commit. Not tenant-owned: it is the dispatcher's own state.
event_outbox_cursor = sa.Table(
    "event_outbox_cursor",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("head_id", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("gaps", pg.ARRAY(sa.BigInteger), nullable=False, server_default=sa.text("'{}'")),
    sa.Column("horizon_id", sa.BigInteger),
    sa.Column("horizon_snapshot", sa.Text),
    sa.Column("horizon_at", sa.DateTime(timezone=True)),
    updated_at(),
)
