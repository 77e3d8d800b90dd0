"""FedEx's tracking status and scan codes in Orderly's words, and a track reply's scan events as
tracking updates, oldest first. The codes are those of FedEx's "Tracking Status Codes" table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orderly.shipping.domain import TrackingCode, TrackingUpdate

T = TrackingCode

# Codes left out move nothing: the label being created (OC), pickup not yet made (AP, EP, DS,
# DR), and notices about delivery options or return-label e-mails (RR, RM, RC, RP, LP, RG, RD).
FEDEX_CODES: dict[str, TrackingCode] = {
    # Movement
    "PU": T.IN_TRANSIT,  # Picked up
    "PX": T.IN_TRANSIT,  # Picked up (see details)
    "AA": T.IN_TRANSIT,  # At airport
    "AC": T.IN_TRANSIT,  # At Canada Post facility
    "AF": T.IN_TRANSIT,  # At local FedEx facility
    "AO": T.IN_TRANSIT,  # Shipment arriving on time
    "AR": T.IN_TRANSIT,  # Arrived at FedEx location
    "AX": T.IN_TRANSIT,  # At USPS facility
    "CH": T.IN_TRANSIT,  # Location changed
    "DP": T.IN_TRANSIT,  # Departed
    "EA": T.IN_TRANSIT,  # Enroute to airport (regulatory: export approved)
    "EO": T.IN_TRANSIT,  # Enroute to origin airport
    "FD": T.IN_TRANSIT,  # At FedEx destination
    "HL": T.IN_TRANSIT,  # Hold at location
    "HP": T.IN_TRANSIT,  # Ready for recipient pickup
    "IT": T.IN_TRANSIT,  # In transit
    "IX": T.IN_TRANSIT,  # In transit (see details)
    "LO": T.IN_TRANSIT,  # Left origin
    "OF": T.IN_TRANSIT,  # At FedEx origin facility
    "OW": T.IN_TRANSIT,  # On the way
    "OX": T.IN_TRANSIT,  # Shipment information sent to USPS
    "PF": T.IN_TRANSIT,  # Plane in flight
    "PL": T.IN_TRANSIT,  # Plane landed
    "PM": T.IN_TRANSIT,  # In progress
    "SF": T.IN_TRANSIT,  # At sort facility
    "SP": T.IN_TRANSIT,  # Split status
    "TR": T.IN_TRANSIT,  # Transfer
    # Regulatory
    "CC": T.IN_TRANSIT,  # Cleared customs
    "CP": T.IN_TRANSIT,  # Clearance in progress
    "CD": T.EXCEPTION,  # Clearance delay
    # Last mile
    "OD": T.OUT_FOR_DELIVERY,  # Out for delivery
    "ED": T.OUT_FOR_DELIVERY,  # Enroute to delivery
    "AD": T.OUT_FOR_DELIVERY,  # At delivery
    "DL": T.DELIVERED,  # Delivered
    # Trouble
    "DE": T.EXCEPTION,  # Delivery exception
    "SE": T.EXCEPTION,  # Shipment exception
    "DD": T.EXCEPTION,  # Delivery delay
    "DY": T.EXCEPTION,  # Delay
    "PD": T.EXCEPTION,  # Pickup delay
    "CA": T.EXCEPTION,  # Shipment cancelled (by someone else than Orderly)
    "RS": T.RETURNED_TO_SENDER,  # Return to shipper
}


def tracking_code(*codes: str | None) -> TrackingCode | None:
    """The first of FedEx's codes (the scan's own, then the derived status) that Orderly maps."""
    for code in codes:
        if code and code.upper() in FEDEX_CODES:
            return FEDEX_CODES[code.upper()]
    return None


def place(location: Any) -> str | None:
    if not isinstance(location, dict):
        return None
    parts = [location.get(k) for k in ("city", "stateOrProvinceCode", "countryCode")]
    text = ", ".join(str(p) for p in parts if p)
    return text or None


def scan_updates(result: dict[str, Any]) -> list[TrackingUpdate]:
    """The scan events of one `trackResults` entry that mean something to Orderly, oldest first
    (FedEx lists them newest first; events without a time or offset are left out)."""
    updates = []
    for event in reversed(result.get("scanEvents") or []):
        if not isinstance(event, dict):
            continue
        code = tracking_code(event.get("eventType"), event.get("derivedStatusCode"))
        occurred_at = _moment(event.get("date"))
        if code is None or occurred_at is None:
            continue
        description = str(event.get("eventDescription") or event.get("derivedStatus") or "")
        if event.get("exceptionDescription"):
            description = f"{description}: {event['exceptionDescription']}".strip(": ")
        updates.append(
            TrackingUpdate(
                code=code,
                occurred_at=occurred_at,
                description=description,
                location=place(event.get("scanLocation")),
            )
        )
    return sorted(updates, key=lambda u: u.occurred_at)


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
