"""ShipGlobal's refusals as `CarrierRefused`: its own message, and the field of our shipment
that the message names. A refusal may come as a 4xx or as a 200 whose body says it failed."""

from __future__ import annotations

import json
import re
from contextvars import ContextVar
from typing import Any

import httpx

from orderly.kit.errors import InvalidInput
from orderly.kit.vendor_http import VendorHttp
from orderly.shipping.errors import CarrierRefused


class SettingsInvalid(InvalidInput):
    """A setting of the ShipGlobal account that the connector cannot use."""

    code = "carrier_settings_invalid"


_ADDRESS_FIELDS = {
    "firstname": "name",
    "lastname": "name",
    "mobile": "phone",
    "email": "email",
    "company": "company",
    "address": "line1",
    "address_2": "line2",
    "address_3": "line2",
    "city": "city",
    "postcode": "postal_code",
    "country_code": "country",
    "state": "region",
}
_ITEM_FIELDS = {
    "name": "description",
    "sku": "sku",
    "quantity": "quantity",
    "unit_price": "unit_value_minor",
    "hsn": "hs_code",
    "tax_rate": "settings.item_tax_rate",
}
_ORDER_FIELDS = {
    "invoice_no": "reference",
    "order_reference": "reference",
    "invoice_date": "ship_date",
    "service": "service",
    "package_weight": "parcels[0].weight_grams",
    "package_length": "parcels[0].length_mm",
    "package_breadth": "parcels[0].width_mm",
    "package_height": "parcels[0].height_mm",
    "currency_code": "customs.lines.currency",
    "csb5_status": "settings.csb5",
    "seller_nickname": "settings.seller_nickname",
    "seller_tax_id": "settings.seller_tax_id",
    "seller_tax_id_type": "settings.seller_tax_id_type",
    "ioss_number": "settings.ioss_number",
    "vendor_order_items": "customs.lines",
}
_ITEM = re.compile(r"vendor_order_items[.\[](\d+)\]?[.\[]?(?:vendor_order_item_)?(\w+)\]?")
_NAMED = re.compile(r"\b(seller_\w+|customer_shipping_\w+|vendor_order_items[\w.\[\]]*|\w+)\b")


def our_field(vendor_field: str) -> str | None:
    """The field of our shipment behind one of ShipGlobal's field names."""
    if vendor_field in _ORDER_FIELDS:
        return _ORDER_FIELDS[vendor_field]
    for prefix, ours in (("customer_shipping_", "ship_to"), ("seller_", "ship_from")):
        if vendor_field.startswith(prefix):
            key = _ADDRESS_FIELDS.get(vendor_field.removeprefix(prefix))
            return f"{ours}.{key}" if key else None
    found = _ITEM.fullmatch(vendor_field)
    if found:
        index, name = found.groups()
        key = _ITEM_FIELDS.get(name)
        if key is None:
            return "customs.lines"
        return key if key.startswith("settings.") else f"customs.lines[{index}].{key}"
    return None


def message_of(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    for key in ("message", "error", "msg"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def field_of(body: Any, message: str) -> str | None:
    """The first field the body's `errors` map names, else the first one its message names."""
    errors = body.get("errors") if isinstance(body, dict) else None
    names: list[str] = list(errors) if isinstance(errors, dict) else []
    names += _NAMED.findall(message)
    for name in names:
        field = our_field(str(name))
        if field is not None:
            return field
    return None


def detail_of(body: Any, message: str) -> str:
    """The message, with each field's own complaint when the body lists them."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, dict) or not errors:
        return message
    complaints = []
    for name, said in errors.items():
        texts = said if isinstance(said, list) else [said]
        complaints.append(f"{name}: {'; '.join(str(t) for t in texts)}")
    return f"{message} ({', '.join(complaints)})" if message else ", ".join(complaints)


def refusal(body: Any, *, fallback: str, order_number: str = "") -> CarrierRefused:
    message = message_of(body) or fallback
    detail = f"ShipGlobal refused the order: {detail_of(body, message)}"
    if order_number:
        detail += (
            f". ShipGlobal kept order {order_number} without a label: cancel it in ShipGlobal's"
            " panel before buying again"
        )
    extra: dict[str, Any] = {"vendor_message": message}
    if order_number:
        extra["vendor_order_number"] = order_number
    return CarrierRefused(detail, field=field_of(body, message), extra=extra)


# The body of the last 4xx answer in this task: `VendorHttp` keeps only an excerpt of it.
_refused_body: ContextVar[Any] = ContextVar("shipglobal_refused_body", default=None)


class RefusalWatch:
    """A response hook that keeps the JSON body of a refusal for `refused_body`."""

    async def __call__(self, response: httpx.Response) -> None:
        if 400 <= response.status_code < 500 and response.status_code not in (401, 403, 429):
            await response.aread()
            try:
                _refused_body.set(json.loads(response.content))
            except ValueError:
                _refused_body.set(None)


def watch_refusals(http: VendorHttp) -> None:
    hooks = http.client.event_hooks
    on_response = list(hooks.get("response", []))
    if not any(isinstance(hook, RefusalWatch) for hook in on_response):
        http.client.event_hooks = {**hooks, "response": [*on_response, RefusalWatch()]}


def forget_refusal() -> None:
    _refused_body.set(None)


def refused_body() -> Any:
    return _refused_body.get()
