"""Tracking in the fake MyDHL API: checkpoints that tests scan onto a shipment, and the answers
of GET /shipments/{number}/tracking and GET /tracking (by waybill numbers, or by the shipper's
reference within a date range)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from tests.shipping.carriers.fakes.dhl import network
from tests.shipping.carriers.fakes.dhl.problems import answer, missing, not_found, wrong_format
from tests.shipping.carriers.fakes.dhl.shipments import Shipment

if TYPE_CHECKING:
    from tests.shipping.carriers.fakes.dhl.app import FakeDhlExpress

EVENTS = {
    "PU": "Shipment picked up",
    "AF": "Arrived at DHL Sort Facility",
    "PL": "Processed at",
    "DF": "Shipment has departed from a DHL facility",
    "AR": "Arrived at DHL Delivery Facility",
    "WC": "Shipment is out with courier for delivery",
    "OK": "Delivered",
    "RT": "Returned to shipper",
    "NH": "Delivery attempted; recipient not home",
    "OH": "Shipment is on hold",
    "DUMMY_PU": "Shipment information received",
}
VIEWS = (
    "all-checkpoints all-checkpoints-with-remarks last-checkpoint shipment-details-only "
    "advance-shipment bbx-children"
).split()


def checkpoint(
    code: str, moment: datetime, *, place: tuple[str, str], signed_by: str = ""
) -> dict[str, Any]:
    """A checkpoint as DHL reports it: local date and time of `moment`, with its offset."""
    offset = moment.strftime("%z")
    event: dict[str, Any] = {
        "date": moment.date().isoformat(),
        "time": moment.strftime("%H:%M:%S"),
        "GMTOffset": f"{offset[:3]}:{offset[3:]}" if offset else "+00:00",
        "typeCode": code,
        "description": EVENTS.get(code, f"Checkpoint {code}"),
        "serviceArea": [{"code": place[0], "description": place[1]}],
    }
    if code == "OK":
        event["signedBy"] = signed_by
    return event


def view(request: Request) -> tuple[str, str, bool]:
    params = request.query_params
    shown = params.get("trackingView", "all-checkpoints")
    if shown not in VIEWS:
        raise wrong_format(
            "trackingView",
            "valid parameters for trackingView are [last-checkpoint, all-checkpoints, "
            "bbx-children, advance-shipment, shipment-details-only]",
        )
    detail = params.get("levelOfDetail", "shipment")
    if detail not in ("shipment", "piece", "all"):
        raise wrong_format("levelOfDetail")
    with_offset = params.get("requestGMTOffsetPerEvent", "false")
    if with_offset not in ("true", "false"):
        raise wrong_format("requestGMTOffsetPerEvent")
    return shown, detail, with_offset == "true"


def tracked(shipment: Shipment, shown: str, detail: str, offset: bool) -> dict[str, Any]:
    def events(kept: list[dict[str, Any]]) -> list[dict[str, Any]]:
        kept = [] if shown == "shipment-details-only" else list(kept)
        kept = kept[-1:] if shown == "last-checkpoint" else kept
        return [e if offset else {k: v for k, v in e.items() if k != "GMTOffset"} for e in kept]

    request = shipment.request
    shipper = request["customerDetails"]["shipperDetails"]["postalAddress"]
    receiver = request["customerDetails"]["receiverDetails"]["postalAddress"]
    packages = request["content"]["packages"]
    arrives, _ = network.arrival(shipment.ship_date, shipment.product)
    said: dict[str, Any] = {
        "shipmentTrackingNumber": shipment.number,
        "status": "Success",
        "shipmentTimestamp": shipment.planned[:19],
        "productCode": shipment.product.code,
        "description": request["content"]["description"],
        "shipperDetails": {"name": "", "postalAddress": {"countryCode": shipper["countryCode"]}},
        "receiverDetails": {"name": "", "postalAddress": {"countryCode": receiver["countryCode"]}},
        "totalWeight": sum(Decimal(p["weight"]) for p in packages),
        "unitOfMeasurements": "metric",
        "shipperReferences": [{"value": v, "typeCode": t} for v, t in shipment.references],
        "events": events(shipment.events),
        "numberOfPieces": len(shipment.pieces),
        "estimatedDeliveryDate": arrives.isoformat(),
    }
    if detail in ("piece", "all"):
        said["pieces"] = [
            {
                "number": n,
                "shipmentTrackingNumber": shipment.number,
                "trackingNumber": piece,
                "weight": packages[n - 1]["weight"],
                "unitOfMeasurements": "metric",
                "events": events(shipment.piece_events.get(piece, [])),
            }
            for n, piece in enumerate(shipment.pieces, 1)
        ]
    return said


async def track_one(fake: FakeDhlExpress, request: Request, path: str) -> Response:
    number = path.split("/")[2]
    shown, detail, offset = view(request)
    shipment = fake.shipments.get(number)
    if shipment is None:
        raise not_found()
    return answer({"shipments": [tracked(shipment, shown, detail, offset)]})


async def track_many(fake: FakeDhlExpress, request: Request, path: str) -> Response:
    params = request.query_params
    shown, detail, offset = view(request)
    reference = params.get("shipmentReference")
    if reference is not None:
        found = by_reference(fake, request, reference)
        if not found:
            raise not_found(f"No Shipments Found for ReferenceID | {reference}")
    else:
        numbers = params.getlist("shipmentTrackingNumber")
        if not numbers:
            raise missing("shipmentTrackingNumber")
        found = [fake.shipments[n] for n in numbers if n in fake.shipments]
        if not found:
            raise not_found()
    return answer({"shipments": [tracked(s, shown, detail, offset) for s in found]})


def by_reference(fake: FakeDhlExpress, request: Request, reference: str) -> list[Shipment]:
    """DHL searches by reference only within one shipper account and a date range."""
    params = request.query_params
    for name in ("shipperAccountNumber", "dateRangeFrom", "dateRangeTo"):
        if not params.get(name):
            raise missing(name)
    try:
        start = date.fromisoformat(params["dateRangeFrom"])
        end = date.fromisoformat(params["dateRangeTo"])
    except ValueError:
        raise wrong_format("dateRangeFrom, dateRangeTo", "YYYY-MM-DD") from None
    kind = params.get("shipmentReferenceType", "CU")
    return [
        s
        for s in fake.shipments.values()
        if s.account == params["shipperAccountNumber"]
        and (reference, kind) in s.references
        and start <= s.ship_date <= end
    ]
