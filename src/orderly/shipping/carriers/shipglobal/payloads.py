"""Our shipment as ShipGlobal's `addOrder.php` body: seller and recipient, one package, the
goods of the commercial invoice. Amounts and measures are exact JSON numbers, never floats."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from orderly.kit.money import currency_exponent
from orderly.shipping.domain import CustomsLine, Parcel, ShipmentRequest

# The EU member states, where an IOSS number applies to the import.
EU_COUNTRIES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)
WEIGHT_UNITS = ("kg", "g")


@dataclass(frozen=True)
class OrderOptions:
    """What the account's settings add to every order."""

    seller_nickname: str = ""
    csb5: bool = False  # the goods leave India under CSB-V rather than CSB-IV
    weight_unit: str = "kg"  # what `package_weight` is counted in (see docs/shipping.md)
    ioss_number: str = ""
    seller_tax_id_type: str = ""
    seller_tax_id: str = ""
    item_tax_rate: Decimal = Decimal(0)


def split_name(name: str) -> tuple[str, str]:
    """First and last name; ShipGlobal asks for both, so a one-word name gets "-" as last."""
    words = name.split()
    if not words:
        return "", ""
    if len(words) == 1:
        return words[0], "-"
    return " ".join(words[:-1]), words[-1]


def text(address: dict[str, Any], key: str) -> str:
    value = address.get(key)
    return "" if value is None else str(value).strip()


def party(prefix: str, address: dict[str, Any]) -> dict[str, Any]:
    """The `<prefix>_*` fields of one address (seller or customer_shipping)."""
    first, last = split_name(text(address, "name"))
    return {
        f"{prefix}_firstname": first,
        f"{prefix}_lastname": last,
        f"{prefix}_mobile": text(address, "phone"),
        f"{prefix}_email": text(address, "email"),
        f"{prefix}_company": text(address, "company"),
        f"{prefix}_address": text(address, "line1"),
        f"{prefix}_address_2": text(address, "line2"),
        f"{prefix}_city": text(address, "city"),
        f"{prefix}_postcode": text(address, "postal_code"),
        f"{prefix}_country_code": text(address, "country").upper(),
        f"{prefix}_state": text(address, "region"),
    }


def package(parcel: Parcel, weight_unit: str) -> dict[str, Any]:
    grams = Decimal(parcel.weight_grams)
    return {
        "package_weight": grams if weight_unit == "g" else grams.scaleb(-3),
        "package_length": Decimal(parcel.length_mm).scaleb(-1),
        "package_breadth": Decimal(parcel.width_mm).scaleb(-1),
        "package_height": Decimal(parcel.height_mm).scaleb(-1),
    }


def major_units(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-currency_exponent(currency))


def item(line: CustomsLine, tax_rate: Decimal) -> dict[str, Any]:
    return {
        "vendor_order_item_name": line.description,
        # ShipGlobal requires a SKU; a line without one is named by its HS code.
        "vendor_order_item_sku": line.sku or line.hs_code,
        "vendor_order_item_quantity": line.quantity,
        "vendor_order_item_unit_price": major_units(line.unit_value_minor, line.currency),
        "vendor_order_item_hsn": line.hs_code,
        "vendor_order_item_tax_rate": tax_rate,
    }


def order_body(
    shipment: ShipmentRequest, *, service: str, currency: str, options: OrderOptions
) -> dict[str, Any]:
    """The body of one order: our reference names both the order and its invoice."""
    customs = shipment.customs
    lines = customs.lines if customs is not None else ()
    seller = party("seller", shipment.ship_from)
    seller["seller_nickname"] = (
        options.seller_nickname or seller["seller_company"] or text(shipment.ship_from, "name")
    )
    body: dict[str, Any] = {
        "invoice_no": shipment.reference,
        "invoice_date": shipment.ship_date.isoformat(),
        "order_reference": shipment.reference,
        "service": service,
        **package(shipment.parcels[0], options.weight_unit),
        "currency_code": currency,
        "csb5_status": 1 if options.csb5 else 0,
        **seller,
        **party("customer_shipping", shipment.ship_to),
        "vendor_order_items": [item(line, options.item_tax_rate) for line in lines],
    }
    if options.seller_tax_id:
        body["seller_tax_id_type"] = options.seller_tax_id_type
        body["seller_tax_id"] = options.seller_tax_id
    if options.ioss_number and body["customer_shipping_country_code"] in EU_COUNTRIES:
        body["ioss_number"] = options.ioss_number
    return body


def encode(value: Any) -> bytes:
    """JSON with every Decimal written as the number it is (json.dumps cannot)."""
    return _json(value).encode()


def _json(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        pairs = (f"{json.dumps(str(k))}:{_json(v)}" for k, v in value.items())
        return "{" + ",".join(pairs) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_json(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)
