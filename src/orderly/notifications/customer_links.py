"""What a customer's message may show that the timeline does not keep: signed links, and the
pickup code derived again from the installation's secret key."""

from __future__ import annotations

from typing import Any

from orderly.fulfillment.pickup import customer_pickup_code
from orderly.kit.secrets import secret_key
from orderly.returns import service as returns
from orderly.settings import Settings


def for_customer(
    settings: Settings, org_id: int, event_type: str, event: dict[str, Any]
) -> dict[str, Any]:
    """A ship-back return's label as a signed public link (`label_url`): the API's
    `label_pdf_url` needs an API key, which a customer does not have. A pickup's code
    (`pickup_code`), which only the customer's message carries."""
    if event_type == "fulfillment.ready_for_pickup":
        return {**event, "pickup_code": customer_pickup_code(secret_key(settings), org_id, event)}
    return_id, shipment_id = event.get("return_id"), event.get("shipment_id")
    if event_type != "return.authorized" or not isinstance(return_id, int) or not shipment_id:
        return event
    path = returns.customer_label_path(secret_key(settings), org_id, return_id)
    return {**event, "label_url": settings.public_url.rstrip("/") + path}
