"""The UPS carrier: UPS's REST APIs (Rating, Shipping, Void, Tracking, Address Validation)
with an OAuth client-credentials token per account. Settings: ``base_url`` (production by
default; ``https://wwwcie.ups.com`` for UPS's test environment) and ``label_format``."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from orderly.kit.clock import utcnow
from orderly.shipping.carriers.http import base_url, carrier_http
from orderly.shipping.carriers.tokens import TOKENS
from orderly.shipping.carriers.ups import payloads, replies, tracking
from orderly.shipping.carriers.ups.errors import (
    NO_SERVICE,
    NO_SHIPMENT_TO_VOID,
    NOT_FOUND,
    carrier_code,
    raise_refusals,
)
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
    CarrierRefused,
    FeatureNotOffered,
)

PRODUCTION_URL = "https://onlinetools.ups.com"
OAUTH_PATH = "/security/v1/oauth/token"
RATING_VERSION = "v2409"
SHIPPING_VERSION = "v2409"
ADDRESS_VALIDATION_VERSION = "v2"
TRACKING_PATH = "/api/track/v1"
LABEL_FORMATS = ("pdf", "zpl")
CREDENTIAL_KEYS = ("client_id", "client_secret", "account_number")
# Street-level address validation covers the US and Puerto Rico only.
VALIDATED_COUNTRIES = frozenset({"US", "PR"})
# Shipments looked up by reference: pickup dates from two weeks before the ship date.
REFERENCE_WINDOW = timedelta(days=14)
TRANSACTION_SOURCE = "orderly"


class UpsCarrier:
    features = CarrierFeatures(
        void=True, find_by_reference=True, tracking=True, address_validation=True, customs=True
    )

    def __init__(self, account: CarrierAccount) -> None:
        self.code = account.code
        self.base = base_url(account, PRODUCTION_URL)
        self.credentials = account.credentials
        label_format = str(account.settings.get("label_format") or "pdf").lower()
        if label_format not in LABEL_FORMATS:
            raise CarrierRefused(
                f"label_format must be one of {', '.join(LABEL_FORMATS)}", field="label_format"
            )
        self.zpl = label_format == "zpl"
        self.http = carrier_http(account, self.base)
        self.http.client.event_hooks = {"request": [], "response": [raise_refusals]}

    # --- the port ------------------------------------------------------------------------

    async def rates(self, shipment: ShipmentRequest) -> list[RateQuote]:
        option = payloads.rating_option(shipment)
        body = payloads.rate_request(shipment, self._account_number)
        try:
            answer = await self._call("POST", f"/api/rating/{RATING_VERSION}/{option}", json=body)
        except CarrierRefused as error:
            if carrier_code(error) == NO_SERVICE:
                return []
            raise
        return replies.quotes(answer, shipment, carrier=self.code)

    async def create_label(self, shipment: ShipmentRequest, service: str) -> Label:
        body = payloads.ship_request(
            shipment,
            service,
            account_number=self._account_number,
            label_format="zpl" if self.zpl else "pdf",
            today=utcnow().date(),
        )
        path = f"/api/shipments/{SHIPPING_VERSION}/ship"
        answer = await self._call("POST", path, json=body, once=True)
        return replies.label(answer, service=service, zpl=self.zpl)

    async def find_labels(self, reference: str, ship_date: date) -> list[str]:
        """Master tracking numbers of the live (not voided) shipments made with `reference`:
        UPS's first package of each shipment found by Track by Reference Number. A label
        bought after its ship date is dated the day it was bought, so the search runs to
        today."""
        params = {
            "locale": "en_US",
            "fromPickUpDate": payloads.ups_date(ship_date - REFERENCE_WINDOW),
            "toPickUpDate": payloads.ups_date(max(ship_date, utcnow().date())),
            "shipperNum": self._account_number,
            "refNumType": "SmallPackage",
        }
        path = f"{TRACKING_PATH}/reference/details/{quote(reference, safe='')}"
        try:
            answer = await self._call("GET", path, params=params)
        except CarrierRefused as error:
            if carrier_code(error) == NOT_FOUND:
                return []
            raise
        found = []
        for packages in tracking.packages(answer):
            numbers = [str(p.get("trackingNumber", "")) for p in packages]
            if numbers and numbers[0] and not any(tracking.is_voided(p) for p in packages):
                found.append(numbers[0])
        return list(dict.fromkeys(found))

    async def cancel_label(self, tracking_number: str) -> None:
        """Void the whole shipment. UPS answers a second void as it answers an unknown number,
        so that answer is checked against tracking: a voided shipment is not an error."""
        path = f"/api/shipments/{SHIPPING_VERSION}/void/cancel/{quote(tracking_number, safe='')}"
        try:
            await self._call("DELETE", path)
        except CarrierRefused as error:
            if carrier_code(error) != NO_SHIPMENT_TO_VOID or not await self._voided(
                tracking_number
            ):
                raise

    async def track(self, tracking_number: str) -> list[TrackingUpdate]:
        answer = await self._track(tracking_number)
        activities = [
            activity
            for packages in tracking.packages(answer)
            for package in packages[:1]
            for activity in package.get("activity") or []
        ]
        return tracking.updates(activities)

    async def validate_address(self, address: dict[str, Any]) -> AddressCheck:
        country = str(address.get("country") or "").upper()
        if country not in VALIDATED_COUNTRIES:
            raise FeatureNotOffered(
                "UPS checks street addresses in the United States and Puerto Rico only"
            )
        path = f"/api/addressvalidation/{ADDRESS_VALIDATION_VERSION}/3"
        answer = await self._call(
            "POST",
            path,
            json=payloads.address_request(address),
            params={"maximumcandidatelistsize": "5"},
        )
        return replies.address_check(answer)

    # --- UPS -----------------------------------------------------------------------------

    async def _track(self, tracking_number: str) -> dict[str, Any]:
        params = {"locale": "en_US", "returnSignature": "false", "returnMilestones": "false"}
        path = f"{TRACKING_PATH}/details/{quote(tracking_number, safe='')}"
        try:
            return await self._call("GET", path, params=params)
        except CarrierRefused as error:
            if carrier_code(error) == NOT_FOUND:
                return {}
            raise

    async def _voided(self, tracking_number: str) -> bool:
        packages = [p for ps in tracking.packages(await self._track(tracking_number)) for p in ps]
        return bool(packages) and all(tracking.is_voided(p) for p in packages)

    def _credential(self, key: str) -> str:
        value = str(self.credentials.get(key) or "").strip()
        if not value:
            missing = [k for k in CREDENTIAL_KEYS if not self.credentials.get(k)]
            raise CarrierCredentialsRefused(
                f"the UPS account needs the credentials {', '.join(missing)}"
            )
        return value

    @property
    def _account_number(self) -> str:
        return self._credential("account_number")

    @property
    def _token_key(self) -> tuple[str, ...]:
        return ("ups", self.base, self._credential("client_id"))

    async def _fetch_token(self) -> tuple[str, float]:
        """Client credentials: HTTP Basic with the app's client id and secret."""
        response = await self.http.send(
            "POST",
            f"{self.base}{OAUTH_PATH}",
            content=urlencode({"grant_type": "client_credentials"}).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "x-merchant-id": self._account_number,
            },
            auth=httpx.BasicAuth(self._credential("client_id"), self._credential("client_secret")),
        )
        body = response.json()
        try:
            return str(body["access_token"]), float(body["expires_in"])
        except (KeyError, TypeError, ValueError):
            raise CarrierCredentialsRefused(
                "UPS answered the token request without a token"
            ) from None

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        once: bool = False,
    ) -> dict[str, Any]:
        async def call(token: str) -> httpx.Response:
            headers = {
                "Authorization": f"Bearer {token}",
                "transId": uuid.uuid4().hex,
                "transactionSrc": TRANSACTION_SOURCE,
            }
            return await self.http.send(
                method, f"{self.base}{path}", json=json, params=params, headers=headers, once=once
            )

        response = await TOKENS.call(self._token_key, self._fetch_token, call)
        answer: Any = response.json()
        return answer if isinstance(answer, dict) else {}
