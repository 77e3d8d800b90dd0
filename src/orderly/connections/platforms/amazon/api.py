"""Calls to one seller's Selling Partner API: the regional endpoint from the connection's base
URL, the access token in `x-amz-access-token` on every call (a Restricted Data Token for the
calls that return the buyer's details), and one more try with a new token when Amazon says
the one it was given expired or was revoked."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from orderly.connections.errors import CredentialsRefused, PlatformRefused
from orderly.connections.platforms.amazon import throttle
from orderly.connections.platforms.amazon.auth import (
    TOKENS,
    Credentials,
    lwa_token,
    restricted_token_of,
)
from orderly.connections.platforms.amazon.errors import read_refusals, token_refused
from orderly.connections.port import PlatformAccess
from orderly.kit.clock import utcnow

ORDERS_PATH = "/orders/v0/orders"
RDT_PATH = "/tokens/2021-03-01/restrictedDataToken"
# The personal data an order's RDT opens: the buyer's name and e-mail, the address to ship to.
PII_ELEMENTS = ("buyerInfo", "shippingAddress")
USER_AGENT = "Orderly (Language=Python)"
RDT_ROLES = (
    "Amazon refused a Restricted Data Token for the buyer's details: the application needs the "
    "Direct-to-Consumer Shipping (Restricted) and Tax Invoicing or Tax Remittance (Restricted) "
    "roles, and the seller's authorization of them"
)


class AmazonApi:
    def __init__(self, access: PlatformAccess, *, seller_id: str) -> None:
        self.access = access
        self.http = access.http
        self.root = access.base_url.strip().rstrip("/")
        self.host = urlsplit(self.root).netloc
        self.credentials = Credentials(
            client_id=access.credentials["client_id"],
            client_secret=access.credentials["client_secret"],
            refresh_token=access.credentials["refresh_token"],
        )
        # Tokens are kept under the credentials the connector was built with (a refresh token
        # Amazon rotates mid-run is kept, not a reason to fetch again).
        self._token_key = self.credentials.key(self.host)
        # Usage plans count per selling partner and application.
        account = f"{self.host}|{self.credentials.client_id}|{seller_id}"
        # The throttle first: it must see a 429 before the refusal hook sees other 4xx.
        throttle.install(self.http, account)
        read_refusals(self.http)

    # Tokens

    async def access_token(self) -> str:
        async def fetch() -> tuple[str, float]:
            grant = await lwa_token(self.http, self.credentials)
            if grant.new_refresh_token:
                await self._keep(grant.new_refresh_token)
            return grant.access_token, grant.lifetime

        return await TOKENS.token(self._token_key, self.http.clock.now, fetch)

    async def _keep(self, refresh_token: str) -> None:
        """Login with Amazon may hand back a new refresh token: it is kept on the connection
        before anything else, and used from now on."""
        credentials = {**self.access.credentials, "refresh_token": refresh_token}
        if self.access.keep_credentials is not None:
            await self.access.keep_credentials(credentials)
        self.credentials = replace(self.credentials, refresh_token=refresh_token)

    def _rdt_key(self, path: str) -> str:
        return f"{self._token_key}|rdt|GET {path}"

    async def restricted_token(self, path: str) -> str:
        """An RDT for GET `path` with the buyer's details. The one for the order search serves
        every page for its hour and is kept; one for a single order is used once."""

        async def fetch() -> tuple[str, float]:
            resource = {"method": "GET", "path": path, "dataElements": list(PII_ELEMENTS)}
            try:
                body = await self.call("POST", RDT_PATH, body={"restrictedResources": [resource]})
            except (CredentialsRefused, PlatformRefused) as refused:
                raise type(refused)(f"{RDT_ROLES}. {refused.detail}", extra=refused.extra) from None
            return restricted_token_of(body)

        if path == ORDERS_PATH:
            return await TOKENS.token(self._rdt_key(path), self.http.clock.now, fetch)
        return (await fetch())[0]

    # Calls

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        restricted: bool = False,
    ) -> Any:
        """Amazon's JSON answer ({} for none); `restricted` sends an RDT for this path."""

        async def token() -> str:
            return await self.restricted_token(path) if restricted else await self.access_token()

        value = await token()
        try:
            return await self._send(method, path, value, params=params, body=body)
        except CredentialsRefused as refused:
            if not token_refused(refused):
                raise
            TOKENS.forget(self._rdt_key(path) if restricted else self._token_key, value)
            return await self._send(method, path, await token(), params=params, body=body)

    async def _send(
        self, method: str, path: str, token: str, *, params: dict[str, str] | None, body: Any
    ) -> Any:
        headers = {
            "x-amz-access-token": token,
            "x-amz-date": utcnow().strftime("%Y%m%dT%H%M%SZ"),
            "user-agent": USER_AGENT,
            "accept": "application/json",
        }
        response = await self.http.send(
            method, f"{self.root}{path}", params=params, json=body, headers=headers
        )
        if not response.content:
            return {}
        try:
            return json.loads(response.content)
        except ValueError:
            raise PlatformRefused(f"amazon answered {response.status_code} without JSON") from None


def payload_of(body: Any, what: str) -> dict[str, Any]:
    """The `payload` of an Orders API answer; errors in a 200 are refused."""
    if not isinstance(body, dict):
        raise PlatformRefused(f"amazon's {what} answer is not an object")
    if body.get("errors") and not body.get("payload"):
        raise PlatformRefused(f"amazon's {what} answer carries errors: {body['errors']}")
    payload = body.get("payload")
    return payload if isinstance(payload, dict) else {}
