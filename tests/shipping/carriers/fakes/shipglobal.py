"""A fake ShipGlobal Labels API v1, built from ShipGlobal's client documentation: `customers.php`
signs in with email and password and gives a 64-hex bearer token with `expires_at`
("YYYY-MM-DD HH:MM:SS", about 24 h on); `addOrder.php` takes one package (weight in kg,
measures in cm), the seller, the recipient and the invoice's items, makes the order and asks the
last-mile provider for a label. Nothing else exists: no rates, tracking, lookup or cancel.

The documentation shows no answer to `addOrder.php` nor an error body. This fake answers as
integrations written against the live API read it: `{"success": true, "data": {"order_number",
"waybill_number", "pdf_base64"}}`; refusals `{"success": false, "message", "errors"}` as 422, a
bad token as 401, and a label the last-mile provider refused as a 200 with `success: false`."""

from __future__ import annotations

import base64
import io
import itertools
import json
import re
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from email.utils import format_datetime
from typing import Any

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.clock import MovableClock

API = "/api/v1"
TOKEN_LIFETIME = 24 * 3600.0
INDIA_TIME = timezone(timedelta(hours=5, minutes=30))
# The service codes integrators list for the Labels API; an account is enabled for some.
SERVICES = ("DPD-CLASSIC", "UNIUNI-CLASSIC", "VIPPARCEL-CLASSIC", "DHLECS-CLASSIC", "UBI-CLASSIC")
COUNTRIES = frozenset(
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
    "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
    "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS YE YT ZA ZM ZW".split()
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
# The documented required fields of an order, by the type the documentation gives them.
REQUIRED_STRINGS = (
    "invoice_no",
    "invoice_date",
    "order_reference",
    "service",
    "currency_code",
    *(
        f"{who}_{what}"
        for who in ("seller", "customer_shipping")
        for what in (
            "firstname",
            "lastname",
            "mobile",
            "email",
            "address",
            "city",
            "postcode",
            "country_code",
            "state",
        )
    ),
    "seller_nickname",
)
OPTIONAL_STRINGS = (
    "seller_company",
    "seller_address_2",
    "seller_address_3",
    "seller_tax_id_type",
    "seller_tax_id",
    "customer_shipping_company",
    "customer_shipping_address_2",
    "customer_shipping_address_3",
    "ioss_number",
)
# Records that a field is wrong, and why.
Complaint = Callable[[str, str], None]
PACKAGE_NUMBERS = ("package_weight", "package_length", "package_breadth", "package_height")


class Refused(Exception):
    def __init__(self, status: int, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors or {}

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"success": False, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return JSONResponse(body, status_code=self.status)


def is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


class FakeShipGlobal:
    """The fake's state is public for tests: `orders` by order number (with the body as sent),
    `logins`, `rejected` (requests refused for their token) and `requests`."""

    def __init__(
        self,
        clock: MovableClock,
        *,
        email: str = "exports@example.in",
        password: str = "s3cret-Labels",
        services: tuple[str, ...] = SERVICES,
        token_lifetime: float = TOKEN_LIFETIME,
    ) -> None:
        self.clock = clock
        self.email, self.password = email, password
        self.services = services
        self.token_lifetime = token_lifetime
        self.orders: dict[str, dict[str, Any]] = {}
        self.logins = 0
        self.rejected = 0
        self.requests = 0
        self._tokens: dict[str, float] = {}  # token -> the clock reading it expires at
        self._serial = itertools.count(410_000_001)
        self._started = clock.now()
        self._wall_start = datetime(2026, 11, 23, 4, 30, tzinfo=UTC)
        self._failures: list[int] = []
        self._rate_limits: list[float] = []
        self._last_mile_refusals: list[str] = []
        self.app = Starlette(
            routes=[
                Route(f"{API}/customers.php", self._customers, methods=["POST"]),
                Route(f"{API}/addOrder.php", self._add_order, methods=["POST"]),
            ]
        )

    @property
    def credentials(self) -> dict[str, str]:
        return {"email": self.email, "password": self.password}

    # --- knobs for tests ---------------------------------------------------------------------

    def fail_next(self, count: int, status: int = 503) -> None:
        """Answer the next `count` requests with `status`, doing nothing."""
        self._failures.extend([status] * count)

    def rate_limit_next(self, retry_after: float) -> None:
        self._rate_limits.append(retry_after)

    def refuse_next_label(self, message: str) -> None:
        """The last-mile provider refuses the next label: the order is kept without one."""
        self._last_mile_refusals.append(message)

    def revoke_tokens(self) -> None:
        self._tokens.clear()

    def orders_with_reference(self, reference: str) -> list[dict[str, Any]]:
        return [o for o in self.orders.values() if o["body"]["order_reference"] == reference]

    def wall_now(self) -> datetime:
        return self._wall_start + timedelta(seconds=self.clock.now() - self._started)

    # --- the API -----------------------------------------------------------------------------

    async def _customers(self, request: Request) -> Response:
        try:
            self._gate()
            body = await self._json(request)
            email, password = body.get("email"), body.get("password")
            if not isinstance(email, str) or not isinstance(password, str):
                raise Refused(400, "email and password are required")
            if email != self.email or password != self.password:
                raise Refused(401, "Invalid email or password")
        except Refused as refused:
            return refused.response()
        token = secrets.token_hex(32)
        self._tokens[token] = self.clock.now() + self.token_lifetime
        self.logins += 1
        expires = self.wall_now() + timedelta(seconds=self.token_lifetime)
        answer = {
            "token": token,
            "expires_at": expires.astimezone(INDIA_TIME).strftime("%Y-%m-%d %H:%M:%S"),
            "customer": {"id": 7, "name": "Exports Desk", "email": self.email},
        }
        return self._answer(answer)

    async def _add_order(self, request: Request) -> Response:
        try:
            self._gate()
            self._authorize(request)
            body = await self._json(request)
            self._validate(body)
        except Refused as refused:
            return refused.response()
        number = f"SGL{next(self._serial)}"
        order: dict[str, Any] = {"order_number": number, "body": body, "waybill_number": None}
        self.orders[number] = order
        if self._last_mile_refusals:
            message = self._last_mile_refusals.pop(0)
            return self._answer(
                {"success": False, "message": message, "data": {"order_number": number}}
            )
        waybill = f"{body['service'][:3]}{number[3:]}{len(self.orders):04d}"
        order["waybill_number"] = waybill
        pdf = label_pdf(waybill, body)
        return self._answer(
            {
                "success": True,
                "message": "Order created and label generated",
                "data": {
                    "order_number": number,
                    "waybill_number": waybill,
                    "pdf_base64": base64.b64encode(pdf).decode(),
                },
            }
        )

    def _answer(self, body: dict[str, Any]) -> JSONResponse:
        return JSONResponse(body, headers={"Date": format_datetime(self.wall_now(), usegmt=True)})

    def _gate(self) -> None:
        self.requests += 1
        if self._failures:
            status = self._failures.pop(0)
            raise Refused(status, "Service temporarily unavailable")
        if self._rate_limits:
            wait = self._rate_limits.pop(0)
            raise _RateLimited(wait)

    def _authorize(self, request: Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        expires = self._tokens.get(token) if scheme == "Bearer" else None
        if expires is None or self.clock.now() >= expires:
            self.rejected += 1
            raise Refused(401, "Unauthorized: invalid or expired token")

    async def _json(self, request: Request) -> dict[str, Any]:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise Refused(400, "Content-Type must be application/json")
        try:
            body = json.loads(await request.body(), parse_float=Decimal)
        except ValueError:
            raise Refused(400, "Invalid JSON body") from None
        if not isinstance(body, dict):
            raise Refused(400, "Invalid JSON body")
        return body

    def _validate(self, body: dict[str, Any]) -> None:
        errors: dict[str, list[str]] = {}

        def fail(field: str, why: str) -> None:
            errors.setdefault(field, []).append(why)

        for name in REQUIRED_STRINGS:
            value = body.get(name)
            if not isinstance(value, str):
                fail(name, f"The {name} field is required and must be a string.")
            elif not value.strip():
                fail(name, f"The {name} field is required.")
        for name in OPTIONAL_STRINGS:
            if name in body and not isinstance(body[name], str):
                fail(name, f"The {name} field must be a string.")
        for name in PACKAGE_NUMBERS:
            if not is_number(body.get(name)):
                fail(name, f"The {name} field is required and must be a number.")
            elif body[name] <= 0:
                fail(name, f"The {name} field must be greater than 0.")
        status = body.get("csb5_status")
        if not isinstance(status, int) or isinstance(status, bool) or status not in (0, 1):
            fail("csb5_status", "The csb5_status field must be the integer 0 or 1.")
        self._check_formats(body, fail)
        self._check_items(body.get("vendor_order_items"), fail)
        if errors:
            first = next(iter(errors))
            raise Refused(422, f"Validation failed: {errors[first][0]}", errors)

    def _check_formats(self, body: dict[str, Any], fail: Complaint) -> None:
        for who in ("seller", "customer_shipping"):
            email, country = body.get(f"{who}_email"), body.get(f"{who}_country_code")
            if isinstance(email, str) and email and not EMAIL.match(email):
                fail(f"{who}_email", f"The {who}_email must be a valid email address.")
            if isinstance(country, str) and country and country not in COUNTRIES:
                fail(f"{who}_country_code", f"Invalid country code {country!r}.")
        invoice_date = body.get("invoice_date")
        if isinstance(invoice_date, str) and invoice_date:
            try:
                date.fromisoformat(invoice_date)
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", invoice_date):
                    raise ValueError(invoice_date)
            except ValueError:
                fail("invoice_date", "The invoice_date must be a date in YYYY-MM-DD format.")
        currency = body.get("currency_code")
        if isinstance(currency, str) and currency and not CURRENCY.match(currency):
            fail("currency_code", "The currency_code must be an ISO 4217 code.")
        service = body.get("service")
        if isinstance(service, str) and service and service not in self.services:
            fail("service", f"Invalid service {service!r} for this account.")

    def _check_items(self, items: Any, fail: Complaint) -> None:
        if not isinstance(items, list) or not items:
            fail("vendor_order_items", "At least one item is required.")
            return
        for index, item in enumerate(items):
            where = f"vendor_order_items.{index}"
            if not isinstance(item, dict):
                fail(where, "Each item must be an object.")
                continue
            for name in ("vendor_order_item_name", "vendor_order_item_sku"):
                value = item.get(name)
                if not isinstance(value, str) or not value.strip():
                    fail(f"{where}.{name}", f"The {name} field is required.")
            quantity = item.get("vendor_order_item_quantity")
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
                fail(f"{where}.vendor_order_item_quantity", "The quantity must be at least 1.")
            price = item.get("vendor_order_item_unit_price")
            if not isinstance(price, int | Decimal) or isinstance(price, bool) or price < 0:
                fail(f"{where}.vendor_order_item_unit_price", "The unit price must be a number.")
            hsn = item.get("vendor_order_item_hsn")
            if not isinstance(hsn, str) or not re.fullmatch(r"\d{6,10}", hsn):
                fail(f"{where}.vendor_order_item_hsn", "The HSN code must be 6 to 10 digits.")
            rate = item.get("vendor_order_item_tax_rate")
            if rate is not None and not is_number(rate):
                fail(f"{where}.vendor_order_item_tax_rate", "The tax rate must be a number.")


class _RateLimited(Refused):
    def __init__(self, retry_after: float) -> None:
        super().__init__(429, "Too many requests")
        self.retry_after = retry_after

    def response(self) -> JSONResponse:
        body = {"success": False, "message": self.message}
        headers = {"Retry-After": f"{self.retry_after:g}"}
        return JSONResponse(body, status_code=429, headers=headers)


def label_pdf(waybill: str, body: dict[str, Any]) -> bytes:
    """A 4x6 inch label as the last-mile provider prints it: its barcode and number, the
    recipient, the service and our order reference."""
    buffer = io.BytesIO()
    width, height = 4 * inch, 6 * inch
    canvas = Canvas(buffer, pagesize=(width, height))
    canvas.setFont("Helvetica-Bold", 14)
    canvas.drawString(14, height - 28, f"SHIPGLOBAL  {body['service']}")
    canvas.setFont("Helvetica", 10)
    lines = [
        f"{body['customer_shipping_firstname']} {body['customer_shipping_lastname']}",
        body["customer_shipping_address"],
        f"{body['customer_shipping_city']} {body['customer_shipping_state']}",
        f"{body['customer_shipping_postcode']} {body['customer_shipping_country_code']}",
        f"REF {body['order_reference']}",
    ]
    for row, line in enumerate(lines):
        canvas.drawString(14, height - 60 - 14 * row, str(line)[:48])
    barcode = Code128(waybill, barHeight=60, barWidth=1.1)
    barcode.drawOn(canvas, 14, 90)
    canvas.setFont("Helvetica-Bold", 12)
    canvas.drawString(20, 70, waybill)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
