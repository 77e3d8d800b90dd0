"""A ship-back return's parcel as its carrier reports it (shipping's tracking follow-up)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.orders import timeline as order_timeline
from orderly.returns import repository as repo
from orderly.returns.domain import ReturnStatus

CARRIER = "carrier"
# The parcel is on its way once the carrier has it: the return is then in transit.
ON_ITS_WAY = frozenset({"in_transit", "out_for_delivery", "delivered"})
# Worth a line on the order's timeline for the returns desk (no customer message follows).
NOTED = frozenset({"delivered", "exception"})


async def follow_return_parcel(conn: AsyncConnection, org_id: int, change: Any) -> bool:
    """Carry a tracking move of a return label's shipment on to its return: an authorized
    return goes `in_transit` when the carrier has the parcel, and a delivery or an exception is
    noted on the order's timeline as `return.parcel_delivered` / `return.parcel_exception`.
    Not `shipment.*` events: those tell the customer about their order's delivery.

    False when the shipment is no return's label."""
    found = await repo.return_by_shipment(conn, org_id, change.shipment_id)
    if found is None:
        return False
    new = str(getattr(change.new, "value", change.new))
    data = {
        "return_id": found["id"],
        "number": found["number"],
        "tracking_number": change.tracking_number,
    }
    events: list[tuple[str, dict[str, Any]]] = []
    if new in ON_ITS_WAY and found["status"] == ReturnStatus.AUTHORIZED.value:
        await repo.update_return(conn, org_id, found["id"], status=ReturnStatus.IN_TRANSIT.value)
        events.append(("return.in_transit", {**data, "reason": None}))
    if new in NOTED:
        events.append((f"return.parcel_{new}", data))
    if events:
        await order_timeline.append_events(conn, org_id, found["order_id"], events, CARRIER)
    return True
