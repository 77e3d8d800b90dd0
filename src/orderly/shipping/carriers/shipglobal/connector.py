"""The ShipGlobal connector: Labels API v1 (`customers.php` to sign in, `addOrder.php` to make
a cross-border order and its label). The API offers nothing else, and the connector says so."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from orderly.kit.clock import utcnow
from orderly.shipping.carriers.http import base_url, carrier_http
from orderly.shipping.carriers.shipglobal import errors
from orderly.shipping.carriers.shipglobal.payloads import (
    WEIGHT_UNITS,
    OrderOptions,
    encode,
    order_body,
)
from orderly.shipping.carriers.shipglobal.services import (
    ContractedService,
    can_carry,
    contracted_services,
)
from orderly.shipping.carriers.tokens import TOKENS
from orderly.shipping.domain import (
    AddressCheck,
    CarrierAccount,
    CarrierFeatures,
    Label,
    LabelPiece,
    RateQuote,
    ShipmentRequest,
    TrackingUpdate,
)
from orderly.shipping.errors import (
    CarrierCredentialsRefused,
    CarrierFailed,
    CarrierRefused,
    FeatureNotOffered,
    LabelOutcomeUnknown,
    NoServiceAvailable,
)

PRODUCTION = "https://labels.shipglobal.in/api/v1"
# ShipGlobal documents tokens that "expire ~24h after issuance", and gives `expires_at` as a
# local time without a zone: read as India time it can only seem sooner than it is.
TOKEN_LIFETIME = timedelta(hours=24)
INDIA_TIME = timezone(timedelta(hours=5, minutes=30), "IST")
WHY_REFUSED = {
    "ship_from.country": "ShipGlobal carries exports from India: the parcel must leave from IN",
    "ship_to.country": "ShipGlobal carries cross-border exports only, not parcels within India",
    "parcels": "ShipGlobal's Labels API takes one package per order: ship each parcel on its "
    "own purchase",
}


class ShipGlobalCarrier:
    features = CarrierFeatures(
        void=False,
        find_by_reference=False,
        tracking=False,
        address_validation=False,
        customs=True,
    )

    def __init__(self, account: CarrierAccount) -> None:
        self.code = account.code
        self.account = account
        self.base = base_url(account, PRODUCTION)
        self.http = carrier_http(account, self.base)
        errors.watch_refusals(self.http)
        self.email = account.credentials.get("email", "")
        self.password = account.credentials.get("password", "")

    # --- rates -------------------------------------------------------------------------------

    async def rates(self, shipment: ShipmentRequest) -> list[RateQuote]:
        """The contracted price of every service in the account's settings; no call is made."""
        services = contracted_services(self.account.settings)
        if can_carry(shipment) is not None:
            return []
        return [service.quote(self.code, shipment) for service in services.values()]

    # --- labels ------------------------------------------------------------------------------

    async def create_label(self, shipment: ShipmentRequest, service: str) -> Label:
        """One order with its PDF label, sent once. What ShipGlobal cannot take is refused
        before anything is sent."""
        if str(self.account.settings.get("label_format") or "pdf").lower() != "pdf":
            raise FeatureNotOffered(
                "ShipGlobal's Labels API makes PDF labels only: set label_format to pdf",
                field="settings.label_format",
            )
        contracted = self._service(service)
        currency = self._currency(shipment)
        body = order_body(shipment, service=service, currency=currency, options=self._options())
        answer = await self._add_order(encode(body))
        return self._label(answer, contracted, shipment)

    async def _add_order(self, body: bytes) -> Any:
        async def send(token: str) -> httpx.Response:
            errors.forget_refusal()
            try:
                return await self.http.send(
                    "POST",
                    f"{self.base}/addOrder.php",
                    content=body,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": JSON},
                    once=True,
                )
            except CarrierRefused as refused:
                raise errors.refusal(errors.refused_body(), fallback=refused.detail) from None

        response = await TOKENS.call(self._token_key(), self._sign_in, send)
        try:
            return response.json()
        except ValueError:
            raise LabelOutcomeUnknown(
                "ShipGlobal's answer to the order was not JSON: the order may exist; look for"
                " its order reference in ShipGlobal's panel"
            ) from None

    def _label(self, answer: Any, service: ContractedService, shipment: ShipmentRequest) -> Label:
        data = answer.get("data") if isinstance(answer, dict) else None
        data = data if isinstance(data, dict) else answer if isinstance(answer, dict) else {}
        order_number = str(data.get("order_number") or "")
        if isinstance(answer, dict) and (
            answer.get("success") is False or answer.get("status") is False
        ):
            raise errors.refusal(
                answer, fallback="ShipGlobal could not make the label", order_number=order_number
            )
        tracking_number = str(data.get("waybill_number") or "")
        if not tracking_number:
            raise LabelOutcomeUnknown(
                f"ShipGlobal answered without a tracking number for order reference "
                f"{shipment.reference!r}: the order may exist; look for it in ShipGlobal's panel"
            )
        pdf = _pdf(data.get("pdf_base64"))
        if pdf is None:
            raise CarrierFailed(
                f"ShipGlobal made {tracking_number} but sent no readable PDF label: print it"
                " from ShipGlobal's panel",
                extra={"tracking_number": tracking_number, "vendor_order_number": order_number},
            )
        piece = LabelPiece(tracking_number, pdf, "")
        return Label(
            tracking_number=tracking_number,
            pdf=pdf,
            zpl="",
            cost_minor=service.price_minor,
            currency=service.currency,
            service=service.code,
            estimated_delivery=service.quote(self.code, shipment).estimated_delivery,
            pieces=(piece,),
        )

    def _service(self, code: str) -> ContractedService:
        services = contracted_services(self.account.settings)
        if code not in services:
            raise NoServiceAvailable(
                f"{self.account.name} lists no service {code!r} in its settings.services",
                field="service",
            )
        return services[code]

    def _currency(self, shipment: ShipmentRequest) -> str:
        """The invoice's one currency, once the shipment is one ShipGlobal can carry."""
        field = can_carry(shipment)
        if field is not None:
            raise CarrierRefused(WHY_REFUSED[field], field=field)
        if shipment.customs is None or not shipment.customs.lines:
            raise CarrierRefused(
                "ShipGlobal needs the goods of every export: add the customs lines",
                field="customs",
            )
        currencies = sorted({line.currency for line in shipment.customs.lines})
        if len(currencies) > 1:
            raise CarrierRefused(
                "ShipGlobal takes one invoice currency per order; the customs lines use "
                + ", ".join(currencies),
                field="customs.lines",
            )
        return currencies[0]

    def _options(self) -> OrderOptions:
        settings = self.account.settings
        unit = str(settings.get("weight_unit") or "kg")
        if unit not in WEIGHT_UNITS:
            raise errors.SettingsInvalid(
                f"weight_unit must be one of {', '.join(WEIGHT_UNITS)}",
                field="settings.weight_unit",
            )
        try:
            tax_rate = Decimal(str(settings.get("item_tax_rate") or 0))
        except InvalidOperation:
            raise errors.SettingsInvalid(
                "item_tax_rate must be a number", field="settings.item_tax_rate"
            ) from None
        return OrderOptions(
            seller_nickname=str(settings.get("seller_nickname") or ""),
            csb5=bool(settings.get("csb5", False)),
            weight_unit=unit,
            ioss_number=str(settings.get("ioss_number") or ""),
            seller_tax_id_type=str(settings.get("seller_tax_id_type") or ""),
            seller_tax_id=str(settings.get("seller_tax_id") or ""),
            item_tax_rate=tax_rate,
        )

    # --- signing in --------------------------------------------------------------------------

    def _token_key(self) -> tuple[str, ...]:
        return ("shipglobal", self.base, self.email)

    async def _sign_in(self) -> tuple[str, float]:
        """A bearer token and its lifetime in seconds."""
        if not self.email or not self.password:
            raise CarrierCredentialsRefused(
                "the ShipGlobal account needs its email and password in credentials"
            )
        response = await self.http.send(
            "POST",
            f"{self.base}/customers.php",
            json={"email": self.email, "password": self.password},
        )
        try:
            answer = response.json()
        except ValueError:
            answer = None
        token = answer.get("token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise CarrierFailed("ShipGlobal's sign-in answered without a token")
        return token, token_lifetime(answer.get("expires_at"), response.headers.get("date"))

    # --- what the Labels API does not offer --------------------------------------------------

    async def find_labels(self, reference: str, ship_date: date) -> list[str]:
        raise FeatureNotOffered(
            "ShipGlobal's Labels API cannot look orders up: search ShipGlobal's panel for order"
            f" reference {reference!r} before buying the label again"
        )

    async def cancel_label(self, tracking_number: str) -> None:
        raise FeatureNotOffered(
            f"ShipGlobal's Labels API cannot cancel a label: cancel {tracking_number} in"
            " ShipGlobal's panel"
        )

    async def track(self, tracking_number: str) -> list[TrackingUpdate]:
        raise FeatureNotOffered(
            "ShipGlobal's Labels API reports no tracking: follow the parcel on ShipGlobal's or"
            " the last-mile carrier's tracking page"
        )

    async def validate_address(self, address: dict[str, Any]) -> AddressCheck:
        raise FeatureNotOffered(
            "ShipGlobal's Labels API checks no addresses: it passes orders to the last-mile"
            " carrier as they are"
        )


JSON = "application/json"


def token_lifetime(expires_at: Any, server_date: str | None) -> float:
    """Seconds until `expires_at` by the server's own clock (its Date header), never more than
    the documented lifetime; the documented lifetime when either cannot be read."""
    limit = TOKEN_LIFETIME.total_seconds()
    try:
        expires = datetime.strptime(str(expires_at), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return limit
    try:
        now = parsedate_to_datetime(server_date) if server_date else utcnow()
    except (TypeError, ValueError):
        now = utcnow()
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    left = (expires.replace(tzinfo=INDIA_TIME) - now).total_seconds()
    return min(left, limit) if left > 0 else limit


def _pdf(encoded: Any) -> bytes | None:
    if not isinstance(encoded, str) or not encoded:
        return None
    try:
        pdf = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return pdf if pdf.startswith(b"%PDF-") else None
