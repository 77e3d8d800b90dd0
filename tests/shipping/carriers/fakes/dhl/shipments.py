"""POST /shipments of the fake MyDHL API: the request checked as DHL checks it, the shipment
kept under a new waybill number with a piece number per package, and DHL's answer with the
labels, the charges estimate and the estimated delivery date."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from tests.shipping.carriers.fakes.dhl import network
from tests.shipping.carriers.fakes.dhl.labels import merged, piece_label
from tests.shipping.carriers.fakes.dhl.network import Product
from tests.shipping.carriers.fakes.dhl.problems import answer, bad_request, validation_error
from tests.shipping.carriers.fakes.dhl.spec import SHIPMENT_REQUEST

if TYPE_CHECKING:
    from tests.shipping.carriers.fakes.dhl.app import FakeDhlExpress

HOST = "https://express.api.dhl.com"
TEMPLATES = frozenset(
    "ECOM26_84_001 ECOM26_84_A4_001 ECOM_TC_A4 ECOM26_A6_002 ECOM26_84CI_001 ECOM26_84CI_002 "
    "ECOM26_84CI_003 ECOM_A4_RU_002 ECOM26_84_LBBX_001 ECOM26_64_LBBX_001".split()
)
# What DHL needs of a dutiable shipment's content (the specification says "if the shipment is
# dutiable, exportDeclaration element must be provided"; the value goes with it).
DUTIABLE_NEEDS = ("exportDeclaration", "declaredValue", "declaredValueCurrency")


@dataclass
class Shipment:
    number: str
    account: str
    product: Product
    ship_date: date
    planned: str
    request: dict[str, Any]
    pieces: list[str]
    references: list[tuple[str, str]]
    events: list[dict[str, Any]] = field(default_factory=list)
    piece_events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


async def create_shipment(fake: FakeDhlExpress, request: Request, path: str) -> Response:
    body = await fake.read_body(request, path, SHIPMENT_REQUEST)
    fake.check_account(body["accounts"])
    day = network.planned_date(body["plannedShippingDateAndTime"], fake.today)
    parties = body["customerDetails"]
    shipper = parties["shipperDetails"]["postalAddress"]
    receiver = parties["receiverDetails"]["postalAddress"]
    network.check_address(shipper, "/customerDetails/shipperDetails/postalAddress")
    network.check_address(receiver, "/customerDetails/receiverDetails/postalAddress")
    content = body["content"]
    network.check_weights(content["packages"], "/content/packages")
    dutiable = content["isCustomsDeclarable"]
    # Reported as DHL's schema reports a missing key (DHL's exact answer is not documented).
    absent = [key for key in DUTIABLE_NEEDS if dutiable and key not in content]
    if absent:
        raise validation_error([f"#/content: required key [{key}] not found" for key in absent])
    code = body["productCode"]
    offered = network.products_between(shipper["countryCode"], receiver["countryCode"], dutiable)
    product = next((p for p in offered if p.code == code), None)
    if product is None:
        raise bad_request(
            f"The requested product(s) ({code}) not available based on your search criteria."
        )
    images = body.get("outputImageProperties") or {}
    for option in images.get("imageOptions") or []:
        template = option.get("templateName")
        if option["typeCode"] == "label" and template and template not in TEMPLATES:
            raise bad_request(f"#/outputImageProperties: unknown label template {template}")
    shipment = keep(fake, body, product, day)
    return answer(
        made(shipment, body, images, base_path=fake.base_path),
        status=201,
        headers={"Location": f"/shipments/{shipment.number}"},
    )


def keep(fake: FakeDhlExpress, body: dict[str, Any], product: Product, day: date) -> Shipment:
    number = fake.next_waybill()
    pieces = [fake.next_piece_id() for _ in body["content"]["packages"]]
    references = [
        (str(r["value"]), str(r.get("typeCode") or "CU"))
        for r in body.get("customerReferences") or []
    ]
    shipper = next(a["number"] for a in body["accounts"] if a["typeCode"] == "shipper")
    shipment = Shipment(
        number=number,
        account=shipper,
        product=product,
        ship_date=day,
        planned=body["plannedShippingDateAndTime"],
        request=body,
        pieces=pieces,
        references=references,
    )
    fake.shipments[number] = shipment
    return shipment


def labels(shipment: Shipment, fmt: str) -> list[bytes]:
    receiver = shipment.request["customerDetails"]["receiverDetails"]
    address = receiver["postalAddress"]
    to = {
        "name": receiver["contactInformation"]["fullName"],
        "place": f"{address['postalCode']} {address['cityName']} {address['countryCode']}",
    }
    return [
        piece_label(
            waybill=shipment.number,
            piece=piece,
            index=index,
            count=len(shipment.pieces),
            product=shipment.product.name,
            to=to,
            fmt=fmt,
        )
        for index, piece in enumerate(shipment.pieces)
    ]


def documents(shipment: Shipment, images: dict[str, Any]) -> list[dict[str, Any]]:
    """One label document per piece when split by pages, else one for the whole shipment."""
    fmt = images.get("encodingFormat") or "pdf"
    printed = labels(shipment, fmt)
    if images.get("splitDocumentsByPages"):
        split = [(n, label) for n, label in enumerate(printed, 1)]
    else:
        whole = merged(printed) if fmt == "pdf" else b"".join(printed)
        split = [(0, whole)]
    out = []
    for number, content in split:
        document: dict[str, Any] = {
            "imageFormat": fmt.upper(),
            "content": base64.b64encode(content).decode(),
            "typeCode": "label",
        }
        if number:
            document["packageReferenceNumber"] = number
        out.append(document)
    return out


def made(
    shipment: Shipment, body: dict[str, Any], images: dict[str, Any], *, base_path: str
) -> dict[str, Any]:
    said: dict[str, Any] = {
        "url": f"{HOST}{base_path}/shipments",
        "shipmentTrackingNumber": shipment.number,
        "trackingUrl": f"{HOST}{base_path}/shipments/{shipment.number}/tracking",
        "packages": [
            {"referenceNumber": n, "trackingNumber": piece}
            for n, piece in enumerate(shipment.pieces, 1)
        ],
        "documents": documents(shipment, images),
    }
    origin = body["customerDetails"]["shipperDetails"]["postalAddress"]["countryCode"]
    currency = network.billing_currency(origin)
    if body.get("getRateEstimates"):
        price = network.price(shipment.product, body["content"]["packages"], currency)
        said["shipmentCharges"] = [
            {
                "currencyType": "BILLC",
                "priceCurrency": currency,
                "price": price,
                "serviceBreakdown": [{"name": shipment.product.name, "price": price}],
            }
        ]
    if (body.get("estimatedDeliveryDate") or {}).get("isRequested"):
        arrives, _ = network.arrival(shipment.ship_date, shipment.product)
        said["estimatedDeliveryDate"] = {
            "estimatedDeliveryDate": arrives.isoformat(),
            "estimatedDeliveryType": body["estimatedDeliveryDate"].get("typeCode", "QDDF"),
        }
    return said
