"""The FedEx carrier: rates with transit times, one label purchase per shipment (a master
tracking number and a label per parcel), void, lookup by our reference, tracking and address
validation, over FedEx's REST APIs (see docs/shipping.md, "FedEx")."""

from __future__ import annotations

from datetime import date
from typing import Any

from orderly.shipping.carriers.fedex import payloads, replies
from orderly.shipping.carriers.fedex.api import FedExApi
from orderly.shipping.carriers.fedex.errors import (
    ALREADY_CANCELLED,
    NOT_FOUND,
    FedExAccountInvalid,
    error_list,
    refused,
)
from orderly.shipping.carriers.fedex.payloads import AccountSettings
from orderly.shipping.carriers.fedex.tracking import scan_updates
from orderly.shipping.domain import (
    AddressCheck,
    CarrierAccount,
    CarrierFeatures,
    Label,
    RateQuote,
    ShipmentRequest,
    TrackingUpdate,
)
from orderly.shipping.errors import CarrierRefused, FeatureNotOffered

LABEL_FORMATS = ("pdf", "zpl")
PICKUP_TYPES = ("DROPOFF_AT_FEDEX_LOCATION", "CONTACT_FEDEX_TO_SCHEDULE", "USE_SCHEDULED_PICKUP")
# FedEx's status of a voided shipment: a lookup does not count it as a label in use.
CANCELLED = "CA"


class FedExCarrier:
    features = CarrierFeatures(
        void=True, find_by_reference=True, tracking=True, address_validation=True, customs=True
    )

    def __init__(self, account: CarrierAccount) -> None:
        self.code = account.code
        self.account = account
        self.api = FedExApi(account)

    def settings(self) -> AccountSettings:
        """The account's settings, checked when FedEx is called (an account with a mistake must
        not keep the organization's other carriers from quoting)."""
        values = self.account.settings
        number = str(
            self.account.credentials.get("account_number") or values.get("account_number") or ""
        ).strip()
        if not (number.isdigit() and len(number) == 9):
            raise FedExAccountInvalid(
                "the FedEx account needs its 9-digit account_number", field="account_number"
            )
        label_format = str(values.get("label_format") or "pdf").lower()
        if label_format not in LABEL_FORMATS:
            raise FedExAccountInvalid(
                f"label_format must be one of {', '.join(LABEL_FORMATS)}",
                field="settings.label_format",
            )
        pickup = str(values.get("pickup_type") or PICKUP_TYPES[0])
        if pickup not in PICKUP_TYPES:
            raise FedExAccountInvalid(
                f"pickup_type must be one of {', '.join(PICKUP_TYPES)}",
                field="settings.pickup_type",
            )
        return AccountSettings(
            account_number=number,
            pickup_type=pickup,
            packaging_type=str(values.get("packaging_type") or "YOUR_PACKAGING"),
            label_format=label_format,
        )

    async def rates(self, shipment: ShipmentRequest) -> list[RateQuote]:
        if shipment.hazmat or not shipment.parcels:
            # Dangerous goods need FedEx's hazmat details, which this connector does not send.
            return []
        body = await self.api.call(
            "POST", "/rate/v1/rates/quotes", payloads.rate_request(shipment, self.settings())
        )
        return replies.rate_quotes(body, carrier=self.code, ship_date=shipment.ship_date)

    async def create_label(self, shipment: ShipmentRequest, service: str) -> Label:
        if shipment.hazmat:
            raise FeatureNotOffered("FedEx dangerous-goods shipments are not supported here")
        request = payloads.ship_request(shipment, service, self.settings())
        body = await self.api.call(
            "POST",
            "/ship/v1/shipments",
            request,
            once=True,
            transaction_id=shipment.reference,
        )
        if not isinstance(body.get("output"), dict) and error_list(body):
            raise refused(error_list(body), status=200)
        return replies.label(body, service=service)

    async def find_labels(self, reference: str, ship_date: date) -> list[str]:
        """Master tracking numbers of the shipments FedEx keeps under our reference, voided ones
        left out. FedEx may take some minutes to make a new shipment searchable."""
        request = payloads.reference_request(reference, ship_date, self.settings())
        body = await self.api.call("POST", "/track/v1/referencenumbers", request)
        out = replies.output(body, "reference lookup")
        found: list[str] = []
        for complete in out.get("completeTrackResults") or []:
            for result in complete.get("trackResults") or []:
                number = self._lookup_hit(result)
                if number and number not in found:
                    found.append(number)
        return found

    def _lookup_hit(self, result: dict[str, Any]) -> str | None:
        error = result.get("error")
        if isinstance(error, dict) and error:
            if error.get("code") in NOT_FOUND:
                return None
            raise refused(error_list({"errors": [error]}), status=200)
        latest = result.get("latestStatusDetail") or {}
        if latest.get("code") == CANCELLED or latest.get("derivedCode") == CANCELLED:
            return None
        # One entry per package: the master is the first package of the shipment.
        sequence = str((result.get("packageDetails") or {}).get("sequenceNumber") or "1")
        if sequence != "1":
            return None
        number = (result.get("trackingNumberInfo") or {}).get("trackingNumber")
        return str(number) if number else None

    async def cancel_label(self, tracking_number: str) -> None:
        request = payloads.cancel_request(tracking_number, self.settings())
        try:
            body = await self.api.call("PUT", "/ship/v1/shipments/cancel", request)
        except CarrierRefused as refusal:
            if refusal.extra.get("vendor_code") in ALREADY_CANCELLED:
                return None
            raise
        out = replies.output(body, "cancel")
        if out.get("cancelledShipment") is not True:
            message = out.get("message") or "the shipment was not cancelled"
            raise CarrierRefused(f"FedEx did not cancel {tracking_number}: {message}")
        return None

    async def track(self, tracking_number: str) -> list[TrackingUpdate]:
        """FedEx's scans of the shipment. A number FedEx does not know (yet) has no news: a new
        label may take a while to reach FedEx's tracking."""
        body = await self.api.call(
            "POST", "/track/v1/trackingnumbers", payloads.track_request(tracking_number)
        )
        for complete in replies.output(body, "tracking").get("completeTrackResults") or []:
            for result in complete.get("trackResults") or []:
                error = result.get("error")
                if isinstance(error, dict) and error:
                    if error.get("code") in NOT_FOUND:
                        return []
                    raise refused(error_list({"errors": [error]}), status=200)
                return scan_updates(result)
        return []

    async def validate_address(self, address: dict[str, Any]) -> AddressCheck:
        body = await self.api.call(
            "POST", "/address/v1/addresses/resolve", payloads.address_request(address)
        )
        return replies.address_check(body, address)
