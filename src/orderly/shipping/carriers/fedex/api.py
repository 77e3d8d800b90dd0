"""One FedEx account's calls: an OAuth token (client credentials, form-encoded, cached per
account until shortly before `expires_in` runs out), then JSON with the bearer token."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx

from orderly.kit.vendor_http import VendorHttp
from orderly.shipping.carriers.fedex.errors import FedExAccountInvalid, raise_for_fedex_error
from orderly.shipping.carriers.http import base_url, carrier_http
from orderly.shipping.carriers.tokens import TOKENS
from orderly.shipping.domain import CarrierAccount
from orderly.shipping.errors import CarrierFailed, LabelOutcomeUnknown

PRODUCTION = "https://apis.fedex.com"
SANDBOX = "https://apis-sandbox.fedex.com"
LOCALE = "en_US"
CREDENTIAL_KEYS = ("client_id", "client_secret")


class FedExApi:
    def __init__(self, account: CarrierAccount) -> None:
        self.account = account
        self.base = base_url(account, PRODUCTION)
        self.client_id = str(account.credentials.get("client_id") or "")
        self.client_secret = str(account.credentials.get("client_secret") or "")
        self._token_key = ("fedex", self.base, self.client_id)
        self._http: VendorHttp | None = None

    @property
    def http(self) -> VendorHttp:
        # Built on first use: an account is built for every quote, most never call FedEx.
        if self._http is None:
            self._http = carrier_http(self.account, self.base)
            self._http.client.event_hooks["response"].append(raise_for_fedex_error)
        return self._http

    async def _fetch_token(self) -> tuple[str, float]:
        missing = [key for key in CREDENTIAL_KEYS if not self.account.credentials.get(key)]
        if missing:
            raise FedExAccountInvalid(
                f"the FedEx account needs the credentials {', '.join(missing)}",
                field=f"credentials.{missing[0]}",
            )
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        response = await self.http.send(
            "POST",
            f"{self.base}/oauth/token",
            content=urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        body = json_body(response)
        token, lifetime = body.get("access_token"), body.get("expires_in")
        if not token or not isinstance(lifetime, int | float):
            raise CarrierFailed("FedEx answered the token request without a token")
        return str(token), float(lifetime)

    async def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any],
        *,
        once: bool = False,
        transaction_id: str = "",
    ) -> Any:
        """FedEx's JSON answer to `body` at `path`; `once` for a call never to be repeated
        blindly (a label purchase). A refused token is fetched again once."""
        headers = {"X-locale": LOCALE}
        if transaction_id:
            headers["x-customer-transaction-id"] = transaction_id

        async def send(token: str) -> Any:
            response = await self.http.send(
                method,
                f"{self.base}{path}",
                json=body,
                headers={**headers, "Authorization": f"Bearer {token}"},
                once=once,
            )
            # An unreadable answer to a purchase leaves its outcome unknown.
            return json_body(response, failure=LabelOutcomeUnknown if once else CarrierFailed)

        return await TOKENS.call(self._token_key, self._fetch_token, send)


def json_body(
    response: httpx.Response, *, failure: type[CarrierFailed] = CarrierFailed
) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise failure(f"FedEx answered {response.status_code} without JSON") from None
    if not isinstance(body, dict):
        raise failure(f"FedEx answered {response.status_code} with unexpected JSON")
    return body
