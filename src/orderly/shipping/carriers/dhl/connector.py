"""The DHL Express carrier over the MyDHL API: rates, one label purchase per shipment, lookup by
our reference, tracking and DHL's address check. Basic auth on every call; no label void."""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx

from orderly.kit.vendor_http import VendorHttp
from orderly.shipping.carriers.dhl import errors, payloads
from orderly.shipping.carriers.dhl.documents import label_documents, label_pieces
from orderly.shipping.carriers.dhl.settings import (
    PRODUCTION_URL,
    DhlCredentials,
    DhlSettings,
)
from orderly.shipping.carriers.dhl.tracking import tracking_updates
from orderly.shipping.carriers.http import base_url, carrier_http
from orderly.shipping.domain import (
    AddressCheck,
    CarrierAccount,
    CarrierFeatures,
    Label,
    RateQuote,
    ShipmentRequest,
    TrackingUpdate,
)
from orderly.shipping.errors import (
    CarrierCredentialsRefused,
    CarrierFailed,
    CarrierRefused,
    FeatureNotOffered,
)

# The problem body of the refusal being handled, read from the answer before the shared
# vendor HTTP turns it into a generic error (one per task, so concurrent calls keep theirs).
_PROBLEM: ContextVar[dict[str, Any] | None] = ContextVar("dhl_problem", default=None)
# Lookups by reference search this many days either side of the ship date.
LOOKUP_DAYS = 1
# The price DHL bills the account in; the others are public and base-currency prices.
BILLING = "BILLC"


async def _keep_problem(response: httpx.Response) -> None:
    if 400 <= response.status_code < 500:
        await response.aread()
        try:
            body = response.json()
        except ValueError:
            return
        if isinstance(body, dict):
            _PROBLEM.set(body)


class DhlExpressCarrier:
    features = CarrierFeatures(
        void=False,
        find_by_reference=True,
        tracking=True,
        address_validation=True,
        customs=True,
    )

    def __init__(self, account: CarrierAccount) -> None:
        self.code = account.code
        self.account = account
        self.base = base_url(account, PRODUCTION_URL)
        self._http: VendorHttp | None = None

    # --- calls -------------------------------------------------------------------------------

    @property
    def settings(self) -> DhlSettings:
        return DhlSettings.of(self.account.settings)

    @property
    def credentials(self) -> DhlCredentials:
        return DhlCredentials.of(self.account)

    def http(self) -> VendorHttp:
        if self._http is None:
            self._http = carrier_http(self.account, self.base)
            self._http.client.event_hooks["response"].append(_keep_problem)
        return self._http

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        once: bool = False,
    ) -> dict[str, Any]:
        """One MyDHL API call; DHL's refusals raise with DHL's message and the field named."""
        credentials, settings = self.credentials, self.settings
        headers = {
            "x-version": settings.api_version,
            "Message-Reference": str(uuid.uuid4()),
            "Accept": "application/json",
        }
        token = _PROBLEM.set(None)
        try:
            response = await self.http().send(
                method,
                f"{self.base}{path}",
                params=params,
                json=json,
                headers=headers,
                auth=credentials.auth(),
                once=once,
            )
        except CarrierCredentialsRefused as refused:
            raise errors.credentials_refusal(_PROBLEM.get(), refused) from None
        except CarrierRefused as refused:
            raise errors.refusal(_PROBLEM.get(), refused) from None
        finally:
            _PROBLEM.reset(token)
        try:
            body = response.json(parse_float=Decimal)
        except ValueError:
            raise CarrierFailed(f"DHL Express answered {path} with no JSON") from None
        if not isinstance(body, dict):
            raise CarrierFailed(f"DHL Express answered {path} with no JSON object")
        return body

    # --- the port ----------------------------------------------------------------------------

    async def rates(self, shipment: ShipmentRequest) -> list[RateQuote]:
        if shipment.hazmat:  # DHL prices dangerous goods only with their content ID
            return []
        body = payloads.rate_request(
            shipment, account_number=self.credentials.account_number, settings=self.settings
        )
        try:
            answer = await self.call("POST", "/rates", json=body)
        except CarrierRefused as refused:
            if refused.extra.get("vendor_status") == 404:  # no product serves the shipment
                return []
            raise
        quotes = [self._quote(product, shipment) for product in answer.get("products") or []]
        return [quote for quote in quotes if quote is not None]

    def _quote(self, product: dict[str, Any], shipment: ShipmentRequest) -> RateQuote | None:
        prices = [p for p in product.get("totalPrice") or [] if p.get("priceCurrency")]
        price = next((p for p in prices if p.get("currencyType") == BILLING), None)
        price = price or next((p for p in prices if p.get("price")), None)
        if price is None or not product.get("productCode"):
            return None
        currency = str(price["priceCurrency"])
        capabilities = product.get("deliveryCapabilities") or {}
        days = int(capabilities.get("totalTransitDays") or 0)
        arrives = str(capabilities.get("estimatedDeliveryDateAndTime") or "")[:10]
        return RateQuote(
            carrier=self.code,
            service=str(product["productCode"]),
            service_name=str(product.get("productName") or product["productCode"]),
            price_minor=payloads.minor_units(price.get("price") or 0, currency),
            currency=currency,
            transit_days=days,
            estimated_delivery=(
                date.fromisoformat(arrives) if arrives else shipment.ship_date + timedelta(days)
            ),
        )

    async def create_label(self, shipment: ShipmentRequest, service: str) -> Label:
        if shipment.hazmat:
            raise CarrierRefused(
                "DHL Express ships dangerous goods only under a DHL content ID, "
                "which this connector does not send",
                field="hazmat",
            )
        settings = self.settings
        body = payloads.shipment_request(
            shipment, service, account_number=self.credentials.account_number, settings=settings
        )
        # A purchase is sent once: a lost answer is LabelOutcomeUnknown, then find_labels.
        answer = await self.call("POST", "/shipments", json=body, once=True)
        master = str(answer.get("shipmentTrackingNumber") or "")
        if not master:
            raise CarrierFailed("DHL Express made a shipment without a tracking number")
        packages = sorted(answer.get("packages") or [], key=lambda p: p.get("referenceNumber", 0))
        numbers = [str(p["trackingNumber"]) for p in packages if p.get("trackingNumber")]
        pdf, zpl, pieces = label_pieces(
            label_documents(answer), numbers or [master], encoding=settings.label_format
        )
        cost_minor, currency = self._charges(answer)
        arrives = (answer.get("estimatedDeliveryDate") or {}).get("estimatedDeliveryDate")
        return Label(
            tracking_number=master,
            pdf=pdf,
            zpl=zpl,
            cost_minor=cost_minor,
            currency=currency,
            service=service,
            estimated_delivery=date.fromisoformat(str(arrives)[:10]) if arrives else None,
            pieces=pieces,
        )

    def _charges(self, answer: dict[str, Any]) -> tuple[int, str]:
        """What DHL estimates the shipment costs the account; nothing when DHL gives no
        estimate (it then says why in `warnings`)."""
        charges = [c for c in answer.get("shipmentCharges") or [] if c.get("priceCurrency")]
        charge = next((c for c in charges if c.get("currencyType") == BILLING), None)
        charge = charge or (charges[0] if charges else None)
        if charge is None:
            return 0, self.settings.currency
        currency = str(charge["priceCurrency"])
        return payloads.minor_units(charge.get("price") or 0, currency), currency

    async def find_labels(self, reference: str, ship_date: date) -> list[str]:
        """DHL's tracking by shipper reference, within days of the ship date."""
        params = {
            "shipmentReference": payloads.reference_value(reference),
            "shipmentReferenceType": payloads.REFERENCE_TYPE,
            "shipperAccountNumber": self.credentials.account_number,
            "dateRangeFrom": (ship_date - timedelta(days=LOOKUP_DAYS)).isoformat(),
            "dateRangeTo": (ship_date + timedelta(days=LOOKUP_DAYS)).isoformat(),
            "trackingView": "shipment-details-only",
            "levelOfDetail": "shipment",
        }
        try:
            answer = await self.call("GET", "/tracking", params=params)
        except CarrierRefused as refused:
            if refused.extra.get("vendor_status") == 404:  # no shipment has the reference
                return []
            raise
        numbers = [
            str(s.get("shipmentTrackingNumber") or "") for s in answer.get("shipments") or []
        ]
        return list(dict.fromkeys(number for number in numbers if number))

    async def cancel_label(self, tracking_number: str) -> None:
        raise FeatureNotOffered(
            "DHL Express's API cannot void a label: report a label bought by mistake "
            f"({tracking_number}) to DHL Express customer service"
        )

    async def track(self, tracking_number: str) -> list[TrackingUpdate]:
        params = {
            "trackingView": "all-checkpoints",
            "levelOfDetail": "shipment",
            "requestGMTOffsetPerEvent": "true",
        }
        try:
            answer = await self.call("GET", f"/shipments/{tracking_number}/tracking", params=params)
        except CarrierRefused as refused:
            if refused.extra.get("vendor_status") == 404:  # nothing scanned (or known) yet
                return []
            raise
        return tracking_updates(answer)

    async def validate_address(self, address: dict[str, Any]) -> AddressCheck:
        """DHL checks whether it delivers to the postal code and city; it says nothing of the
        street, nor whether the address is a home."""
        query = payloads.address_query(address)
        answer = await self.call("GET", "/address-validate", params=query)
        postal, city = _postal(address.get("postal_code")), _city(address.get("city"))
        found = [a for a in answer.get("address") or [] if isinstance(a, dict)]

        def same(place: dict[str, Any]) -> bool:
            if _postal(place.get("postalCode")) != postal:
                return False
            return not city or _city(place.get("cityName")) == city

        deliverable = any(same(place) for place in found)
        suggestions = tuple(
            {
                **address,
                "postal_code": str(place.get("postalCode") or ""),
                "city": str(place.get("cityName") or ""),
            }
            for place in found
        )
        return AddressCheck(
            deliverable=deliverable,
            residential=None,
            suggestions=() if deliverable else suggestions,
            messages=tuple(str(w) for w in answer.get("warnings") or []),
        )


def _postal(value: Any) -> str:
    return str(value or "").replace(" ", "").upper()


def _city(value: Any) -> str:
    return " ".join(str(value or "").split()).casefold()
