"""UPS tracking activity as Orderly's tracking codes. The activity type says what kind of
event it is (D delivered, I in transit, X exception, P pickup, M label created...); the
status code says more, e.g. that an "in transit" event is the parcel out for delivery."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from orderly.shipping.domain import TrackingCode, TrackingUpdate

# Activity types (Tracking API, "Package Activity Types"; O and RS as UPS also sends them).
# None: news that moves nothing (billing information received or voided, not available,
# updates of the Track Alert API).
CODE_OF_TYPE: dict[str, TrackingCode | None] = {
    "D": TrackingCode.DELIVERED,
    "I": TrackingCode.IN_TRANSIT,
    "P": TrackingCode.IN_TRANSIT,
    "O": TrackingCode.OUT_FOR_DELIVERY,
    "X": TrackingCode.EXCEPTION,
    "RS": TrackingCode.RETURNED_TO_SENDER,
    "DO": TrackingCode.IN_TRANSIT,
    "DD": TrackingCode.IN_TRANSIT,
    "W": TrackingCode.IN_TRANSIT,
    "M": None,
    "MV": None,
    "NA": None,
    "U": None,
}
# Status codes (Tracking API, "Status/Description Codes") that make an event more precise:
# out for delivery (6, 21, 37, 89, 91, 146, 162), loaded on the delivery vehicle (72), driver
# arriving soon (78); returned to the sender (34, 67 by the post office, 81 after damage).
OUT_FOR_DELIVERY_STATUSES = frozenset({6, 21, 37, 72, 78, 89, 91, 146, 162})
RETURNED_STATUSES = frozenset({34, 67, 81})
VOIDED = "MV"


def _status_number(status_code: str) -> int | None:
    return int(status_code) if status_code.isdigit() else None


def tracking_code(activity_type: str, status_code: str = "") -> TrackingCode | None:
    """Orderly's code for a UPS activity, or None when it moves nothing."""
    code = CODE_OF_TYPE.get(activity_type.upper())
    number = _status_number(status_code.strip())
    if code is None or number is None:
        return code
    if number in RETURNED_STATUSES and code in (TrackingCode.DELIVERED, TrackingCode.EXCEPTION):
        return TrackingCode.RETURNED_TO_SENDER
    if number in OUT_FOR_DELIVERY_STATUSES and code is TrackingCode.IN_TRANSIT:
        return TrackingCode.OUT_FOR_DELIVERY
    return code


def _offset(text: str) -> timezone | None:
    match = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", text.strip())
    if match is None:
        return None
    sign = -1 if match.group(1) == "-" else 1
    return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))


def _moment(day: str, time: str, zone: timezone) -> datetime | None:
    try:
        parsed = datetime.strptime(f"{day}{time.strip().zfill(6)}", "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return parsed.replace(tzinfo=zone)


def occurred_at(activity: dict[str, Any]) -> datetime | None:
    """When it happened: the local time with its offset, else the GMT time, else the local
    time taken as UTC."""
    day, time = str(activity.get("date", "")), str(activity.get("time", ""))
    zone = _offset(str(activity.get("gmtOffset", "")))
    if zone is not None and (moment := _moment(day, time, zone)):
        return moment
    gmt = _moment(str(activity.get("gmtDate", "")), str(activity.get("gmtTime", "")), UTC)
    return gmt or _moment(day, time, UTC)


def location(activity: dict[str, Any]) -> str | None:
    address = (activity.get("location") or {}).get("address") or {}
    parts = [
        str(address.get(key) or "").strip() for key in ("city", "stateProvince", "countryCode")
    ]
    return ", ".join(p for p in parts if p) or None


def status_of(activity: dict[str, Any]) -> tuple[str, str, str]:
    status = activity.get("status") or {}
    return (
        str(status.get("type", "")),
        str(status.get("statusCode", "")),
        str(status.get("description", "")).strip(),
    )


def updates(activities: list[dict[str, Any]]) -> list[TrackingUpdate]:
    """The events that move a shipment, oldest first (UPS lists the latest first)."""
    found = []
    for activity in activities:
        kind, status_code, description = status_of(activity)
        code = tracking_code(kind, status_code)
        moment = occurred_at(activity)
        if code is None or moment is None:
            continue
        found.append(TrackingUpdate(code, moment, description, location(activity)))
    return sorted(found, key=lambda update: update.occurred_at)


def packages(body: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The packages of each shipment of a track answer."""
    shipments = (body.get("trackResponse") or {}).get("shipment") or []
    return [list(s.get("package") or []) for s in shipments if isinstance(s, dict)]


def is_voided(package: dict[str, Any]) -> bool:
    return any(status_of(a)[0].upper() == VOIDED for a in package.get("activity") or [])
