"""Spending store credit: an order paid with it draws its payment from the customer's balance.

The draw is one guarded statement, like a stock reservation: the balance goes down only while
it covers the amount (`balance_minor >= amount`, and the CHECK `balance_minor >= 0` behind it),
and the ledger entry is written with it. It travels with the order's COMMIT; when the balance
does not cover the amount the whole transaction rolls back and the order is refused 409
`store_credit_insufficient`. Two orders racing for one balance cannot both have it: the second
waits for the first's row lock and then sees what is left.
"""

from __future__ import annotations

from orderly.kit.db import Transaction
from orderly.payments.errors import StoreCreditInsufficient

STORE_CREDIT_METHOD = "store_credit"

_DRAW = """
WITH account AS (
    UPDATE store_credit_accounts AS a
       SET balance_minor = a.balance_minor - %(amount)s, updated_at = now()
      FROM orders AS o
     WHERE o.org_id = %(org_id)s AND o.id = %(order_id)s
       AND a.org_id = o.org_id AND a.customer_id = o.customer_id
       AND a.currency = %(currency)s AND a.balance_minor >= %(amount)s
    RETURNING a.id
),
entry AS (
    INSERT INTO store_credit_ledger (org_id, account_id, delta_minor, reason, order_id, actor)
    SELECT %(org_id)s, account.id, -CAST(%(amount)s AS bigint), 'order', %(order_id)s,
           CAST(%(actor)s AS text)
      FROM account
    RETURNING id
)
SELECT orderly_refuse(%(refusal_code)s, %(refusal_detail)s)
 WHERE NOT EXISTS (SELECT 1 FROM entry)
"""


def draw_at_commit(
    tx: Transaction,
    *,
    org_id: int,
    order_id: int,
    currency: str,
    amount_minor: int,
    actor: str,
) -> None:
    """Draw an order's payment from its customer's store credit when the order is committed
    (the order's own write comes first in the same transaction)."""
    refusal = StoreCreditInsufficient(
        f"the customer's store credit in {currency} does not cover the payment",
        field="payment.amount",
    )
    tx.at_commit(
        _DRAW,
        {
            "org_id": org_id,
            "order_id": order_id,
            "currency": currency,
            "amount": amount_minor,
            "actor": actor,
            "refusal_code": refusal.code,
            "refusal_detail": refusal.detail,
        },
        refusal=refusal,
    )
