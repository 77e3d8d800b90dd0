"""A fake UPS built from UPS's OpenAPI specifications (OAuth client credentials, Rating,
Shipping with Void, Tracking by number and by reference, Address Validation) and the error
code tables of its developer guides; the checks themselves live in the ups_* modules beside it.

As UPS does: a Bearer token from /security/v1/oauth/token (HTTP Basic with the client id and
secret, form grant_type=client_credentials) that lapses after `expires_in` seconds on the test
clock; every error as {"response": {"errors": [{"code", "message"}]}}. Knobs: `fail_next`
(5xx), `rate_limit_next` (429 with Retry-After), `revoke_tokens`; label purchases carried out
are counted in `ship_requests`, and answers can be lost on the way back with `TimingOut`."""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from tests.clock import MovableClock
from tests.shipping.carriers.fakes import ups_rating, ups_shipping, ups_tracking
from tests.shipping.carriers.fakes.ups_records import KNOWN_ADDRESSES, Activity, Shipment
from tests.shipping.carriers.fakes.ups_rules import UpsFault, bad

FAKE_BASE = "https://wwwcie.ups.test"
VERSION = "v2409"
XAV_VERSION = "v2"
TOKEN_PATH = "/security/v1/oauth/token"
# The lifetime UPS's token answers show (four hours less a second).
TOKEN_LIFETIME = 14399
START = date(2026, 11, 23)

Handler = Callable[[Request, Any, str], dict[str, Any]]


class FakeUps:
    def __init__(
        self,
        clock: MovableClock | None = None,
        *,
        account_number: str = "8R7X44",
        token_lifetime: int = TOKEN_LIFETIME,
        today: date = START,
    ) -> None:
        self.clock = clock or MovableClock()
        self.account_number = account_number
        self.client_id = "ups-client-" + secrets.token_hex(6)
        self.client_secret = "ups-secret-" + secrets.token_hex(12)
        self.token_lifetime = token_lifetime
        self.today = today
        self.local_offset = timedelta(hours=-5)
        # Whether the account has negotiated (contract) rates, which UPS then quotes too.
        self.negotiated_rates = True
        self.tokens: dict[str, float] = {}  # access token -> expiry on the clock
        self.token_requests = 0
        self.ship_requests = 0
        self.requests: list[tuple[str, str, Any]] = []
        self.shipments: dict[str, Shipment] = {}
        self.addresses = list(KNOWN_ADDRESSES)
        self.serials = itertools.count(1000001)
        self._started = self.clock.now()
        self._failures: list[int] = []
        self._rate_limits: list[int] = []

    # --- for tests -----------------------------------------------------------------------

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

    def now(self) -> datetime:
        """Nine in the morning UTC of `today`, moved on by the test clock."""
        opened = datetime.combine(self.today, time(9), UTC)
        return opened + timedelta(seconds=self.clock.now() - self._started)

    def fail_next(self, count: int, *, status: int = 503) -> None:
        self._failures.extend([status] * count)

    def rate_limit_next(self, count: int, *, retry_after: int = 3) -> None:
        self._rate_limits.extend([retry_after] * count)

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def bodies(self, path_part: str) -> list[dict[str, Any]]:
        """The JSON bodies received on paths containing `path_part`, oldest first."""
        return [body for _, path, body in self.requests if path_part in path and body]

    def calls(self, path_part: str) -> int:
        return sum(path_part in path for _, path, _ in self.requests)

    def shipment_of_package(self, number: str) -> Shipment | None:
        return next((s for s in self.shipments.values() if number in s.packages), None)

    def add_activity(
        self,
        tracking_number: str,
        kind: str,
        status_code: str,
        description: str,
        at: datetime,
        *,
        city: str = "",
        state: str = "",
        country: str = "US",
    ) -> None:
        shipment = self.shipment_of_package(tracking_number)
        assert shipment is not None, f"no package {tracking_number}"
        event = Activity(kind, status_code, description, at, city, state, country)
        shipment.activity[tracking_number].append(event)

    # --- HTTP ----------------------------------------------------------------------------

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self._answer(request)
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        raw = await request.body()
        body = None
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                body = json.loads(raw)
            except ValueError:
                return bad("10001", "The request is not well formed").response()
        self.requests.append((request.method, request.url.path, body))
        if self._rate_limits:
            wait = self._rate_limits.pop(0)
            limited = UpsFault(429, "10429", "Too Many Requests")
            return limited.response({"Retry-After": str(wait)})
        if self._failures:
            status = self._failures.pop(0)
            return UpsFault(status, str(status), "Service Unavailable").response()
        try:
            return JSONResponse(self._route(request, raw, body))
        except UpsFault as fault:
            return fault.response()

    def _route(self, request: Request, raw: bytes, body: Any) -> dict[str, Any]:
        path, method = request.url.path, request.method
        if path == TOKEN_PATH and method == "POST":
            return self._token(request, raw)
        routes: list[tuple[str, str, Handler]] = [
            ("POST", rf"/api/rating/{VERSION}/(\w+)", self._rate),
            ("POST", rf"/api/shipments/{VERSION}/ship", self._ship),
            ("DELETE", rf"/api/shipments/{VERSION}/void/cancel/([^/]+)", self._void),
            ("GET", r"/api/track/v1/details/([^/]+)", self._track),
            ("GET", r"/api/track/v1/reference/details/([^/]+)", self._track_reference),
            ("POST", rf"/api/addressvalidation/{XAV_VERSION}/(\w+)", self._validate),
        ]
        for route_method, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match and route_method == method:
                self._authenticate(request)
                return handler(request, body, match.group(1) if match.groups() else "")
        raise UpsFault(404, "404", "Resource not found")

    def _rate(self, request: Request, body: Any, option: str) -> dict[str, Any]:
        return ups_rating.rate(
            body,
            option,
            account_number=self.account_number,
            negotiated_rates=self.negotiated_rates,
            today=self.today,
        )

    def _ship(self, request: Request, body: Any, _: str) -> dict[str, Any]:
        return ups_shipping.ship(self, body)

    def _void(self, request: Request, body: Any, number: str) -> dict[str, Any]:
        return ups_shipping.void(self, number)

    def _track(self, request: Request, body: Any, number: str) -> dict[str, Any]:
        return ups_tracking.track(self, request, number)

    def _track_reference(self, request: Request, body: Any, reference: str) -> dict[str, Any]:
        return ups_tracking.track_reference(self, request, reference)

    def _validate(self, request: Request, body: Any, option: str) -> dict[str, Any]:
        return ups_tracking.validate(self, request, body, option)

    # --- OAuth ---------------------------------------------------------------------------

    def _client(self, request: Request) -> tuple[str, str]:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return "", ""
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = decoded.partition(":")
        return client_id, secret

    def _token(self, request: Request, raw: bytes) -> dict[str, Any]:
        self.token_requests += 1
        client_id, secret = self._client(request)
        if client_id != self.client_id or secret != self.client_secret:
            raise UpsFault(401, "10401", "ClientId is Invalid")
        form = parse_qs(raw.decode())
        content_type = request.headers.get("content-type", "")
        if "x-www-form-urlencoded" not in content_type or form.get("grant_type") != [
            "client_credentials"
        ]:
            raise bad("10400", "Invalid/Missing Grant Type")
        token = secrets.token_urlsafe(32)
        self.tokens[token] = self.clock.now() + self.token_lifetime
        return {
            "token_type": "Bearer",
            "issued_at": str(int(self.now().timestamp() * 1000)),
            "client_id": client_id,
            "access_token": token,
            "scope": "",
            "expires_in": str(self.token_lifetime),
            "refresh_count": "0",
            "status": "approved",
        }

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        expiry = self.tokens.get(token)
        if expiry is None or self.clock.now() >= expiry:
            raise UpsFault(401, "250002", "Invalid Authentication Information.")
