"""The fake MyDHL API as one ASGI app: Basic auth and the `x-version` header on every call,
throttling and outages on demand, routing to the operations, and what tests look at (calls
made, bodies posted, shipments kept)."""

from __future__ import annotations

import base64
import itertools
import json
import math
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from tests.clock import MovableClock
from tests.shipping.carriers.fakes.dhl import tracking
from tests.shipping.carriers.fakes.dhl.address import validate_address
from tests.shipping.carriers.fakes.dhl.network import Place
from tests.shipping.carriers.fakes.dhl.problems import (
    INSTANCE,
    DhlProblem,
    bad_request,
    validation_error,
    wrong_format,
)
from tests.shipping.carriers.fakes.dhl.rates import rates
from tests.shipping.carriers.fakes.dhl.schema import schema_errors
from tests.shipping.carriers.fakes.dhl.shipments import Shipment, create_shipment

BASE_PATH = "/mydhlapi/test"
# Interface versions the fake serves; the published specifications' own version numbers.
VERSIONS = frozenset({"2.12.0", "3.2.2", "3.3.1", "3.3.2"})

Operation = Callable[["FakeDhlExpress", Request, str], Awaitable[Response]]
ROUTES: dict[tuple[str, str], Operation] = {
    ("POST", "/rates"): rates,
    ("POST", "/shipments"): create_shipment,
    ("GET", "/tracking"): tracking.track_many,
    ("GET", "/address-validate"): validate_address,
}
TRACK_ONE = re.compile(r"/shipments/[^/]+/tracking")


class FakeDhlExpress:
    vendor = "dhl_express"
    base_path = BASE_PATH

    def __init__(
        self,
        clock: MovableClock | None = None,
        *,
        today: date | None = None,
        username: str = "dhl-api-key",
        password: str = "dhl-api-secret",
        account_number: str = "123456789",
        rate_limit: tuple[int, float] | None = None,
    ) -> None:
        self.clock = clock or MovableClock()
        self.today = today or datetime.now(UTC).date()
        self.username, self.password, self.account_number = username, password, account_number
        self.rate_limit = rate_limit
        self.shipments: dict[str, Shipment] = {}
        self.requests: list[tuple[str, str]] = []
        self.bodies: list[tuple[str, dict[str, Any]]] = []
        self.places: list[Place] = [
            Place("CZ", "14800", "PRAGUE", "PRG", "PRAGUE-CZ", "+01:00"),
            Place("DE", "10115", "BERLIN", "BER", "BERLIN-DE", "+01:00"),
            Place("GB", "EC1A 1BB", "LONDON", "LON", "LONDON-GB", "+00:00"),
            Place("US", "10001", "NEW YORK", "JFK", "NEW YORK-US", "-05:00"),
            Place("US", "94103", "SAN FRANCISCO", "SFO", "SAN FRANCISCO-US", "-08:00"),
        ]
        self._failures: list[int] = []
        self._throttles: list[int] = []
        self._window = (0.0, 0)
        self._waybills = itertools.count(481_902_117)
        self._piece_ids = itertools.count(3_889_482_921)

    # --- for tests -----------------------------------------------------------------------------

    @property
    def app(self) -> Any:
        return self._asgi

    @property
    def credentials(self) -> dict[str, str]:
        return {
            "username": self.username,
            "password": self.password,
            "account_number": self.account_number,
        }

    @property
    def shipments_made(self) -> int:
        return len(self.shipments)

    def calls_to(self, path: str, method: str = "") -> int:
        return sum(1 for m, p in self.requests if p == path and (not method or m == method))

    def posted(self, path: str) -> list[dict[str, Any]]:
        return [body for p, body in self.bodies if p == path]

    def fail_next(self, count: int, *, status: int = 503) -> None:
        self._failures.extend([status] * count)

    def throttle_next(self, count: int, *, retry_after: int = 5) -> None:
        self._throttles.extend([retry_after] * count)

    def revoke_password(self) -> None:
        """The account's password is changed at DHL (the developer portal's reset)."""
        self.password = self.password + "-revoked"

    def scan(
        self,
        number: str,
        code: str,
        moment: datetime,
        *,
        place: tuple[str, str] = ("PRG", "PRAGUE-CZ"),
        signed_by: str = "",
    ) -> None:
        """A checkpoint of the shipment (`moment` in the place's local time with its offset),
        on the shipment and each of its pieces."""
        event = tracking.checkpoint(code, moment, place=place, signed_by=signed_by)
        shipment = self.shipments[number]
        shipment.events.append(event)
        for piece in shipment.pieces:
            shipment.piece_events.setdefault(piece, []).append(event)

    def add_place(self, place: Place) -> None:
        self.places.append(place)

    # --- for the operations --------------------------------------------------------------------

    def next_waybill(self) -> str:
        serial = next(self._waybills)
        return f"{serial:09d}{serial % 7}"

    def next_piece_id(self) -> str:
        return f"JD01460000{next(self._piece_ids):010d}"

    async def read_body(self, request: Request, path: str, schema: Any) -> dict[str, Any]:
        """The JSON body, kept for tests and checked against the specification's schema."""
        try:
            body = json.loads(await request.body(), parse_float=Decimal)
        except ValueError:
            raise bad_request("Request body is not valid JSON") from None
        self.bodies.append((path, body if isinstance(body, dict) else {}))
        errors = schema_errors(body, schema)
        if errors:
            raise validation_error(errors)
        return dict(body)

    def check_account(self, accounts: list[dict[str, Any]]) -> None:
        for account in accounts:
            if account["typeCode"] == "shipper" and account["number"] != self.account_number:
                raise bad_request(
                    "The account number is not found or invalid. Please check the account "
                    "number and retry."
                )

    # --- HTTP ----------------------------------------------------------------------------------

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self._answer(request)
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        path = request.url.path.removeprefix(BASE_PATH)
        query = request.url.query
        instance = INSTANCE + path + (f"?{query}" if query else "")
        self.requests.append((request.method, path))
        try:
            self._admit(request)
            operation = self._route(request.method, path)
            self._check_headers(request)
            return await operation(self, request, path)
        except DhlProblem as problem:
            return problem.response(instance)

    def _admit(self, request: Request) -> None:
        """Throttling, outages and Basic auth come before DHL reads the request."""
        wait = self._throttles.pop(0) if self._throttles else self._over_limit()
        if wait is not None:  # made up: DHL documents no 429 body
            raise DhlProblem(
                429,
                "Too many requests; retry later",
                title="Too Many Requests",
                message="Too Many Requests",
                headers={"Retry-After": str(wait)},
            )
        if self._failures:
            status = self._failures.pop(0)
            if status == 500:  # the specification's example of a process error
                raise DhlProblem(
                    500,
                    "999: Process failure occurred. Process ID associated for that "
                    "transaction (1234567890)",
                    title="Internal Server Error",
                    message="Internal Server Error",
                )
            raise DhlProblem(status, "Service Unavailable", title="Service Unavailable")
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        given = request.headers.get("authorization", "")
        if given != f"Basic {expected}":  # made up: the body of DHL's 401 is not documented
            raise DhlProblem(
                401,
                "Invalid Credentials",
                title="Unauthorized",
                message="Unauthorized",
                headers={"WWW-Authenticate": 'Basic realm="MyDHL API"'},
            )

    def _over_limit(self) -> int | None:
        if self.rate_limit is None:
            return None
        limit, window = self.rate_limit
        now = self.clock.now()
        start, count = self._window
        if now >= start + window:
            start, count = now, 0
        if count >= limit:
            self._window = (start, count)
            return max(1, math.ceil(start + window - now))
        self._window = (start, count + 1)
        return None

    def _check_headers(self, request: Request) -> None:
        version = request.headers.get("x-version")
        if version not in VERSIONS:  # the code and wording are an integrator's, not the spec's
            raise bad_request("9001: The x-version header value is invalid.")
        reference = request.headers.get("message-reference")
        if reference is not None and not 28 <= len(reference) <= 36:
            raise wrong_format("Message-Reference", "minLength=28, maxLength=36")

    def _route(self, method: str, path: str) -> Operation:
        if (method, path) in ROUTES:
            return ROUTES[(method, path)]
        if method == "GET" and TRACK_ONE.fullmatch(path):
            return tracking.track_one
        raise DhlProblem(404, "Resource not found", title="Not Found", message="Not Found")
