"""DHL Express checkpoint codes as Orderly's tracking codes, and a MyDHL API tracking answer as
tracking updates, oldest first, in the time zone of the place each event happened."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from orderly.shipping.domain import TrackingCode, TrackingUpdate

T = TrackingCode

# DHL's tracking event codes (the `trackingEventCode` reference data). A code that is not
# here, or maps to None, is left out: it says nothing about where the parcel is.
EVENT_CODES: dict[str, TrackingCode | None] = {
    # Label data only: DHL knows of the shipment, nobody has handled it yet.
    "DUMMY_PU": None,
    # Moving through DHL's network or customs.
    **dict.fromkeys(
        (
            "PU",  # shipment pick up
            "SA",  # shipment acceptance
            "AF",  # arrived facility
            "PL",  # processed at location
            "DF",  # depart facility
            "AR",  # arrival in delivery facility
            "TR",  # record of transfer
            "CR",  # clearance release
            "BR",  # broker release
            "BN",  # customer broker notified
            "IC",  # in clearance processing
            "RR",  # response received (customs)
            "FD",  # forward destination
            "TP",  # forwarded to a third party
            "CC",  # awaiting consignee collection
            "AD",  # agreed delivery
            "SC",  # service changed
            "RW",  # weigh and dimension
            "LV",  # load vehicle
            "UV",  # unload vehicle
            "HN",  # handover
            "CI",  # facility check-in
            "CU",  # confirm uplift
            "ES",  # entry submitted
            "SM",  # scheduled movement
            "HI",  # lodged into held inventory control
            "HO",  # lodged out of held inventory control
            "BL",  # bond location
            "DI",  # duty invoice
            "PY",  # payment
            "IA",  # image available
            "SI",  # shipment inspection
        ),
        T.IN_TRANSIT,
    ),
    "WC": T.OUT_FOR_DELIVERY,  # with delivering courier
    "OK": T.DELIVERED,  # delivery
    "DD": T.DELIVERED,  # delivered damaged: delivered, with a claim to make
    "RT": T.RETURNED_TO_SENDER,  # returned to consignor
    # Something stops the parcel until someone acts.
    **dict.fromkeys(
        (
            "BA",  # bad address
            "CA",  # closed on arrival
            "CD",  # controllable clearance delay
            "UD",  # uncontrollable clearance delay
            "CM",  # customer moved
            "CS",  # closed shipment
            "DM",  # damaged
            "DP",  # denied parties
            "DS",  # destroyed / disposal
            "HP",  # held for payment
            "IR",  # incorrect route
            "MC",  # miscode
            "MD",  # missed delivery cycle
            "MS",  # mis-sort
            "NA",  # not arrived
            "ND",  # not delivered
            "NH",  # not home
            "OH",  # on hold
            "PD",  # partial delivery: some pieces are still missing
            "RD",  # refused delivery
            "SS",  # shipment stopped
            "ST",  # shipment intercept
            "TD",  # transport delay
            "TI",  # trace initiated
            "TT",  # trace terminated
        ),
        T.EXCEPTION,
    ),
}


def tracking_code(event_code: str) -> TrackingCode | None:
    return EVENT_CODES.get(event_code.strip().upper())


def event_time(event: dict[str, Any]) -> datetime | None:
    """`date` and `time` are local to the event's place; `GMTOffset` (asked for with
    requestGMTOffsetPerEvent) places them on the world's clock. Without it, UTC is assumed."""
    try:
        moment = datetime.fromisoformat(f"{event['date']}T{event['time']}")
    except (KeyError, TypeError, ValueError):
        return None
    offset = str(event.get("GMTOffset") or "").strip()
    if offset:
        try:
            return datetime.fromisoformat(f"{moment.isoformat()}{offset}")
        except ValueError:
            pass
    return moment.replace(tzinfo=UTC)


def event_place(event: dict[str, Any]) -> str | None:
    areas = event.get("serviceArea")
    if isinstance(areas, list) and areas and isinstance(areas[0], dict):
        place = areas[0].get("description") or areas[0].get("code")
        return str(place) if place else None
    return None


def tracking_updates(answer: dict[str, Any]) -> list[TrackingUpdate]:
    """The events of the answer's shipments, oldest first."""
    updates = []
    for shipment in answer.get("shipments") or []:
        for event in shipment.get("events") or []:
            code = tracking_code(str(event.get("typeCode") or ""))
            occurred_at = event_time(event)
            if code is None or occurred_at is None:
                continue
            updates.append(
                TrackingUpdate(
                    code=code,
                    occurred_at=occurred_at,
                    description=str(event.get("description") or ""),
                    location=event_place(event),
                )
            )
    return sorted(updates, key=lambda update: update.occurred_at)
