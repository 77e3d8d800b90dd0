"""One Stripe account's calls: the secret key as a bearer token, form-encoded bodies (Stripe's
v1 API takes no JSON), an Idempotency-Key on every POST, JSON answers. A POST whose answer was
lost is sent again with the same key, which Stripe answers with the first result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from orderly.kit.outbound import OutboundPolicy
from orderly.kit.vendor_http import RetryPolicy, VendorHttp, routed_transport, vendor_http
from orderly.payments.providers.stripe.errors import (
    STRIPE_ERRORS,
    RateLimitBackoff,
    StripeAccountInvalid,
    StripeOutcomeUnknown,
    response_hook,
)

PRODUCTION = "https://api.stripe.com"
KEY_PREFIXES = ("sk_", "rk_")  # secret keys, and restricted keys
LONGEST_IDEMPOTENCY_KEY = 255

Fields = Sequence[tuple[str, str | int | bool]]


def stripe_retry(timeout: float) -> RetryPolicy:
    """Waits that suit a payment job: a few attempts, backoff up to 5 s, a Retry-After up to a
    minute waited out, past that the job is rescheduled."""
    return RetryPolicy(
        attempts=4, first_wait=0.5, longest_backoff=5.0, longest_wait=60.0, timeout=timeout
    )


def form(fields: Fields) -> str:
    """Stripe's form encoding: booleans as `true`/`false`, lists as repeated `name[]`."""
    return urlencode([(name, _form_value(value)) for name, value in fields])


def _form_value(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def path_id(value: str, *, field: str) -> str:
    """An object id as one path segment; an empty id is refused before any call."""
    if not value or not value.strip():
        raise StripeAccountInvalid(f"{field} is required", field=field)
    return quote(value, safe="")


class StripeApi:
    def __init__(
        self,
        secret_key: str,
        *,
        base_url: str,
        transport: httpx.AsyncBaseTransport | None,
        timeout: float,
    ) -> None:
        if not secret_key.startswith(KEY_PREFIXES) or len(secret_key) < 8:
            raise StripeAccountInvalid(
                "the Stripe account needs its secret key (sk_...) or a restricted key (rk_...)",
                field="credentials.secret_key",
            )
        self._secret_key = secret_key
        self.base = base_url.rstrip("/")
        self.retry = stripe_retry(timeout)
        self._backoff = RateLimitBackoff(
            first_wait=self.retry.first_wait, longest=self.retry.longest_backoff
        )
        self.http: VendorHttp = vendor_http(
            "Stripe",
            errors=STRIPE_ERRORS,
            policy=OutboundPolicy(),
            retry=self.retry,
            transport=transport or routed_transport(self.base),
        )
        self.http.client.event_hooks["response"].append(response_hook(self._backoff))

    def __repr__(self) -> str:
        return f"StripeApi({self.base!r}, key=…{self._secret_key[-4:]})"

    async def aclose(self) -> None:
        await self.http.client.aclose()

    async def get(self, path: str, query: Fields = ()) -> dict[str, Any]:
        response = await self.http.send(
            "GET", f"{self.base}{path}", params=form(query) or None, headers=self._headers()
        )
        return json_object(response)

    async def post(self, path: str, fields: Fields, *, idempotency_key: str) -> dict[str, Any]:
        """Stripe's answer to a POST; retried (timeouts, 5xx, 429) with the same key."""
        key = idempotency_key.strip()
        if not key or len(key) > LONGEST_IDEMPOTENCY_KEY:
            raise StripeAccountInvalid(
                f"the idempotency key must have 1 to {LONGEST_IDEMPOTENCY_KEY} characters",
                field="idempotency_key",
            )
        headers = {
            **self._headers(),
            "Content-Type": "application/x-www-form-urlencoded",
            "Idempotency-Key": key,
        }
        response = await self.http.send(
            "POST", f"{self.base}{path}", content=form(fields).encode(), headers=headers
        )
        return json_object(response)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._secret_key}", "Accept": "application/json"}


def json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise StripeOutcomeUnknown(f"Stripe answered {response.status_code} without a JSON object")
    return body
