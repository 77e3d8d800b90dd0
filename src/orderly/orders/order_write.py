"""Writing a captured order with its transaction's COMMIT: the guarded reservation of its stock
(inventory.reservations), the customer, the order, its lines, payments, allocations and timeline,
in one statement, or two when a SKU is in high demand: docs/architecture.md, "Stock reservations".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from orderly.inventory.reservations import GUARDED_RESERVATION
from orderly.kit.db import Transaction, int_array
from orderly.orders.errors import StockContention
from orderly.orders.records import OrderRecord

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

_WANTED = """
    wanted AS (
        SELECT sku_id, location_id, sum(quantity) AS quantity
          FROM allocated
         GROUP BY sku_id, location_id
    )
"""

_WRITE = """
    record AS MATERIALIZED (SELECT CAST(%(order)s AS jsonb) AS doc),
    customer AS (
        INSERT INTO customers (org_id, email, name, phone, addresses)
        SELECT %(org_id)s, %(email)s, %(customer_name)s, %(customer_phone)s,
               CAST(%(customer_addresses)s AS jsonb)
          FROM verdict WHERE verdict.ok AND CAST(%(email)s AS text) IS NOT NULL
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
        -- every column from the record's field of its name (tests/orders/test_order_record.py:
        -- the record has one for every column), the customer's id from its row
        INSERT INTO orders
        SELECT r.*
          FROM record LEFT JOIN customer ON true,
               jsonb_populate_record(
                   NULL::orders, record.doc || jsonb_build_object('customer_id', customer.id)) AS r
         WHERE (SELECT ok FROM verdict)
        RETURNING id
    ),
    lines AS (
        INSERT INTO order_lines (org_id, order_id, line_no, sku_id, quantity, unit_price_minor,
                                 discount_minor, tax_minor, total_minor, cancelled_quantity)
        SELECT %(org_id)s, %(id)s, l.line_no, l.sku_id, l.quantity, l.unit_price_minor,
               l.discount_minor, l.tax_minor, l.total_minor, l.cancelled_quantity
          FROM record, jsonb_populate_recordset(NULL::order_lines, record.doc -> 'lines') AS l
         WHERE (SELECT ok FROM verdict)
    ),
    payments AS (
        INSERT INTO order_payments (org_id, order_id, position, method, provider, account_id,
                                    reference, currency, amount_minor, authorized_minor,
                                    captured_minor, refunded_minor, status,
                                    authorization_expires_at, multicapture)
        SELECT %(org_id)s, %(id)s, p.position, p.method, p.provider, p.account_id,
               p.reference, p.currency, p.amount_minor, p.authorized_minor,
               p.captured_minor, p.refunded_minor, p.status, p.authorization_expires_at,
               p.multicapture
          FROM record, jsonb_populate_recordset(NULL::order_payments, record.doc -> 'payments') AS p
         WHERE (SELECT ok FROM verdict)
    ),
    allocations AS (
        -- with the order's status and channel, copied for the lists by location (0014)
        INSERT INTO order_allocations (org_id, order_id, line_no, sku_id, location_id, quantity,
                                       order_status, channel_id, status)
        SELECT %(org_id)s, %(id)s, a.line_no, a.sku_id, a.location_id, a.quantity,
               %(status)s, %(channel_id)s, %(allocation_status)s
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

_REFUSE_UNLESS_RESERVED = """
    SELECT CASE WHEN (SELECT ok FROM verdict) THEN true
                ELSE orderly_refuse(%(refusal_code)s, %(refusal_detail)s) END
"""

# The whole order in one statement.
_RESERVE_AND_WRITE = (
    f"WITH {_ALLOCATED}, {_WANTED}, {GUARDED_RESERVATION}, {_WRITE} {_REFUSE_UNLESS_RESERVED}"
)
# The order without its reservations, which are then sure to follow (_RESERVE).
_WRITE_ONLY = f"WITH {_ALLOCATED}, verdict AS (SELECT true AS ok), {_WRITE} SELECT true"
# The reservations of an order written by _WRITE_ONLY.
_RESERVE = f"WITH {_ALLOCATED}, {_WANTED}, {GUARDED_RESERVATION} {_REFUSE_UNLESS_RESERVED}"


def write_order(
    tx: Transaction,
    order: OrderRecord,
    *,
    events: Sequence[tuple[str, dict[str, Any]]],
    actor: str,
    reserve_last: bool = False,
    handed_over: bool = False,
) -> None:
    """Reserve the order's stock and store it, all or nothing, with COMMIT: a reservation that
    finds the stock taken meanwhile refuses the transaction (409 `stock_contention`, retryable).
    With ``reserve_last`` (SKUs in high demand) the reservations are the last statement before
    COMMIT, so that their rows stay locked as briefly as can be. A ``handed_over`` order (a sale
    at a store's counter) reserves nothing: its units left the shelf with the customer, and its
    allocations are written shipped."""
    refusal = StockContention(
        "stock for this order changed while it was captured; retry the request",
        extra={"retryable": True},
    )
    addresses = [a for a in (order.shipping_address, order.billing_address) if a]
    allocations = order.allocations
    # The record and the events travel as JSON documents (orjson writes dataclasses in C) and
    # the allocations as array literals: text parameters, not lists that psycopg adapts in
    # Python.
    params = {
        "order": orjson.dumps(order).decode(),
        "id": order.id,
        "org_id": order.org_id,
        "status": order.status,
        "channel_id": order.channel_id,
        "email": order.customer_email,
        "customer_name": order.customer_name,
        "customer_phone": order.customer_phone,
        "customer_addresses": orjson.dumps(addresses).decode(),
        "alloc_line_nos": int_array(a.line_no for a in allocations),
        "alloc_sku_ids": int_array(a.sku_id for a in allocations),
        "alloc_location_ids": int_array(a.location_id for a in allocations),
        "alloc_quantities": int_array(a.quantity for a in allocations),
        "allocation_status": "shipped" if handed_over else "reserved",
        "events": orjson.dumps(events).decode(),
        "actor": actor,
        "order_id": order.id,
        "reference": f"order:{order.id}",
        "refusal_code": refusal.code,
        "refusal_detail": refusal.detail,
    }
    if handed_over:
        tx.at_commit(_WRITE_ONLY, params)
    elif reserve_last:
        tx.at_commit(_WRITE_ONLY, params)
        tx.at_commit(_RESERVE, params, refusal=refusal, last=True)
    else:
        tx.at_commit(_RESERVE_AND_WRITE, params, refusal=refusal)
