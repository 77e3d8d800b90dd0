"""Order queries: capture's context, the order's updates and reads, which assemble the order
from its tables. Capture's write is `orders.order_write`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.channels.domain import ChannelKind, ChannelPolicy
from orderly.kit.db import (
    Query,
    text_array,
)
from orderly.orders.errors import UnknownChannel
from orderly.orders.fraud import RuleSetting
from orderly.orders.models import order_allocations, order_lines, orders
from orderly.sourcing.domain import Allocation


@dataclass(frozen=True, slots=True)
class CaptureContext:
    # The transaction's timestamp: the order's created_at (its column default, now()).
    captured_at: datetime
    order_id: int
    order_number: int
    fraud_hold_threshold: int
    channel: ChannelPolicy
    existing_order_id: int | None
    sku_ids: dict[str, int]
    inactive_skus: frozenset[str]
    pickup_location: tuple[int, str, tuple[str, ...]] | None
    sku_weights: dict[str, int] = field(default_factory=dict)
    # The ids of the order's SKUs in high demand (catalog: their rows are locked only to write).
    high_demand_skus: frozenset[int] = frozenset()
    # The channel's routing configuration over the organization's default, as JSON text.
    routing_config: str = "{}"
    # The fraud rules the organization has enabled, by name.
    fraud_rules: dict[str, RuleSetting] = field(default_factory=dict)
    # The channel's payment provider (None: the default) and payment account, if it names one.
    payment_provider: str | None = None
    payment_account_id: int | None = None
    # Whether the payment account captures shipment by shipment (None: the provider's way).
    payment_multicapture: bool | None = None


# The capture statements are prepared once per connection (psycopg prepares a statement on
# its fifth use), but PostgreSQL would still plan them again on every execution, for the
# values at hand (docs/performance.md, "What costs what"). Their plans do not depend on
# the values (index lookups of a few rows), so capture uses the prepared plan as it is.
_PLAN_ONCE = "SET LOCAL plan_cache_mode = force_generic_plan"

# The capture hot path reads the channel, SKUs and pickup location in this one query rather
# than through three services: one round trip instead of four on every order.
_CONTEXT = """
    SELECT now() AS captured_at,
           nextval(pg_get_serial_sequence('orders', 'id')) AS order_id,
           nextval(CAST('order_number_' || CAST(o.id AS text) AS regclass)) AS order_number,
           o.fraud_hold_threshold,
           c.id AS channel_id, c.kind AS channel_kind, c.allow_backorders,
           c.fulfillment_location_kinds,
           -- looked up only for an order that carries an external id: the lookup's plan is
           -- kept for the connection's life, and made while the table is still small it may
           -- scan an index on org_id alone (migration 0016)
           CASE WHEN CAST(%(external_id)s AS text) IS NOT NULL THEN
               (SELECT id FROM orders
                 WHERE org_id = o.id AND channel_id = c.id AND external_id = %(external_id)s)
           END AS existing_order_id,
           (SELECT coalesce(json_agg(json_build_array(s.code, s.id, s.active, s.weight_grams,
                                                      s.high_demand)),
                            '[]')
              FROM skus s
             WHERE s.org_id = o.id AND s.code = ANY(CAST(%(sku_codes)s AS text[]))) AS skus,
           (SELECT json_build_array(l.id, l.code, l.capabilities)
              FROM locations l
             WHERE l.org_id = o.id AND l.code = %(pickup_code)s AND l.active) AS pickup,
           CAST(coalesce((SELECT r.config FROM routing_configs r
                           WHERE r.org_id = o.id AND r.channel_id IS NULL), '{}')
                || coalesce((SELECT r.config FROM routing_configs r
                              WHERE r.org_id = o.id AND r.channel_id = c.id), '{}')
                AS text) AS routing_config,
           (SELECT json_agg(json_build_array(f.rule, f.score, f.params))
              FROM fraud_rules f WHERE f.org_id = o.id AND f.enabled) AS fraud_rules,
           -- the provider the channel's orders are paid through: its payment account's, or
           -- the one it names (manual by default). An account that is gone leaves its code,
           -- which no provider answers to: the payment's operations wait for a person.
           CASE WHEN c.settings ? 'payment_account' THEN
               coalesce((SELECT json_build_array(pa.provider, pa.id, pa.settings -> 'multicapture')
                           FROM payment_accounts pa
                          WHERE pa.org_id = o.id AND pa.code = c.settings ->> 'payment_account'
                            AND pa.active),
                        json_build_array(c.settings ->> 'payment_account', NULL, NULL))
           ELSE json_build_array(c.settings ->> 'payment_provider', NULL, NULL)
           END AS payment_provider
      FROM organizations o
      LEFT JOIN channels c ON c.org_id = o.id AND c.code = %(channel)s AND c.active
     WHERE o.id = %(org_id)s
    """


_EXTERNAL_ID_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended(%(key)s, 11))"


def capture_context_queries(
    *,
    org_id: int,
    channel: str,
    external_id: str | None,
    sku_codes: Sequence[str],
    pickup_code: str | None,
) -> list[Query]:
    """The statements that open a capture, to be sent in one round trip with others: the plan
    setting (_PLAN_ONCE), the lock that serialises captures of one channel order (when the
    order carries an external id, so that a duplicate sees the first one), and the context
    query, whose rows `capture_context_from` reads, last."""
    queries = [Query(_PLAN_ONCE, {})]
    if external_id is not None:
        queries.append(Query(_EXTERNAL_ID_LOCK, {"key": f"{org_id}:{channel}:{external_id}"}))
    queries.append(
        Query(
            _CONTEXT,
            {
                "org_id": org_id,
                "channel": channel,
                "external_id": external_id,
                "sku_codes": text_array(sku_codes),
                "pickup_code": pickup_code,
            },
        )
    )
    return queries


def capture_context_from(rows: Sequence[Any], channel: str) -> CaptureContext:
    row = rows[0]
    if row.channel_id is None:
        raise UnknownChannel(f"no active channel {channel!r}", field="channel")
    policy = ChannelPolicy(
        id=row.channel_id,
        code=channel,
        kind=ChannelKind(row.channel_kind),
        allow_backorders=row.allow_backorders,
        fulfillment_location_kinds=tuple(row.fulfillment_location_kinds),
    )
    provider, account_id, multicapture = row.payment_provider or (None, None, None)
    pickup = None
    if row.pickup is not None:
        pickup = (row.pickup[0], row.pickup[1], tuple(row.pickup[2]))
    return CaptureContext(
        captured_at=row.captured_at,
        order_id=row.order_id,
        order_number=row.order_number,
        fraud_hold_threshold=row.fraud_hold_threshold,
        channel=policy,
        existing_order_id=row.existing_order_id,
        sku_ids={code: sku_id for code, sku_id, *_ in row.skus},
        inactive_skus=frozenset(code for code, _, active, *_ in row.skus if not active),
        pickup_location=pickup,
        sku_weights={sku[0]: sku[3] for sku in row.skus},
        high_demand_skus=frozenset(sku[1] for sku in row.skus if sku[4]),
        routing_config=row.routing_config,
        fraud_rules={r[0]: RuleSetting(r[1], r[2]) for r in row.fraud_rules or ()},
        payment_provider=provider,
        payment_account_id=account_id,
        payment_multicapture=multicapture,
    )


async def update_order(conn: AsyncConnection, org_id: int, order_id: int, **values: Any) -> None:
    await conn.execute(
        sa.update(orders)
        .where(orders.c.org_id == org_id, orders.c.id == order_id)
        .values(**values, updated_at=sa.func.now())
    )


async def update_line(
    conn: AsyncConnection, org_id: int, order_id: int, line_no: int, **values: Any
) -> None:
    await conn.execute(
        sa.update(order_lines)
        .where(
            order_lines.c.org_id == org_id,
            order_lines.c.order_id == order_id,
            order_lines.c.line_no == line_no,
        )
        .values(**values)
    )


async def cancel_every_unit(conn: AsyncConnection, org_id: int, order_id: int) -> None:
    """Record every unit of a cancelled order's lines as cancelled (nothing of it shipped)."""
    await conn.execute(
        sa.update(order_lines)
        .where(order_lines.c.org_id == org_id, order_lines.c.order_id == order_id)
        .values(cancelled_quantity=order_lines.c.quantity)
    )


async def release_allocations(
    conn: AsyncConnection, org_id: int, order_id: int
) -> list[Allocation]:
    """Mark every reserved allocation of the order released; return what they held."""
    a = order_allocations
    rows = await conn.execute(
        sa.update(a)
        .where(a.c.org_id == org_id, a.c.order_id == order_id, a.c.status == "reserved")
        .values(status="released")
        .returning(a.c.line_no, a.c.sku_id, a.c.location_id, a.c.quantity)
    )
    return [Allocation(r.line_no, r.sku_id, r.location_id, r.quantity) for r in rows]


async def insert_allocations(
    conn: AsyncConnection, org_id: int, order_id: int, allocations: Sequence[Allocation]
) -> None:
    a = order_allocations
    if allocations:
        await conn.execute(
            sa.insert(a),
            [
                {
                    "org_id": org_id,
                    "order_id": order_id,
                    "line_no": x.line_no,
                    "sku_id": x.sku_id,
                    "location_id": x.location_id,
                    "quantity": x.quantity,
                }
                for x in allocations
            ],
        )


_NEW_ORDER = sa.text(
    """
    SELECT now() AS created_at,
           nextval(pg_get_serial_sequence('orders', 'id')) AS order_id,
           nextval(CAST('order_number_' || CAST(CAST(:org_id AS bigint) AS text) AS regclass))
               AS order_number
    """
)


async def new_order_identity(conn: AsyncConnection, org_id: int) -> tuple[int, str, datetime]:
    """An id and a number for an order written outside capture (a counter sale), and the
    transaction's time, its created_at."""
    row = (await conn.execute(_NEW_ORDER, {"org_id": org_id})).one()
    return row.order_id, f"SO-{row.order_number}", row.created_at
