"""A fake FedEx (REST APIs v1: OAuth, Rate, Ship, Cancel, Track by number and by reference,
Address Validation), built from FedEx's published OpenAPI documents and developer guides.

It answers as those documents say: OAuth client credentials, form-encoded, tokens that expire
after `expires_in` on the test clock; errors as `{"transactionId", "errors": [{"code",
"message"}]}` with FedEx's codes; shipments stored, so that tracking, cancelling and the lookup by
customer reference answer from what was made; labels as real PDF (reportlab) or ZPL II.
One module, longer than most, because it is one vendor's whole API surface that tests drive as
one. FedEx's documents show only example error codes; the others used here come from FedEx's
guides and integrations that met them (see docs/shipping.md, "FedEx")."""

from __future__ import annotations

import base64
import io
import json
import random
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NoReturn
from urllib.parse import parse_qs

from reportlab.graphics.barcode.code128 import Code128
from reportlab.pdfgen.canvas import Canvas
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tests.clock import MovableClock

# The fake's calendar: the test clock's start is this moment; local times are US Central.
EPOCH = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
LOCAL = timezone(timedelta(hours=-6))
MAX_PACKAGE_KG = Decimal("68")  # 150 lb, FedEx Express and Ground
MAX_PACKAGE_LB = Decimal("150")

ISO_COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO
    DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU
    GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW
    KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU
    MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
    PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
    TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA
    ZM ZW""".split()
)
EU = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)
# Postal-aware countries (a postal code is required) and the form FedEx accepts.
POSTAL_FORMS = {
    "US": r"\d{5}(-\d{4})?",
    "CA": r"[A-Z]\d[A-Z] ?\d[A-Z]\d",
    "MX": r"\d{5}",
    "GB": r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}",
    "DE": r"\d{5}",
    "FR": r"\d{5}",
    "IT": r"\d{5}",
    "ES": r"\d{5}",
    "NL": r"\d{4} ?[A-Z]{2}",
    "BE": r"\d{4}",
    "AU": r"\d{4}",
    "JP": r"\d{3}-?\d{4}",
}
# The first digit of a US ZIP code and the states it serves (USPS national areas).
US_ZIP_AREAS = {
    "0": "CT MA ME NH NJ PR RI VT VI",
    "1": "DE NY PA",
    "2": "DC MD NC SC VA WV",
    "3": "AL FL GA MS TN",
    "4": "IN KY MI OH",
    "5": "IA MN MT ND SD WI",
    "6": "IL KS MO NE",
    "7": "AR LA OK TX",
    "8": "AZ CO ID NM NV UT WY",
    "9": "AK CA HI OR WA",
}
PICKUP_TYPES = ("CONTACT_FEDEX_TO_SCHEDULE", "DROPOFF_AT_FEDEX_LOCATION", "USE_SCHEDULED_PICKUP")
PACKAGING_TYPES = (
    "YOUR_PACKAGING FEDEX_ENVELOPE FEDEX_BOX FEDEX_SMALL_BOX FEDEX_MEDIUM_BOX FEDEX_LARGE_BOX "
    "FEDEX_EXTRA_LARGE_BOX FEDEX_10KG_BOX FEDEX_25KG_BOX FEDEX_PAK FEDEX_TUBE"
).split()
IMAGE_TYPES = ("ZPLII", "EPL2", "PDF", "PNG")
LABEL_STOCKS = (
    "PAPER_4X6 STOCK_4X675 PAPER_4X675 PAPER_4X8 PAPER_4X9 PAPER_7X475 "
    "PAPER_85X11_BOTTOM_HALF_LABEL PAPER_85X11_TOP_HALF_LABEL PAPER_LETTER "
    "STOCK_4X675_LEADING_DOC_TAB STOCK_4X8 STOCK_4X9_LEADING_DOC_TAB STOCK_4X6 "
    "STOCK_4X675_TRAILING_DOC_TAB STOCK_4X9_TRAILING_DOC_TAB STOCK_4X9 "
    "STOCK_4X85_TRAILING_DOC_TAB STOCK_4X105_TRAILING_DOC_TAB"
).split()
REFERENCE_TYPES = (
    "CUSTOMER_REFERENCE DEPARTMENT_NUMBER INVOICE_NUMBER P_O_NUMBER "
    "INTRACOUNTRY_REGULATORY_REFERENCE RMA_ASSOCIATION"
).split()
PAYMENT_TYPES = ("SENDER", "RECIPIENT", "THIRD_PARTY", "COLLECT")
PURPOSES = ("GIFT", "NOT_SOLD", "PERSONAL_EFFECTS", "REPAIR_AND_RETURN", "SAMPLE", "SOLD")
CURRENCY_OF = {"US": "USD", "CA": "CAD", "MX": "MXN", "GB": "GBP", "AU": "AUD", "JP": "JPY"}
DOCUMENTS = "https://fedex.test/document/v2/document/retrieve/"
TRANSIT_WORDS = {1: "ONE_DAY", 2: "TWO_DAYS", 3: "THREE_DAYS", 4: "FOUR_DAYS", 5: "FIVE_DAYS"}


@dataclass(frozen=True)
class Service:
    name: str
    international: bool
    ground: bool
    base: Decimal
    per_kg: Decimal
    days: int
    countries: frozenset[str] = frozenset()  # domestic services: where they run
    residential: bool | None = None  # None: any address


# code, where, network, base price, price per kg, business days, domestic countries, addressee
SERVICE_TABLE = """
FEDEX_GROUND                 dom  ground  9.50  1.10 3 US,CA    business FedEx Ground®
GROUND_HOME_DELIVERY         dom  ground  10.90 1.10 3 US       home     FedEx Home Delivery®
FEDEX_EXPRESS_SAVER          dom  express 21.00 2.20 3 US       any      FedEx Express Saver®
FEDEX_2_DAY                  dom  express 24.75 2.90 2 US       any      FedEx 2Day®
STANDARD_OVERNIGHT           dom  express 45.10 4.20 1 US,CA,MX any      FedEx Standard Overnight®
PRIORITY_OVERNIGHT           dom  express 52.30 4.80 1 US,CA,MX any      FedEx Priority Overnight®
FEDEX_INTERNATIONAL_PRIORITY intl express 85.00 9.50 2 - any FedEx International Priority®
INTERNATIONAL_ECONOMY        intl express 60.00 7.00 5 - any FedEx International Economy®
"""


def _services() -> dict[str, Service]:
    services = {}
    for row in SERVICE_TABLE.strip().splitlines():
        code, where, network, base, per_kg, days, countries, addressee, *name = row.split()
        services[code] = Service(
            name=" ".join(name),
            international=where == "intl",
            ground=network == "ground",
            base=Decimal(base),
            per_kg=Decimal(per_kg),
            days=int(days),
            countries=frozenset(countries.split(",")) - {"-"},
            residential={"business": False, "home": True}.get(addressee),
        )
    return services


SERVICES = _services()
RESIDENTIAL_SURCHARGE = Decimal("4.10")
LIST_MARKUP = Decimal("1.18")

# FedEx's scan codes as its derived status codes, and the words it shows for them.
DERIVED = {
    "OC": "IN",
    "PU": "PU",
    "OD": "OD",
    "DL": "DL",
    "DE": "DE",
    "SE": "DE",
    "RS": "RS",
    "CA": "CA",
    "HP": "HP",
    "CD": "DE",
    "DY": "DY",
}
DESCRIPTIONS = {
    "OC": "Shipment information sent to FedEx",
    "PU": "Picked up",
    "AR": "Arrived at FedEx location",
    "DP": "Departed FedEx location",
    "IT": "In transit",
    "AF": "At local FedEx facility",
    "OD": "On FedEx vehicle for delivery",
    "DL": "Delivered",
    "DE": "Delivery exception",
    "SE": "Shipment exception",
    "RS": "Return to shipper",
    "CA": "Shipment cancelled by sender",
    "CC": "International shipment release - Import",
    "HP": "Ready for recipient pickup",
}


class Refusal(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def refuse(code: str, message: str, status: int = 400) -> NoReturn:
    raise Refusal(code, message, status)


def invalid(path: str) -> NoReturn:
    refuse("INVALID.INPUT.EXCEPTION", f"Invalid field value in the input: {path}")


def obj(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        invalid(path)
    return value


def number(value: Any, path: str, *, code: str = "INVALID.INPUT.EXCEPTION") -> Decimal:
    """FedEx's numbers; its own samples send them as strings, which it accepts."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        refuse(code, f"Invalid field value in the input: {path}")
    try:
        parsed = Decimal(str(value))
    except ArithmeticError:
        refuse(code, f"Invalid field value in the input: {path}")
    if not parsed.is_finite():
        refuse(code, f"Invalid field value in the input: {path}")
    return parsed


def currency_of(country: str) -> str:
    """The currency FedEx bills an account of that country in."""
    return CURRENCY_OF.get(country, "EUR" if country in EU else "USD")


def money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass
class Piece:
    tracking_number: str
    sequence: int
    kilograms: Decimal
    references: list[dict[str, str]]
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Shipment:
    master: str
    service: str
    ship_date: date
    shipper: dict[str, Any]
    recipient: dict[str, Any]
    pieces: list[Piece]
    charge: Decimal
    currency: str
    cancelled: bool = False


@dataclass(frozen=True)
class Checked:
    """What the fake read from a rate or ship request."""

    shipper: dict[str, Any]
    recipient: dict[str, Any]
    packages: list[dict[str, Any]]
    kilograms: list[Decimal]
    billable: list[Decimal]
    residential: bool
    ship_date: date


class FakeFedEx:
    def __init__(
        self,
        clock: MovableClock | None = None,
        *,
        client_id: str = "l7fake0a1b2c3d4e5f6a7b8c9d0e1f2a3",
        client_secret: str = "fake-secret-5f2c9d",
        account_number: str = "740561073",
        token_lifetime: int = 3600,
    ) -> None:
        self.clock = clock or MovableClock()
        self.started = self.clock.now()
        self.client_id, self.client_secret = client_id, client_secret
        self.account_number = account_number
        self.token_lifetime = token_lifetime
        self.tokens: dict[str, float] = {}  # token -> expiry on the clock
        self.token_requests = 0
        self.requests: list[tuple[str, str]] = []
        self.shipments: dict[str, Shipment] = {}
        self.ship_requests: list[dict[str, Any]] = []
        self.rate_requests: list[dict[str, Any]] = []
        self.reference_requests: list[dict[str, Any]] = []
        self.addresses: dict[tuple[str, str, str], dict[str, str]] = {}
        self._pieces: dict[str, str] = {}  # any tracking number -> master
        self._random = random.Random(1913)
        self._failures: list[tuple[int, str]] = []
        self._throttles: list[tuple[float, str]] = []
        self._routes = Starlette(
            routes=[
                Route("/oauth/token", self._token, methods=["POST"]),
                Route("/rate/v1/rates/quotes", self._api(self._rate), methods=["POST"]),
                Route("/ship/v1/shipments", self._api(self._ship), methods=["POST"]),
                Route("/ship/v1/shipments/cancel", self._api(self._cancel), methods=["PUT"]),
                Route("/track/v1/trackingnumbers", self._api(self._track), methods=["POST"]),
                Route(
                    "/track/v1/referencenumbers", self._api(self._by_reference), methods=["POST"]
                ),
                Route("/address/v1/addresses/resolve", self._api(self._resolve), methods=["POST"]),
            ]
        )

    # --- knobs for tests ---------------------------------------------------------------------

    @property
    def app(self) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
        return self._asgi

    @property
    def credentials(self) -> dict[str, str]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "account_number": self.account_number,
        }

    def fail_next(self, count: int, *, status: int = 503, path: str = "") -> None:
        """The next `count` requests (to paths starting with `path`) get FedEx's `status`."""
        self._failures.extend([(status, path)] * count)

    def throttle_next(self, count: int, *, retry_after: float = 2.0, path: str = "") -> None:
        """The next `count` requests get 429 with Retry-After."""
        self._throttles.extend([(retry_after, path)] * count)

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def now(self) -> datetime:
        return EPOCH + timedelta(seconds=self.clock.now() - self.started)

    def today(self) -> date:
        return self.now().astimezone(LOCAL).date()

    def add_address(
        self,
        street: str,
        city: str,
        region: str,
        postal_code: str,
        country: str,
        *,
        classification: str = "RESIDENTIAL",
    ) -> None:
        """A delivery point FedEx's address data knows."""
        key = (country, postal_code.split("-")[0], " ".join(street.upper().split()))
        self.addresses[key] = {
            "street": key[2],
            "city": city.upper(),
            "region": region,
            "postal_code": postal_code,
            "classification": classification,
        }

    def scan(
        self,
        tracking_number: str,
        code: str,
        *,
        at: datetime | None = None,
        city: str = "MEMPHIS",
        region: str = "TN",
        country: str = "US",
        description: str | None = None,
        exception: str = "",
    ) -> None:
        """A scan of the package (FedEx's event code: PU, AR, DP, IT, OD, DL, DE, RS, ...)."""
        piece = self._piece(tracking_number)
        assert piece is not None, f"no package {tracking_number}"
        piece.events.append(
            {
                "at": at or self.now(),
                "code": code,
                "description": description or DESCRIPTIONS.get(code, code),
                "exception": exception,
                "place": {"city": city, "stateOrProvinceCode": region, "countryCode": country},
            }
        )

    def shipment_of(self, tracking_number: str) -> Shipment | None:
        master = self._pieces.get(tracking_number)
        return self.shipments.get(master) if master else None

    def _piece(self, tracking_number: str) -> Piece | None:
        shipment = self.shipment_of(tracking_number)
        if shipment is None:
            return None
        return next(p for p in shipment.pieces if p.tracking_number == tracking_number)

    # --- HTTP --------------------------------------------------------------------------------

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._routes(scope, receive, send)
            return
        path = scope["path"]
        self.requests.append((scope["method"], path))
        for queue in (self._failures, self._throttles):
            index = next((i for i, (_, p) in enumerate(queue) if path.startswith(p)), None)
            if index is None:
                continue
            value, _ = queue.pop(index)
            if queue is self._failures:
                response = self._failure(int(value))
            else:
                response = self._errors(
                    429,
                    "TOO.MANY.REQUESTS",
                    "We have received too many requests in a short duration. "
                    "Please wait a while to try again.",
                )
                response.headers["Retry-After"] = f"{value:g}"
            await response(scope, receive, send)
            return
        await self._routes(scope, receive, send)

    def _failure(self, status: int) -> JSONResponse:
        if status == 503:
            return self._errors(
                503,
                "SERVICE.UNAVAILABLE.ERROR",
                "The service is currently unavailable and we are working to resolve the issue. "
                "We apologize for any inconvenience. Please check back at a later time.",
            )
        return self._errors(
            status,
            "INTERNAL.SERVER.ERROR",
            "We encountered an unexpected error and are working to resolve the issue. We "
            "apologize for any inconvenience. Please check back at a later time.",
        )

    @staticmethod
    def _errors(status: int, code: str, message: str, customer: str = "") -> JSONResponse:
        body: dict[str, Any] = {"transactionId": str(uuid.uuid4())}
        if customer:
            body["customerTransactionId"] = customer
        body["errors"] = [{"code": code, "message": message}]
        return JSONResponse(body, status_code=status)

    async def _token(self, request: Request) -> Response:
        self.token_requests += 1
        if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
            return self._errors(
                400,
                "BAD.REQUEST.ERROR",
                "Missing or duplicate parameters. Please modify your request and try again.",
            )
        form = {k: v for k, v in parse_qs((await request.body()).decode()).items()}
        if any(len(v) != 1 for v in form.values()) or not {
            "grant_type",
            "client_id",
            "client_secret",
        } <= set(form):
            return self._errors(
                400,
                "BAD.REQUEST.ERROR",
                "Missing or duplicate parameters. Please modify your request and try again.",
            )
        values = {k: v[0] for k, v in form.items()}
        if values["grant_type"] != "client_credentials" or (
            values["client_id"],
            values["client_secret"],
        ) != (self.client_id, self.client_secret):
            return self._errors(
                401,
                "NOT.AUTHORIZED.ERROR",
                "The given client credentials were not valid. Please modify your request and "
                "try again.",
            )
        token = "eyJ" + base64.urlsafe_b64encode(self._random.randbytes(48)).decode().rstrip("=")
        self.tokens[token] = self.clock.now() + self.token_lifetime
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.token_lifetime,
                "scope": "CXS",
            }
        )

    def _api(
        self, handler: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            customer = request.headers.get("x-customer-transaction-id", "")
            header = request.headers.get("authorization", "")
            token = header[7:] if header.lower().startswith("bearer ") else ""
            if token not in self.tokens:
                # FedEx's gateway answers a token it cannot read outside its error schema.
                return JSONResponse({"error_description": "Invalid CXS JWT"}, status_code=401)
            if self.clock.now() >= self.tokens[token]:
                return self._errors(
                    401,
                    "NOT.AUTHORIZED.ERROR",
                    "Access token expired. Please modify your request and try again.",
                )
            try:
                body = json.loads(await request.body())
                reply = handler(obj(body, "body"))
            except ValueError:
                return self._errors(
                    400,
                    "INVALID.INPUT.EXCEPTION",
                    "Invalid field value in the input: body",
                    customer,
                )
            except Refusal as refusal:
                return self._errors(refusal.status, refusal.code, refusal.message, customer)
            out: dict[str, Any] = {"transactionId": str(uuid.uuid4())}
            if customer:
                out["customerTransactionId"] = customer
            return JSONResponse({**out, **reply})

        return endpoint

    # --- requests ----------------------------------------------------------------------------

    def _account(self, body: dict[str, Any]) -> None:
        value = str((body.get("accountNumber") or {}).get("value") or "")
        if not re.fullmatch(r"\d{9}", value) or value != self.account_number:
            refuse(
                "ACCOUNTNUMBER.REGISTRATION.REQUIRED",
                "Please enter a valid 9-digit FedEx account number or register for a new FedEx "
                "account number.",
            )

    def _address(self, value: Any, party: str, *, ship: bool) -> dict[str, Any]:
        address = obj(value, f"{party.lower()}.address")
        country = str(address.get("countryCode") or "")
        if country not in ISO_COUNTRIES:
            refuse(f"{party}.COUNTRYCODE.INVALID", f"{party.title()} country code is invalid.")
        postal = str(address.get("postalCode") or "").upper()
        form = POSTAL_FORMS.get(country)
        if form and not postal:
            refuse("POSTALCODE.ZIPCODE.REQUIRED", "Postal code/ZIP is required")
        if form and not re.fullmatch(form, postal):
            refuse(
                "COUNTRY.POSTALCODEORZIP.INVALID",
                "Invalid postal code/ZIP for the country selected. Please correct and try again.",
            )
        state = str(address.get("stateOrProvinceCode") or "")
        if country == "US" and state and state not in US_ZIP_AREAS[postal[0]].split():
            refuse(f"{party}.POSTALSTATE.MISMATCH", f"{party.title()} Postal-State Mismatch.")
        if ship:
            lines = address.get("streetLines")
            if not isinstance(lines, list) or not lines or not str(lines[0]).strip():
                refuse("STREETLINE1.EMPTY", "Street line 1 is empty.")
            for index, line in enumerate(lines):
                if not isinstance(line, str) or len(line) > 35:
                    invalid(f"{party.lower()}.address.streetLines[{index}]")
            city = address.get("city")
            if not isinstance(city, str) or not city.strip():
                refuse("CITY.REQUIRED", "City is required.")
            if len(city) > 35:
                invalid(f"{party.lower()}.address.city")
            if country in ("US", "CA") and not state:
                refuse(f"{party}.STATEORPROVINCECODE.REQUIRED", "State or province is required.")
        return address

    def _contact(self, value: Any, party: str, country: str) -> dict[str, Any]:
        contact = obj(value, f"{party.lower()}.contact")
        digits = str(contact.get("phoneNumber") or "")
        bare = digits[1:] if digits.startswith("+") else digits
        valid = bare.isdigit() and 10 <= len(bare) <= 15
        if country in ("US", "CA"):
            valid = bare.isdigit() and (len(bare) == 10 or (len(bare) == 11 and bare[0] == "1"))
        if not valid:
            if party == "RECIPIENT":
                refuse(
                    "RECIPIENT.CONTACTPHONENUMBER.INVALID",
                    "The recipient phone number of the requested shipment is invalid. Please "
                    "update and try again.",
                )
            refuse(
                "SHIPPER.CONTACTPHONENUMBER.INVALID",
                "A valid phone number must be entered. Please update and try again.",
            )
        if not contact.get("personName") and not contact.get("companyName"):
            refuse("PERSONNAME.AND.CONTACTNAME.EMPTY", "Person name and company name are empty.")
        if len(str(contact.get("personName") or "")) > 70:
            invalid(f"{party.lower()}.contact.personName")
        if len(str(contact.get("companyName") or "")) > 35:
            invalid(f"{party.lower()}.contact.companyName")
        return contact

    def _packages(
        self, requested: dict[str, Any], *, most: int
    ) -> tuple[list[Any], list[Decimal], list[Decimal]]:
        items = requested.get("requestedPackageLineItems")
        if not isinstance(items, list) or not items or len(items) > most:
            invalid("requestedShipment.requestedPackageLineItems")
        kilograms, billable = [], []
        for index, item in enumerate(items):
            path = f"requestedPackageLineItems[{index}]"
            weight = obj(obj(item, path).get("weight"), f"{path}.weight")
            units = weight.get("units")
            if units not in ("KG", "LB"):
                invalid(f"{path}.weight.units")
            value = number(
                weight.get("value"), f"{path}.weight.value", code="WEIGHT.NONNUMERIC.ERROR"
            )
            if value <= 0:
                refuse("PACKAGE.WEIGHT.INVALID", "Package weight is missing or invalid.")
            if value > (MAX_PACKAGE_KG if units == "KG" else MAX_PACKAGE_LB):
                refuse(
                    "MAXIMUMWEIGHT.TYPE.ERROR",
                    f"The weight of package {index + 1} exceeds the maximum of 68 KG / 150 LB.",
                )
            kg = value if units == "KG" else value * Decimal("0.45359237")
            volume = self._volume(item.get("dimensions"), path)
            kilograms.append(kg)
            billable.append(max(kg, volume / 5000))
        return items, kilograms, billable

    @staticmethod
    def _volume(value: Any, path: str) -> Decimal:
        """Cubic centimetres; no dimensions, no volume. Missing units are inches, as FedEx says."""
        if value is None:
            return Decimal(0)
        dimensions = obj(value, f"{path}.dimensions")
        sides = []
        for side in ("length", "width", "height"):
            size = dimensions.get(side)
            if isinstance(size, bool) or not isinstance(size, int):
                invalid(f"{path}.dimensions.{side}")
            if size < 1 or size > 999:
                refuse("PACKAGEDIMENSION.TYPE.ERROR", "Package dimensions must be at least 1.")
            sides.append(
                Decimal(size) * (1 if dimensions.get("units") == "CM" else Decimal("2.54"))
            )
        return sides[0] * sides[1] * sides[2]

    def _check(self, body: dict[str, Any], *, ship: bool) -> Checked:
        self._account(body)
        requested = obj(body.get("requestedShipment"), "requestedShipment")
        if requested.get("pickupType") not in PICKUP_TYPES:
            refuse("PICKUPTYPE.REQUIRED", "Pickup type is missing or invalid.")
        packaging = requested.get("packagingType")
        if (ship or packaging is not None) and packaging not in PACKAGING_TYPES:
            refuse("PACKAGINGTYPE.MISSING.OR.INVALID", "Packaging type is missing or invalid.")
        shipper_party = obj(requested.get("shipper"), "shipper")
        if ship:
            recipients = requested.get("recipients")
            if not isinstance(recipients, list) or len(recipients) != 1:
                invalid("requestedShipment.recipients")
            recipient_party = obj(recipients[0], "recipients[0]")
        else:
            recipient_party = obj(requested.get("recipient"), "recipient")
        shipper = self._address(shipper_party.get("address"), "SHIPPER", ship=ship)
        recipient = self._address(recipient_party.get("address"), "RECIPIENT", ship=ship)
        if ship:
            self._contact(shipper_party.get("contact"), "SHIPPER", shipper["countryCode"])
            self._contact(recipient_party.get("contact"), "RECIPIENT", recipient["countryCode"])
        items, kilograms, billable = self._packages(requested, most=30 if ship else 100)
        stamp = requested.get("shipDatestamp" if ship else "shipDateStamp")
        try:
            ship_date = date.fromisoformat(stamp) if stamp else self.today()
        except (TypeError, ValueError):
            invalid("requestedShipment.shipDatestamp")
        # A past date becomes today; more than 10 days ahead is refused.
        ship_date = max(ship_date, self.today())
        if ship_date > self.today() + timedelta(days=10):
            refuse("SHIPDATE.TOOFAR.INFUTURE", "Ship date cannot be more than 10 days ahead.")
        return Checked(
            shipper=shipper,
            recipient=recipient,
            packages=items,
            kilograms=kilograms,
            billable=billable,
            residential=recipient.get("residential") is True,
            ship_date=ship_date,
        )

    @staticmethod
    def _dutiable(checked: Checked) -> bool:
        origin, destination = checked.shipper["countryCode"], checked.recipient["countryCode"]
        return origin != destination and not (origin in EU and destination in EU)

    def _customs(self, detail: Any, checked: Checked, *, ship: bool) -> None:
        if not self._dutiable(checked):
            return
        if not isinstance(detail, dict) or not detail.get("commodities"):
            refuse("TOTALCUSTOMSVALUE.REQUIRED", "Total customs value is required.")
        commodities = detail["commodities"]
        if not isinstance(commodities, list) or len(commodities) > 999:
            invalid("customsClearanceDetail.commodities")
        units = {p["weight"]["units"] for p in checked.packages}
        for index, item in enumerate(commodities):
            path = f"customsClearanceDetail.commodities[{index}]"
            commodity = obj(item, path)
            description = commodity.get("description")
            if not isinstance(description, str) or not description or len(description) > 450:
                invalid(f"{path}.description")
            if commodity.get("countryOfManufacture") not in ISO_COUNTRIES:
                invalid(f"{path}.countryOfManufacture")
            code = str(commodity.get("harmonizedCode") or "")
            if code and not re.fullmatch(r"\d{4,14}", code.replace(".", "")):
                invalid(f"{path}.harmonizedCode")
            quantity = commodity.get("quantity")
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
                invalid(f"{path}.quantity")
            for money_field in ("unitPrice", "customsValue"):
                value = obj(commodity.get(money_field), f"{path}.{money_field}")
                if number(value.get("amount"), f"{path}.{money_field}.amount") < 0:
                    invalid(f"{path}.{money_field}.amount")
                if not re.fullmatch(r"[A-Z]{3}", str(value.get("currency") or "")):
                    invalid(f"{path}.{money_field}.currency")
            weight = commodity.get("weight")
            if weight is not None and obj(weight, f"{path}.weight").get("units") not in units:
                invalid(f"{path}.weight.units")
        if ship:
            duties = detail.get("dutiesPayment")
            if (
                duties is not None
                and obj(duties, "dutiesPayment").get("paymentType") not in PAYMENT_TYPES
            ):
                invalid("customsClearanceDetail.dutiesPayment.paymentType")
            invoice = obj(
                detail.get("commercialInvoice"), "customsClearanceDetail.commercialInvoice"
            )
            purpose = invoice.get("shipmentPurpose")
            if purpose is not None and purpose not in PURPOSES:
                invalid("customsClearanceDetail.commercialInvoice.shipmentPurpose")
            if len(str(invoice.get("termsOfSale") or "")) > 3:
                invalid("customsClearanceDetail.commercialInvoice.termsOfSale")

    def _services(self, checked: Checked) -> list[str]:
        origin, destination = checked.shipper["countryCode"], checked.recipient["countryCode"]
        found = []
        for code, service in SERVICES.items():
            if service.international != (origin != destination):
                continue
            if not service.international and origin not in service.countries:
                continue
            if service.residential is not None and service.residential != checked.residential:
                continue
            found.append(code)
        return found

    def _charge(self, code: str, checked: Checked) -> Decimal:
        service = SERVICES[code]
        total = sum((service.base + service.per_kg * kg for kg in checked.billable), Decimal(0))
        if checked.residential and not service.ground:
            total += RESIDENTIAL_SURCHARGE * len(checked.billable)
        return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def _arrives(self, code: str, ship_date: date) -> date:
        current, left = ship_date, SERVICES[code].days
        while left:
            current += timedelta(days=1)
            left -= current.weekday() < 5
        return current

    def _rate(self, body: dict[str, Any]) -> dict[str, Any]:
        self.rate_requests.append(body)
        checked = self._check(body, ship=False)
        requested = body["requestedShipment"]
        self._customs(requested.get("customsClearanceDetail"), checked, ship=False)
        wanted = requested.get("serviceType")
        offered = self._services(checked)
        if wanted is not None:
            if wanted not in SERVICES:
                refuse(
                    "SERVICE.TYPE.INVALID", "Service type is invalid. Please update and try again."
                )
            offered = [c for c in offered if c == wanted]
        currency = currency_of(checked.shipper["countryCode"])
        transit = (body.get("rateRequestControlParameters") or {}).get("returnTransitTimes") is True
        replies = []
        for code in offered:
            charge = self._charge(code, checked)
            reply: dict[str, Any] = {
                "serviceType": code,
                "serviceName": SERVICES[code].name,
                "packagingType": requested.get("packagingType") or "YOUR_PACKAGING",
                "ratedShipmentDetails": [
                    self._rated("ACCOUNT", charge, currency),
                    self._rated("LIST", charge * LIST_MARKUP, currency),
                ],
                "operationalDetail": {"transitTime": TRANSIT_WORDS[SERVICES[code].days]},
            }
            if transit:
                arrives = self._arrives(code, checked.ship_date)
                if SERVICES[code].ground:
                    days = SERVICES[code].days
                    reply["commit"] = {
                        "transitDays": {
                            "minimumTransitTime": TRANSIT_WORDS[days],
                            "description": f"{days} Business Days",
                        }
                    }
                else:
                    reply["commit"] = {
                        "dateDetail": {
                            "dayOfWeek": arrives.strftime("%a").upper(),
                            "dayFormat": f"{arrives.isoformat()}T10:30:00",
                        }
                    }
            replies.append(reply)
        if not replies:
            refuse(
                "RATE.LOCATION.NOSERVICE",
                "FedEx does not provide this service between the origin and destination.",
            )
        return {
            "output": {
                "rateReplyDetails": replies,
                "quoteDate": checked.ship_date.isoformat(),
                "encoded": False,
            }
        }

    @staticmethod
    def _rated(rate_type: str, charge: Decimal, currency: str) -> dict[str, Any]:
        return {
            "rateType": rate_type,
            "ratedWeightMethod": "ACTUAL",
            "totalBaseCharge": money(charge),
            "totalNetCharge": money(charge),
            "totalNetFedExCharge": money(charge),
            "shipmentRateDetail": {"currency": currency},
            "currency": currency,
        }

    def _ship(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("labelResponseOptions") not in ("URL_ONLY", "LABEL"):
            invalid("labelResponseOptions")
        checked = self._check(body, ship=True)
        requested = body["requestedShipment"]
        service = requested.get("serviceType")
        if service not in SERVICES:
            refuse("SERVICE.TYPE.INVALID", "Service type is invalid. Please update and try again.")
        if service not in self._services(checked):
            refuse(
                "SERVICETYPE.NOT.ALLOWED",
                "The service type is not allowed between the origin and destination.",
            )
        payment = obj(requested.get("shippingChargesPayment"), "shippingChargesPayment")
        if payment.get("paymentType") not in PAYMENT_TYPES:
            invalid("shippingChargesPayment.paymentType")
        payor = ((payment.get("payor") or {}).get("responsibleParty") or {}).get("accountNumber")
        if (
            payment["paymentType"] == "SENDER"
            and payor
            and payor.get("value") != self.account_number
        ):
            refuse(
                "ACCOUNT.NUMBER.MISMATCH",
                "When payment Type is SENDER, ShippingChargesPayment Payor AccountNumber should "
                "match the shipper account number.",
            )
        spec = obj(requested.get("labelSpecification"), "labelSpecification")
        if spec.get("imageType") not in IMAGE_TYPES:
            invalid("labelSpecification.imageType")
        if spec.get("labelStockType") not in LABEL_STOCKS:
            invalid("labelSpecification.labelStockType")
        self._customs(requested.get("customsClearanceDetail"), checked, ship=True)
        most = 30 if SERVICES[service].ground else 40
        references = []
        for index, item in enumerate(checked.packages):
            found = item.get("customerReferences") or []
            for reference in found:
                if (
                    not isinstance(reference, dict)
                    or reference.get("customerReferenceType") not in REFERENCE_TYPES
                ):
                    invalid(f"requestedPackageLineItems[{index}].customerReferences")
                if not isinstance(reference.get("value"), str) or len(reference["value"]) > most:
                    invalid(f"requestedPackageLineItems[{index}].customerReferences.value")
            references.append(found)
        self.ship_requests.append(body)
        return {
            "output": {"transactionShipments": [self._made(body, checked, service, references)]}
        }

    def _made(
        self, body: dict[str, Any], checked: Checked, service: str, references: list[Any]
    ) -> dict[str, Any]:
        requested = body["requestedShipment"]
        numbers = [self._tracking_number() for _ in checked.packages]
        charge = self._charge(service, checked)
        currency = currency_of(checked.shipper["countryCode"])
        pieces = [
            Piece(n, i, kg, refs)
            for i, (n, kg, refs) in enumerate(
                zip(numbers, checked.kilograms, references, strict=True), 1
            )
        ]
        shipment = Shipment(
            master=numbers[0],
            service=service,
            ship_date=checked.ship_date,
            shipper=checked.shipper,
            recipient=checked.recipient,
            pieces=pieces,
            charge=charge,
            currency=currency,
        )
        self.shipments[shipment.master] = shipment
        for piece in pieces:
            self._pieces[piece.tracking_number] = shipment.master
            self.scan(
                piece.tracking_number,
                "OC",
                city=checked.shipper.get("city", ""),
                region=checked.shipper.get("stateOrProvinceCode", ""),
                country=checked.shipper["countryCode"],
            )
        image = requested["labelSpecification"]["imageType"]
        as_url = body["labelResponseOptions"] == "URL_ONLY"
        arrives = self._arrives(service, checked.ship_date)
        responses = []
        for piece in pieces:
            document: dict[str, Any] = {
                "contentType": "LABEL",
                "copiesToPrint": 1,
                "docType": image,
            }
            if as_url:
                document["url"] = f"{DOCUMENTS}SH,{piece.tracking_number}_LABEL"
            else:
                content = self._label(shipment, piece, image)
                document["encodedLabel"] = base64.b64encode(content).decode()
            responses.append(
                {
                    "masterTrackingNumber": shipment.master,
                    "trackingNumber": piece.tracking_number,
                    "packageSequenceNumber": piece.sequence,
                    "netChargeAmount": money(charge / len(pieces)),
                    "customerReferences": piece.references,
                    "packageDocuments": [document],
                }
            )
        return {
            "serviceType": service,
            "serviceName": SERVICES[service].name,
            "shipDatestamp": checked.ship_date.isoformat(),
            "serviceCategory": "GROUND" if SERVICES[service].ground else "EXPRESS",
            "masterTrackingNumber": shipment.master,
            "pieceResponses": responses,
            "completedShipmentDetail": {
                "masterTrackingId": {"trackingIdType": "FEDEX", "trackingNumber": shipment.master},
                "operationalDetail": {
                    "deliveryDate": arrives.isoformat(),
                    "transitTime": TRANSIT_WORDS[SERVICES[service].days],
                },
                "shipmentRating": {
                    "actualRateType": "PAYOR_ACCOUNT_SHIPMENT",
                    "shipmentRateDetails": [
                        {
                            "rateType": "PAYOR_ACCOUNT_SHIPMENT",
                            "totalNetCharge": money(charge),
                            "currency": currency,
                        }
                    ],
                },
            },
        }

    def _tracking_number(self) -> str:
        while True:
            number = "79" + "".join(str(self._random.randrange(10)) for _ in range(10))
            if number not in self._pieces:
                return number

    def _label(self, shipment: Shipment, piece: Piece, image: str) -> bytes:
        recipient = shipment.recipient
        lines = [
            *recipient.get("streetLines", []),
            " ".join(
                str(recipient.get(k) or "") for k in ("city", "stateOrProvinceCode", "postalCode")
            ),
            recipient["countryCode"],
        ]
        spaced = " ".join(piece.tracking_number[i : i + 4] for i in range(0, 12, 4))
        count = len(shipment.pieces)
        if image.startswith("ZPL"):
            fields = [f"^FO30,{220 + 40 * i}^A0N,30,30^FD{line}^FS" for i, line in enumerate(lines)]
            return (
                "^XA^CI28^FO30,30^A0N,60,60^FDFedEx^FS"
                f"^FO30,110^A0N,30,30^FD{SERVICES[shipment.service].name}^FS"
                + "".join(fields)
                + f"^FO30,700^A0N,40,40^FDTRK# {spaced}^FS"
                f"^FO30,760^BY3^BCN,200,Y,N,N^FD{piece.tracking_number}^FS"
                f"^FO30,1100^A0N,30,30^FD{piece.sequence} of {count}^FS^XZ\n"
            ).encode()
        buffer = io.BytesIO()
        canvas = Canvas(buffer, pagesize=(288, 432))
        canvas.setFont("Helvetica-Bold", 22)
        canvas.drawString(14, 396, "FedEx")
        canvas.setFont("Helvetica", 9)
        canvas.drawString(14, 380, SERVICES[shipment.service].name)
        for i, line in enumerate(lines):
            canvas.drawString(14, 340 - 12 * i, str(line))
        canvas.setFont("Helvetica-Bold", 12)
        canvas.drawString(14, 170, f"TRK# {spaced}")
        Code128(piece.tracking_number, barHeight=60, barWidth=1.1).drawOn(canvas, 8, 90)
        canvas.setFont("Helvetica", 9)
        canvas.drawString(14, 74, piece.tracking_number)
        canvas.drawString(14, 60, f"{piece.sequence} of {count}")
        canvas.showPage()
        canvas.save()
        return buffer.getvalue()

    def _cancel(self, body: dict[str, Any]) -> dict[str, Any]:
        self._account(body)
        number = body.get("trackingNumber")
        if not isinstance(number, str) or not number:
            invalid("trackingNumber")
        if body.get("deletionControl", "DELETE_ALL_PACKAGES") != "DELETE_ALL_PACKAGES":
            invalid("deletionControl")
        shipment = self.shipment_of(number)
        if shipment is None:
            refuse(
                "NOT.FOUND.ERROR",
                "The resource you requested is no longer available. Please modify your request "
                "and try again.",
                404,
            )
        if shipment.cancelled:
            refuse("CANCELSHIPMENT.TRACKINGNUMBER.DELETED", "Tracking number already deleted.")
        if any(e["code"] != "OC" for p in shipment.pieces for e in p.events):
            refuse(
                "TRACKINGIDS.TRACKINGNUMBER.CLOSED",
                "The shipment has been tendered to FedEx and cannot be cancelled.",
            )
        shipment.cancelled = True
        for piece in shipment.pieces:
            self.scan(
                piece.tracking_number,
                "CA",
                city=shipment.shipper.get("city", ""),
                region=shipment.shipper.get("stateOrProvinceCode", ""),
                country=shipment.shipper["countryCode"],
            )
        return {
            "output": {
                "cancelledShipment": True,
                "cancelledHistory": True,
                "message": "Shipment is successfully cancelled",
            }
        }

    def _track_result(self, piece: Piece, shipment: Shipment, *, scans: bool) -> dict[str, Any]:
        events = sorted(piece.events, key=lambda e: e["at"])
        latest = events[-1]
        result: dict[str, Any] = {
            "trackingNumberInfo": {
                "trackingNumber": piece.tracking_number,
                "carrierCode": "FDXG" if SERVICES[shipment.service].ground else "FDXE",
            },
            "latestStatusDetail": {
                "code": latest["code"],
                "derivedCode": DERIVED.get(latest["code"], "IT"),
                "statusByLocale": latest["description"],
                "description": latest["description"],
                "scanLocation": latest["place"],
            },
            "serviceDetail": {
                "type": shipment.service,
                "description": SERVICES[shipment.service].name,
            },
            "packageDetails": {
                "sequenceNumber": str(piece.sequence),
                "count": str(len(shipment.pieces)),
                "weightAndDimensions": {"weight": [{"value": str(piece.kilograms), "unit": "KG"}]},
            },
            "dateAndTimes": [
                {"type": "SHIP", "dateTime": f"{shipment.ship_date.isoformat()}T00:00:00-06:00"}
            ],
        }
        if scans:
            result["scanEvents"] = [self._event(e) for e in reversed(events)]
        return result

    @staticmethod
    def _event(event: dict[str, Any]) -> dict[str, Any]:
        code = event["code"]
        return {
            "date": event["at"].astimezone(LOCAL).isoformat(timespec="seconds"),
            "eventType": code,
            "eventDescription": event["description"],
            "exceptionCode": "A12" if event["exception"] else "",
            "exceptionDescription": event["exception"],
            "scanLocation": {**event["place"], "residential": False},
            "locationType": "FEDEX_FACILITY",
            "derivedStatusCode": DERIVED.get(code, "IT"),
            "derivedStatus": DESCRIPTIONS.get(DERIVED.get(code, "IT"), "In transit"),
        }

    def _track(self, body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body.get("includeDetailedScans"), bool):
            invalid("includeDetailedScans")
        infos = body.get("trackingInfo")
        if not isinstance(infos, list) or not infos:
            refuse("TRACKING.TRACKINGNUMBER.EMPTY", "Please provide tracking number.")
        if len(infos) > 30:
            refuse("TRACKING.TRACKINGNUMBERS.LIMITEXCEEDED", "Tracking numbers limit exceeded.")
        results = []
        for info in infos:
            number = (obj(info, "trackingInfo").get("trackingNumberInfo") or {}).get(
                "trackingNumber"
            )
            if not number:
                refuse("TRACKING.TRACKINGNUMBER.EMPTY", "Please provide tracking number.")
            piece, shipment = self._piece(number), self.shipment_of(number)
            if piece is None or shipment is None:
                result: dict[str, Any] = {
                    "trackingNumberInfo": {
                        "trackingNumber": number,
                        "trackingNumberUniqueId": "",
                        "carrierCode": "",
                    },
                    "error": {
                        "code": "TRACKING.TRACKINGNUMBER.NOTFOUND",
                        "message": "Tracking number cannot be found. Please correct the tracking "
                        "number and try again.",
                    },
                }
            else:
                result = self._track_result(piece, shipment, scans=body["includeDetailedScans"])
            results.append({"trackingNumber": number, "trackResults": [result]})
        return {"output": {"completeTrackResults": results}}

    def _by_reference(self, body: dict[str, Any]) -> dict[str, Any]:
        self.reference_requests.append(body)
        info = obj(body.get("referencesInformation"), "referencesInformation")
        value = info.get("value")
        if not isinstance(value, str) or not value:
            invalid("referencesInformation.value")
        account = info.get("accountNumber")
        if not account and not (
            info.get("destinationCountryCode") and info.get("destinationPostalCode")
        ):
            invalid("referencesInformation.accountNumber")
        kind = info.get("type") or "CUSTOMER_REFERENCE"
        try:
            begin = date.fromisoformat(info["shipDateBegin"])
            end = date.fromisoformat(info.get("shipDateEnd") or info["shipDateEndDate"])
        except (KeyError, TypeError, ValueError):
            invalid("referencesInformation.shipDateBegin")
        if end < begin or (end - begin).days > 30:
            refuse("TRACKING.SHIPDATERANGE.ERROR", "Ship date range cannot exceed 30 days.")
        found = []
        for shipment in self.shipments.values():
            if account and account != self.account_number:
                continue
            if not account and (
                shipment.recipient["countryCode"],
                shipment.recipient.get("postalCode"),
            ) != (info["destinationCountryCode"], info["destinationPostalCode"]):
                continue
            if not begin <= shipment.ship_date <= end:
                continue
            for piece in shipment.pieces:
                if any(
                    r.get("customerReferenceType") == kind and r.get("value") == value
                    for r in piece.references
                ):
                    result = self._track_result(
                        piece, shipment, scans=body.get("includeDetailedScans") is True
                    )
                    found.append(
                        {"trackingNumber": piece.tracking_number, "trackResults": [result]}
                    )
        if not found:
            found = [
                {
                    "trackingNumber": "",
                    "trackResults": [
                        {
                            "error": {
                                "code": "TRACKING.REFERENCENUMBER.NOTFOUND",
                                "message": "Reference number cannot be found. Please correct the "
                                "reference number and try again.",
                            }
                        }
                    ],
                }
            ]
        return {"output": {"completeTrackResults": found}}

    def _resolve(self, body: dict[str, Any]) -> dict[str, Any]:
        wanted = body.get("addressesToValidate")
        if not isinstance(wanted, list) or not wanted or len(wanted) > 100:
            invalid("addressesToValidate")
        resolved = []
        for index, item in enumerate(wanted):
            address = obj(obj(item, f"addressesToValidate[{index}]").get("address"), "address")
            lines = address.get("streetLines")
            if not isinstance(lines, list) or not lines:
                invalid(f"addressesToValidate[{index}].address.streetLines")
            if not address.get("postalCode") and not address.get("city"):
                invalid(f"addressesToValidate[{index}].address.city")
            resolved.append(self._resolved(address))
        return {"output": {"resolvedAddresses": resolved, "alerts": []}}

    def _resolved(self, address: dict[str, Any]) -> dict[str, Any]:
        country = str(address.get("countryCode") or "")
        postal = str(address.get("postalCode") or "")
        street = " ".join(str(address["streetLines"][0]).upper().split())
        known = self.addresses.get((country, postal.split("-")[0], street))
        supported = country in POSTAL_FORMS
        city = (known or {}).get("city") or str(address.get("city") or "").upper()
        region = (known or {}).get("region") or str(address.get("stateOrProvinceCode") or "")
        post = (known or {}).get("postal_code") or postal
        return {
            "streetLinesToken": [street, *[str(x).upper() for x in address["streetLines"][1:]]],
            "city": city,
            "stateOrProvinceCode": region,
            "countryCode": country,
            "cityToken": [
                {"changed": city != str(address.get("city") or "").upper(), "value": city}
            ],
            "postalCodeToken": {"changed": post != postal, "value": post},
            "parsedPostalCode": {
                "base": post.split("-")[0],
                "addOn": post.split("-")[1] if "-" in post else "",
            },
            "classification": (known or {}).get("classification", "UNKNOWN"),
            "customerMessage": []
            if known or not supported
            else [
                {
                    "code": "INTERPOLATED.STREET.ADDRESS",
                    "message": "Unable to confirm exact street number for the entered street name.",
                }
            ],
            "attributes": {
                "CountrySupported": supported,
                "Resolved": known is not None,
                "DPV": known is not None,
                "Matched": known is not None,
                "AddressType": "STANDARDIZED" if known else "NORMALIZED" if supported else "RAW",
            },
        }
