"""Order queries. Capture writes an order with its lines, allocations and timeline in one
statement; reads assemble the order from its tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import psycopg
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.channels.domain import ChannelKind, ChannelPolicy
from orderly.kit.db import (
    Query,
    execute,
    execute_at_commit,
    int_array,
    text_array,
)
from orderly.orders.errors import StockContention, UnknownChannel
from orderly.orders.fraud import RuleSetting
from orderly.orders.models import order_allocations, order_events, orders
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
    # The channel's routing configuration over the organization's default, as JSON text.
    routing_config: str = "{}"
    # The fraud rules the organization has enabled, by name.
    fraud_rules: dict[str, RuleSetting] = field(default_factory=dict)


# The capture statements are prepared once per connection (psycopg prepares a statement on
# its fifth use), but PostgreSQL would still plan them again on every execution, for the
# values at hand: about 1 ms of the database's CPU per order. Their plans do not depend on
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
           (SELECT coalesce(json_agg(json_build_array(s.code, s.id, s.active, s.weight_grams)),
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
              FROM fraud_rules f WHERE f.org_id = o.id AND f.enabled) AS fraud_rules
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
        routing_config=row.routing_config,
        fraud_rules={r[0]: RuleSetting(r[1], r[2]) for r in row.fraud_rules or ()},
    )


# One statement writes the whole order: the guarded reservations and their ledger rows, the
# customer, the order, its lines, allocations and timeline. The stock rows were locked by the
# availability snapshot, so the guard holds unless something is badly wrong, or the SKU is in
# high demand: its rows are locked only here, and another order may have taken the last units
# since the snapshot read them. If the guard does not hold for every row, the statement
# refuses the transaction (orderly_refuse): nothing is committed and the caller gets
# StockContention. The API's capture sends it with COMMIT; an exchange, which goes on working
# with the order, at once.
_INSERT_ORDER = """
    WITH allocated AS MATERIALIZED (
        -- from arrays, not JSON: the planner expects a few rows of unnest (and looks the
        -- stock rows up by index) where it expects a hundred of jsonb_to_recordset
        SELECT * FROM unnest(CAST(%(alloc_line_nos)s AS int[]),
                             CAST(%(alloc_sku_ids)s AS bigint[]),
                             CAST(%(alloc_location_ids)s AS bigint[]),
                             CAST(%(alloc_quantities)s AS int[]))
               AS a(line_no, sku_id, location_id, quantity)
    ),
    wanted AS (
        SELECT sku_id, location_id, sum(quantity) AS quantity
          FROM allocated
         GROUP BY sku_id, location_id
    ),
    locked AS MATERIALIZED (
        -- the rows in (sku, location) order: those of SKUs in high demand are locked here,
        -- the others were locked by the availability snapshot already
        SELECT sl.id, w.quantity
          FROM stock_levels sl
          JOIN wanted w ON w.sku_id = sl.sku_id AND w.location_id = sl.location_id
         WHERE sl.org_id = %(org_id)s
         ORDER BY sl.sku_id, sl.location_id
           FOR UPDATE OF sl
    ),
    reserved AS (
        UPDATE stock_levels sl
           SET reserved = sl.reserved + l.quantity, updated_at = now()
          FROM locked l
         WHERE sl.id = l.id AND sl.on_hand - sl.reserved - sl.safety_stock >= l.quantity
        RETURNING sl.sku_id, sl.location_id, l.quantity
    ),
    verdict AS (
        SELECT count(*) = (SELECT count(*) FROM wanted) AS ok FROM reserved
    ),
    reservation_ledger AS (
        INSERT INTO stock_ledger (org_id, sku_id, location_id, kind, reserved_delta, reason,
                                  reference, order_id, actor)
        SELECT %(org_id)s, r.sku_id, r.location_id, 'reserved', r.quantity, 'order',
               'order:' || CAST(%(id)s AS text), %(id)s, %(actor)s
          FROM reserved r
    ),
    customer AS (
        INSERT INTO customers (org_id, email, name, phone, addresses)
        SELECT %(org_id)s, %(email)s, %(customer_name)s, %(customer_phone)s,
               CAST(%(customer_addresses)s AS jsonb)
          FROM verdict WHERE verdict.ok
        ON CONFLICT (org_id, email) DO UPDATE
           SET name = coalesce(EXCLUDED.name, customers.name),
               phone = coalesce(EXCLUDED.phone, customers.phone),
               -- the address book keeps each distinct address once
               addresses = customers.addresses || (
                   SELECT coalesce(jsonb_agg(a), '[]')
                     FROM jsonb_array_elements(EXCLUDED.addresses) a
                    WHERE NOT customers.addresses @> jsonb_build_array(a)),
               updated_at = now()
        RETURNING id
    ),
    new_order AS (
        INSERT INTO orders (
            id, org_id, number, channel_id, external_id, status, currency, customer_id,
            customer_email, billing_address, shipping_address, delivery_method,
            pickup_location_id, subtotal_minor, discount_minor, tax_minor, shipping_minor,
            total_minor, payment_status, payment_amount_minor, payment_method, payment_reference,
            hold_reasons, notes, tags, requested_delivery_date)
        SELECT %(id)s, %(org_id)s, %(number)s, %(channel_id)s, %(external_id)s, %(status)s,
               %(currency)s, customer.id,
               %(email)s, CAST(%(billing_address)s AS jsonb), CAST(%(shipping_address)s AS jsonb),
               %(delivery_method)s, %(pickup_location_id)s, %(subtotal_minor)s, %(discount_minor)s,
               %(tax_minor)s, %(shipping_minor)s, %(total_minor)s, %(payment_status)s,
               %(payment_amount_minor)s, %(payment_method)s, %(payment_reference)s,
               CAST(%(hold_reasons)s AS text[]), %(notes)s, CAST(%(tags)s AS text[]),
               %(requested_delivery_date)s
          FROM customer
        RETURNING created_at
    ),
    lines AS (
        INSERT INTO order_lines (org_id, order_id, line_no, sku_id, quantity, unit_price_minor,
                                 discount_minor, tax_minor, total_minor)
        SELECT %(org_id)s, %(id)s, l.*
          FROM jsonb_to_recordset(CAST(%(lines)s AS jsonb))
               AS l(line_no int, sku_id bigint, quantity int, unit_price_minor bigint,
                    discount_minor bigint, tax_minor bigint, total_minor bigint)
         WHERE (SELECT ok FROM verdict)
    ),
    allocations AS (
        -- with the order's status and channel, copied for the lists by location (0014)
        INSERT INTO order_allocations (org_id, order_id, line_no, sku_id, location_id, quantity,
                                       order_status, channel_id)
        SELECT %(org_id)s, %(id)s, a.line_no, a.sku_id, a.location_id, a.quantity,
               %(status)s, %(channel_id)s
          FROM allocated a
         WHERE (SELECT ok FROM verdict)
    ),
    timeline AS (
        INSERT INTO order_events (org_id, order_id, type, data, actor)
        SELECT %(org_id)s, %(id)s, e.value ->> 0, e.value -> 1, %(actor)s
          FROM jsonb_array_elements(CAST(%(events)s AS jsonb)) WITH ORDINALITY AS e(value, n)
         WHERE (SELECT ok FROM verdict)
         ORDER BY e.n
    )
    SELECT CASE WHEN (SELECT ok FROM verdict) THEN true
                ELSE orderly_refuse(%(refusal_code)s, %(refusal_detail)s) END
"""


@dataclass(frozen=True, slots=True)
class NewOrderLine:
    line_no: int
    sku_id: int
    quantity: int
    unit_price_minor: int
    discount_minor: int
    tax_minor: int
    total_minor: int


def dump_json(value: Any) -> str:
    return orjson.dumps(value).decode()


async def insert_order(
    conn: AsyncConnection,
    *,
    order: dict[str, Any],
    lines: Sequence[NewOrderLine],
    allocations: Sequence[Allocation],
    events: Sequence[tuple[str, dict[str, Any]]],
    actor: str,
    at_commit: bool,
) -> None:
    """Reserve the allocations' stock and store the order, all or nothing: now, or ``at_commit``
    (one round trip less, for a caller that reads nothing of the order afterwards)."""
    params = dict(order)
    params["billing_address"] = dump_json(order["billing_address"])
    params["shipping_address"] = dump_json(order["shipping_address"])
    params["customer_addresses"] = dump_json(
        [a for a in (order["shipping_address"], order["billing_address"]) if a]
    )
    # Lines and events travel as JSON documents (orjson writes dataclasses in C) and the
    # allocations as array literals: text parameters, not lists that psycopg adapts in Python.
    refusal = StockContention(
        "stock for this order changed while it was captured; retry the request",
        extra={"retryable": True},
    )
    params.update(
        lines=dump_json(lines),
        alloc_line_nos=int_array(a.line_no for a in allocations),
        alloc_sku_ids=int_array(a.sku_id for a in allocations),
        alloc_location_ids=int_array(a.location_id for a in allocations),
        alloc_quantities=int_array(a.quantity for a in allocations),
        events=dump_json(events),
        actor=actor,
        refusal_code=refusal.code,
        refusal_detail=refusal.detail,
    )
    if at_commit:
        execute_at_commit(conn, _INSERT_ORDER, params, refusal=refusal)
        return
    try:
        await execute(conn, _INSERT_ORDER, params)
    except psycopg.errors.RaiseException as exc:
        if exc.diag.message_hint != refusal.code:
            raise
        raise refusal from exc


async def update_order(conn: AsyncConnection, org_id: int, order_id: int, **values: Any) -> None:
    await conn.execute(
        sa.update(orders)
        .where(orders.c.org_id == org_id, orders.c.id == order_id)
        .values(**values, updated_at=sa.func.now())
    )


async def append_events(
    conn: AsyncConnection,
    org_id: int,
    order_id: int,
    events: Sequence[tuple[str, dict[str, Any]]],
    actor: str,
) -> None:
    await conn.execute(
        sa.insert(order_events),
        [
            {"org_id": org_id, "order_id": order_id, "type": t, "data": d, "actor": actor}
            for t, d in events
        ],
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
