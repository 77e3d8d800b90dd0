"""A fake Stripe (v1 PaymentIntents in manual capture, Refunds), written from Stripe's published
OpenAPI specification (stripe/openapi, openapi/spec3.json) and its API documentation, served as
an `httpx.MockTransport`. It refuses what Stripe refuses: a missing or wrong secret key, a body
that is not form-encoded, a capture of an intent not in `requires_capture`, above
`amount_capturable`, or not final without multicapture, a cancel of a succeeded or cancelled
intent, a refund above what is left, an idempotency key reused for another request, and a
capture after the authorization's `capture_before`. Where Stripe's documents give no error code
for a case, the code used here is marked so in docs/payments.md, "Stripe". One module, longer
than most, because it is one vendor's API surface that the tests drive as one."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

from tests.clock import MovableClock

# The fake's calendar: the test clock's start is this Unix time (2026-11-24 15:00 UTC).
EPOCH = 1_795_532_400
# Stripe cancels an uncaptured PaymentIntent a set number of days after creation (7 by default).
AUTHORIZATION_SECONDS = 7 * 24 * 3600
MOST_CAPTURES = 50  # multicapture: at most 50 captures of one PaymentIntent
LONGEST_IDEMPOTENCY_KEY = 255
# Stripe also cancels a `processing` intent "in rare cases"; the fake never has one.
CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
)
CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
# The parameters each endpoint takes (of those Orderly could send), by their name before "[".
PARAMETERS = {
    "capture": {"amount_to_capture", "final_capture", "expand", "metadata"},
    "cancel": {"cancellation_reason", "expand"},
    "refunds": {"payment_intent", "charge", "amount", "reason", "metadata", "expand"},
}


Handler = Callable[[str, dict[str, str], list[tuple[str, str]]], dict[str, Any]]


class Invalid(Exception):
    """A request refused before execution began: Stripe keeps no idempotent result for it."""

    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.status, self.error = status, error


class Refusal(Invalid):
    """A request refused once execution began: its answer is kept for its idempotency key."""


def error(message: str, *, kind: str = "invalid_request_error", **more: Any) -> dict[str, Any]:
    return {"message": message, "type": kind, **{k: v for k, v in more.items() if v is not None}}


@dataclass
class Intent:
    id: str
    charge_id: str
    amount: int
    currency: str
    multicapture: bool
    created: int
    capture_before: int
    status: str = "requires_capture"
    amount_capturable: int = 0
    amount_received: int = 0
    amount_refunded: int = 0
    captures: int = 0
    cancellation_reason: str | None = None
    canceled_at: int | None = None


@dataclass
class Refund:
    id: str
    intent: str
    charge: str
    amount: int
    currency: str
    created: int


@dataclass
class Kept:
    """The first answer to an idempotency key, and what it was the answer to."""

    method: str
    path: str
    params: list[tuple[str, str]]
    status: int
    body: dict[str, Any]


@dataclass
class Injected:
    status: int
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    error: dict[str, Any] | None = None


class FakeStripe:
    def __init__(
        self,
        clock: MovableClock | None = None,
        *,
        secret_key: str = "sk_test_51FakeOrderlyAcct0000000000000000000000000000",
    ) -> None:
        self.clock = clock or MovableClock()
        self.started = self.clock.now()
        self.secret_key = secret_key
        self.intents: dict[str, Intent] = {}
        self.refunds: dict[str, Refund] = {}
        self.kept: dict[str, Kept] = {}
        # (method, path, idempotency key or None) of every request that reached the fake.
        self.requests: list[tuple[str, str, str | None]] = []
        self.executions: list[tuple[str, str]] = []  # (action, intent) carried out
        self._injected: list[Injected] = []
        self._random = random.Random(2026)

    # --- knobs for tests ---------------------------------------------------------------------

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def now(self) -> int:
        return EPOCH + int(self.clock.now() - self.started)

    def create_intent(
        self, amount: int, currency: str = "usd", *, multicapture: bool = False
    ) -> str:
        """A card PaymentIntent as a storefront leaves it: confirmed with capture_method=manual
        (and request_multicapture=if_available when `multicapture`), now in requires_capture."""
        created = self.now()
        intent = Intent(
            id="pi_" + self._token(24),
            charge_id="ch_" + self._token(24),
            amount=amount,
            currency=currency.lower(),
            multicapture=multicapture,
            created=created,
            capture_before=created + AUTHORIZATION_SECONDS,
            amount_capturable=amount,
        )
        self.intents[intent.id] = intent
        return intent.id

    def fail_next(
        self,
        count: int,
        *,
        status: int = 500,
        path: str = "",
        should_retry: bool | None = None,
        error_object: dict[str, Any] | None = None,
    ) -> None:
        """The next `count` requests (to paths starting with `path`) get `status`, before any
        work is done (a failure in front of Stripe's API, as a load balancer's)."""
        headers = {} if should_retry is None else {"Stripe-Should-Retry": str(should_retry).lower()}
        for _ in range(count):
            self._injected.append(Injected(status, path, headers, error_object))

    def throttle_next(self, count: int, *, path: str = "", retry_after: int | None = None) -> None:
        """The next `count` requests are rate limited (429), before the idempotency layer."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        rate_limited = error(
            "Too many requests hit the API too quickly. We recommend an exponential backoff "
            "of your requests.",
            code="rate_limit",
        )
        for _ in range(count):
            self._injected.append(Injected(429, path, headers, rate_limited))

    def captures_of(self, intent_id: str) -> int:
        return sum(
            1 for action, intent in self.executions if (action, intent) == ("capture", intent_id)
        )

    def intent_object(self, intent_id: str) -> dict[str, Any]:
        """The PaymentIntent as Stripe puts it in an event (`data.object`), as it is now."""
        intent = self._intent(intent_id, "intent")
        return self._intent_json(intent, expand=False)

    def charge_object(self, intent_id: str) -> dict[str, Any]:
        """The intent's charge as Stripe puts it in a `charge.*` event (its refunds not listed:
        Stripe no longer expands them by default)."""
        return self._charge_json(self._intent(intent_id, "intent"))

    # --- HTTP --------------------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        key = request.headers.get("idempotency-key")
        path = request.url.path
        self.requests.append((request.method, path, key))
        index = next((i for i, x in enumerate(self._injected) if path.startswith(x.path)), None)
        if index is not None:
            injected = self._injected.pop(index)
            body = {"error": injected.error or error("An unknown error occurred", kind="api_error")}
            return httpx.Response(injected.status, json=body, headers=injected.headers)
        try:
            self._authenticate(request)
            if request.method == "GET":
                status, body = 200, self._get(path, self._query(request))
            elif request.method == "POST":
                status, body = self._post(request, path, key)
            else:
                raise Invalid(404, self._unrecognized(request))
        except Invalid as refused:
            status, body = refused.status, {"error": refused.error}
        return httpx.Response(status, json=body, headers={"Request-Id": "req_" + self._token(14)})

    def _authenticate(self, request: httpx.Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given:
            raise Invalid(
                401,
                error(
                    "You did not provide an API key. You need to provide your API key in the "
                    "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                    "YOUR_SECRET_KEY')."
                ),
            )
        if not hmac.compare_digest(given.encode(), self.secret_key.encode()):
            raise Invalid(401, error(f"Invalid API Key provided: {given[:8]}****{given[-4:]}"))

    def _unrecognized(self, request: httpx.Request) -> dict[str, Any]:
        return error(f"Unrecognized request URL ({request.method}: {request.url.path}).")

    @staticmethod
    def _query(request: httpx.Request) -> list[tuple[str, str]]:
        return [(k, v) for k, v in request.url.params.multi_items()]

    def _get(self, path: str, query: list[tuple[str, str]]) -> dict[str, Any]:
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[:2] == ["v1", "payment_intents"]:
            intent = self._intent(parts[2], "intent")
            return self._intent_json(intent, expand=self._expands(query))
        raise Invalid(404, error(f"Unrecognized request URL (GET: {path})."))

    def _post(
        self, request: httpx.Request, path: str, key: str | None
    ) -> tuple[int, dict[str, Any]]:
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type != "application/x-www-form-urlencoded":
            raise Invalid(
                400,
                error(
                    "Invalid request (check that your POST content type is "
                    "application/x-www-form-urlencoded)."
                ),
            )
        try:
            params = parse_qsl(
                request.content.decode(), keep_blank_values=True, strict_parsing=False
            )
        except UnicodeDecodeError:
            raise Invalid(400, error("Invalid request body.")) from None
        if key is not None:
            if not key or len(key) > LONGEST_IDEMPOTENCY_KEY:
                raise Invalid(400, error("Idempotency keys must be at most 255 characters long."))
            kept = self.kept.get(key)
            if kept is not None:
                return self._replay(kept, request.method, path, params, key)
        action, run = self._route(path)
        self._check_parameters(action, params)
        try:
            status, body = 200, run(path, dict(params), params)
        except Refusal as refused:
            status, body = refused.status, {"error": refused.error}
        if key is not None:
            self.kept[key] = Kept(request.method, path, sorted(params), status, body)
        return status, body

    def _replay(
        self, kept: Kept, method: str, path: str, params: list[tuple[str, str]], key: str
    ) -> tuple[int, dict[str, Any]]:
        if (kept.method, kept.path) != (method, path):
            raise Invalid(
                400,
                error(
                    "Keys for idempotent requests can only be used for the same endpoint they "
                    f"were first used for ('{path}' vs '{kept.path}'). Try using a key other "
                    f"than '{key}' if you meant to execute a different request.",
                    kind="idempotency_error",
                ),
            )
        if kept.params != sorted(params):
            raise Invalid(
                400,
                error(
                    "Keys for idempotent requests can only be used with the same parameters "
                    f"they were first used with. Try using a key other than '{key}' if you "
                    "meant to execute a different request.",
                    kind="idempotency_error",
                ),
            )
        return kept.status, kept.body

    def _route(self, path: str) -> tuple[str, Handler]:
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[:2] == ["v1", "payment_intents"]:
            if parts[3] == "capture":
                return "capture", self._capture
            if parts[3] == "cancel":
                return "cancel", self._cancel
        if parts == ["v1", "refunds"]:
            return "refunds", self._refund
        raise Invalid(404, error(f"Unrecognized request URL (POST: {path})."))

    @staticmethod
    def _check_parameters(action: str, params: list[tuple[str, str]]) -> None:
        names = [name for name, _ in params]
        for name in names:
            if name.split("[")[0] not in PARAMETERS[action]:
                raise Invalid(
                    400,
                    error(
                        f"Received unknown parameter: {name}", code="parameter_unknown", param=name
                    ),
                )
            if not name.endswith("[]") and names.count(name) > 1:
                raise Invalid(400, error(f"Invalid {name}: given more than once", param=name))

    # --- the API -----------------------------------------------------------------------------

    def _intent(self, intent_id: str, param: str) -> Intent:
        intent = self.intents.get(intent_id)
        if intent is None:
            raise Invalid(
                404,
                error(
                    f"No such payment_intent: '{intent_id}'", code="resource_missing", param=param
                ),
            )
        self._expire(intent)
        return intent

    def _expire(self, intent: Intent) -> None:
        """An authorization not captured by `capture_before` is released; Stripe cancels the
        PaymentIntent with the reason `expired`."""
        if intent.status == "requires_capture" and self.now() >= intent.capture_before:
            intent.status = "canceled"
            intent.cancellation_reason = "expired"
            intent.canceled_at = intent.capture_before
            intent.amount_capturable = 0

    def _capture(
        self, path: str, params: dict[str, str], raw: list[tuple[str, str]]
    ) -> dict[str, Any]:
        intent = self._intent(path.split("/")[3], "intent")
        amount = self._integer(params, "amount_to_capture", default=intent.amount_capturable)
        final = self._boolean(params, "final_capture", default=True)
        if intent.status != "requires_capture":
            raise self._unexpected_state(
                intent,
                f"This PaymentIntent could not be captured because it has a status of "
                f"{intent.status}. Only a PaymentIntent with one of the following statuses may "
                "be captured: requires_capture.",
            )
        if not final and not intent.multicapture:
            raise Refusal(
                400,
                error(
                    "final_capture=false can only be used when multicapture is available for "
                    "this PaymentIntent.",
                    param="final_capture",
                ),
            )
        if amount > intent.amount_capturable:
            raise Refusal(
                400,
                error(
                    f"The amount_to_capture ({amount}) must be less than or equal to the "
                    f"amount_capturable ({intent.amount_capturable}).",
                    code="amount_too_large",
                    param="amount_to_capture",
                ),
            )
        if intent.captures >= MOST_CAPTURES:
            raise Refusal(400, error("This PaymentIntent has been captured 50 times already."))
        self.executions.append(("capture", intent.id))
        intent.captures += 1
        intent.amount_received += amount
        intent.amount_capturable -= amount
        if final or intent.amount_capturable == 0:
            # The rest of the authorization is released.
            intent.amount_capturable = 0
            intent.status = "succeeded"
        return self._intent_json(intent, expand=self._expands(raw))

    def _cancel(
        self, path: str, params: dict[str, str], raw: list[tuple[str, str]]
    ) -> dict[str, Any]:
        intent = self._intent(path.split("/")[3], "intent")
        reason = params.get("cancellation_reason")
        if reason is not None and reason not in CANCELLATION_REASONS:
            raise Invalid(
                400,
                error(
                    "Invalid cancellation_reason: must be one of "
                    + ", ".join(CANCELLATION_REASONS),
                    code="parameter_invalid_string",
                    param="cancellation_reason",
                ),
            )
        if intent.status not in CANCELABLE:
            raise self._unexpected_state(
                intent,
                f"You cannot cancel this PaymentIntent because it has a status of "
                f"{intent.status}. Only a PaymentIntent with one of the following statuses may "
                "be canceled: requires_payment_method, requires_capture, requires_confirmation, "
                "requires_action, processing.",
            )
        self.executions.append(("cancel", intent.id))
        intent.status = "canceled"
        intent.cancellation_reason = reason
        intent.canceled_at = self.now()
        intent.amount_capturable = 0
        return self._intent_json(intent, expand=self._expands(raw))

    def _refund(
        self, path: str, params: dict[str, str], raw: list[tuple[str, str]]
    ) -> dict[str, Any]:
        if "payment_intent" not in params and "charge" not in params:
            raise Invalid(
                400,
                error(
                    "One of the following params should be provided for this request: "
                    "payment_intent or charge.",
                    code="parameter_missing",
                ),
            )
        if "charge" in params:
            match = [i for i in self.intents.values() if i.charge_id == params["charge"]]
            if not match:
                raise Invalid(
                    404,
                    error(
                        f"No such charge: '{params['charge']}'",
                        code="resource_missing",
                        param="charge",
                    ),
                )
            intent = match[0]
        else:
            intent = self._intent(params["payment_intent"], "payment_intent")
        left = intent.amount_received - intent.amount_refunded
        amount = self._integer(params, "amount", default=left)
        if intent.amount_received == 0:
            raise Refusal(
                400,
                error(
                    f"This PaymentIntent ({intent.id}) does not have a successful charge to "
                    "refund.",
                    param="payment_intent",
                ),
            )
        if left == 0:
            raise Refusal(
                400,
                error(
                    f"Charge {intent.charge_id} has already been refunded.",
                    code="charge_already_refunded",
                ),
            )
        if amount > left:
            raise Refusal(
                400,
                error(
                    f"Refund amount ({self._shown(amount, intent)}) is greater than unrefunded "
                    f"amount on charge ({self._shown(left, intent)})",
                    code="amount_too_large",
                    param="amount",
                ),
            )
        self.executions.append(("refund", intent.id))
        intent.amount_refunded += amount
        refund = Refund(
            id="re_" + self._token(24),
            intent=intent.id,
            charge=intent.charge_id,
            amount=amount,
            currency=intent.currency,
            created=self.now(),
        )
        self.refunds[refund.id] = refund
        return {
            "id": refund.id,
            "object": "refund",
            "amount": refund.amount,
            "balance_transaction": "txn_" + self._token(24),
            "charge": refund.charge,
            "created": refund.created,
            "currency": refund.currency,
            "metadata": {},
            "payment_intent": refund.intent,
            "reason": params.get("reason"),
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }

    # --- objects and parameters --------------------------------------------------------------

    def _intent_json(self, intent: Intent, *, expand: bool) -> dict[str, Any]:
        charge: str | dict[str, Any] = intent.charge_id
        if expand:
            charge = self._charge_json(intent)
        return {
            "id": intent.id,
            "object": "payment_intent",
            "amount": intent.amount,
            "amount_capturable": intent.amount_capturable,
            "amount_received": intent.amount_received,
            "canceled_at": intent.canceled_at,
            "cancellation_reason": intent.cancellation_reason,
            "capture_method": "manual",
            "confirmation_method": "automatic",
            "created": intent.created,
            "currency": intent.currency,
            "latest_charge": charge,
            "livemode": False,
            "metadata": {},
            "payment_method": "pm_" + intent.id[3:],
            "payment_method_options": {
                "card": {"request_multicapture": "if_available" if intent.multicapture else "never"}
            },
            "payment_method_types": ["card"],
            "status": intent.status,
        }

    def _charge_json(self, intent: Intent) -> dict[str, Any]:
        return {
            "id": intent.charge_id,
            "object": "charge",
            "amount": intent.amount,
            "amount_captured": intent.amount_received,
            "amount_refunded": intent.amount_refunded,
            "captured": intent.amount_received > 0,
            "created": intent.created,
            "currency": intent.currency,
            "livemode": False,
            "paid": True,
            "payment_intent": intent.id,
            "refunded": intent.amount_received > 0
            and intent.amount_refunded == intent.amount_received,
            "status": "succeeded",
            "payment_method_details": {
                "type": "card",
                "card": {
                    "brand": "visa",
                    "last4": "4242",
                    "exp_month": 12,
                    "exp_year": 2030,
                    "amount_authorized": intent.amount,
                    "capture_before": intent.capture_before,
                    "multicapture": {
                        "status": "available" if intent.multicapture else "unavailable"
                    },
                },
            },
        }

    def _unexpected_state(self, intent: Intent, message: str) -> Refusal:
        return Refusal(
            400,
            error(
                message,
                code="payment_intent_unexpected_state",
                payment_intent=self._intent_json(intent, expand=False),
            ),
        )

    @staticmethod
    def _expands(params: list[tuple[str, str]]) -> bool:
        return any(k == "expand[]" and v == "latest_charge" for k, v in params)

    @staticmethod
    def _integer(params: dict[str, str], name: str, *, default: int) -> int:
        if name not in params:
            return default
        value = params[name]
        if not value.isdigit() or int(value) < 1:
            raise Invalid(
                400,
                error(
                    f"Invalid positive integer: {name}",
                    code="parameter_invalid_integer",
                    param=name,
                ),
            )
        return int(value)

    @staticmethod
    def _boolean(params: dict[str, str], name: str, *, default: bool) -> bool:
        if name not in params:
            return default
        if params[name] not in ("true", "false"):
            raise Invalid(400, error(f"Invalid boolean: {params[name]}", param=name))
        return params[name] == "true"

    @staticmethod
    def _shown(amount: int, intent: Intent) -> str:
        return f"{amount / 100:.2f} {intent.currency.upper()}"

    def _token(self, length: int) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return "".join(self._random.choice(alphabet) for _ in range(length))


def sign_event(payload: bytes, secret: str, timestamp: int, *, extra: tuple[str, ...] = ()) -> str:
    """A Stripe-Signature header as Stripe builds it: t=<timestamp>,v1=<hex HMAC-SHA256 of
    "<timestamp>.<payload>">; `extra` adds more `scheme=value` elements (a v1 of a rolled
    secret, a test-mode v0)."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + payload, hashlib.sha256)
    return ",".join([f"t={timestamp}", f"v1={digest.hexdigest()}", *extra])


def event_payload(event_id: str = "evt_1FakeOrderly", kind: str = "charge.captured") -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "created": EPOCH,
            "type": kind,
            "data": {"object": {"id": "ch_fake", "object": "charge"}},
            "livemode": False,
            "pending_webhooks": 1,
        },
        separators=(",", ":"),
    ).encode()


def event_body(event_id: str, kind: str, subject: dict[str, Any]) -> bytes:
    """An event as Stripe delivers it to a webhook endpoint, about `subject`."""
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "created": EPOCH,
            "type": kind,
            "data": {"object": subject},
            "livemode": False,
            "pending_webhooks": 1,
        },
        separators=(",", ":"),
    ).encode()
