"""Writing a captured order: the guarded reservations and their ledger rows, the customer, the
order, its lines, allocations and timeline, in one statement (two when a SKU is in high demand,
so that its rows stay locked only until COMMIT): docs/architecture.md, "Stock reservations".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import execute, execute_at_commit, int_array
from orderly.orders.errors import StockContention
from orderly.sourcing.domain import Allocation

_ALLOCATED = """
    allocated AS MATERIALIZED (
        -- from arrays, not JSON: the planner expects a few rows of unnest (and looks the
        -- stock rows up by index) where it expects a hundred of jsonb_to_recordset
        SELECT * FROM unnest(CAST(%(alloc_line_nos)s AS int[]),
                             CAST(%(alloc_sku_ids)s AS bigint[]),
                             CAST(%(alloc_location_ids)s AS bigint[]),
                             CAST(%(alloc_quantities)s AS int[]))
               AS a(line_no, sku_id, location_id, quantity)
    )
"""

_RESERVE = """
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
    )
"""

_WRITE = """
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
                                 discount_minor, tax_minor, total_minor, cancelled_quantity)
        SELECT %(org_id)s, %(id)s, l.*
          FROM jsonb_to_recordset(CAST(%(lines)s AS jsonb))
               AS l(line_no int, sku_id bigint, quantity int, unit_price_minor bigint,
                    discount_minor bigint, tax_minor bigint, total_minor bigint,
                    cancelled_quantity int)
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
"""

_VERDICT = """
    SELECT CASE WHEN (SELECT ok FROM verdict) THEN true
                ELSE orderly_refuse(%(refusal_code)s, %(refusal_detail)s) END
"""

# The whole order in one statement.
_INSERT_ORDER = f"WITH {_ALLOCATED}, {_RESERVE}, {_WRITE} {_VERDICT}"
# The order without its reservations (which are then sure to follow: _RESERVE_ORDER).
_WRITE_ORDER = f"WITH {_ALLOCATED}, verdict AS (SELECT true AS ok), {_WRITE} SELECT true"
# The reservations of an order written by _WRITE_ORDER.
_RESERVE_ORDER = f"WITH {_ALLOCATED}, {_RESERVE} {_VERDICT}"


@dataclass(frozen=True, slots=True)
class NewOrderLine:
    line_no: int
    sku_id: int
    quantity: int
    unit_price_minor: int
    discount_minor: int
    tax_minor: int
    total_minor: int
    # units of `quantity` taken off at capture (the cancel_line policy)
    cancelled_quantity: int = 0


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
    reserve_last: bool = False,
) -> None:
    """Reserve the allocations' stock and store the order, all or nothing: now, or ``at_commit``
    (one round trip less, for a caller that reads nothing of the order afterwards). With
    ``reserve_last`` (and ``at_commit``) the reservations are the last statement before COMMIT,
    for an order with SKUs in high demand."""
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
    if at_commit and reserve_last:
        execute_at_commit(conn, _WRITE_ORDER, params)
        execute_at_commit(conn, _RESERVE_ORDER, params, refusal=refusal, last=True)
        return
    if at_commit:
        execute_at_commit(conn, _INSERT_ORDER, params, refusal=refusal)
        return
    try:
        await execute(conn, _INSERT_ORDER, params)
    except psycopg.errors.RaiseException as exc:
        if exc.diag.message_hint != refusal.code:
            raise
        raise refusal from exc
