"""Calls to one seller's Flipkart Marketplace Seller API: the API root from the connection's
base URL, a bearer token from the token cache on every call (fetched again on a 401), money
read as decimals, and the next-page URLs Flipkart hands out kept on Flipkart's host."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx

from orderly.connections.errors import PlatformRefused
from orderly.connections.platforms.flipkart.auth import TOKENS
from orderly.connections.platforms.flipkart.throttle import back_off_on_429
from orderly.connections.port import PlatformAccess

SELLERS = "/sellers"
JSON = "application/json"
PDF = "application/pdf"


def api_root(base_url: str) -> str:
    """`https://api.flipkart.net` from the base URL as a seller may give it (with or without
    the `/sellers` prefix the seller APIs live under)."""
    root = base_url.strip().rstrip("/")
    if root.endswith(SELLERS):
        root = root[: -len(SELLERS)]
    return root


def decoded(response: httpx.Response) -> Any:
    """The JSON answer with its numbers as decimals: Flipkart's prices are rupees in floats."""
    if not response.content:
        return {}
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError:
        raise PlatformRefused(f"flipkart answered {response.status_code} without JSON") from None


class FlipkartApi:
    def __init__(self, access: PlatformAccess) -> None:
        self.http = access.http
        self.root = api_root(access.base_url)
        self.app_id = access.credentials["app_id"]
        self._secret = access.credentials["app_secret"]
        back_off_on_429(self.http)

    def url(self, path: str) -> str:
        return f"{self.root}{path}"

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        accept: str = JSON,
    ) -> httpx.Response:
        async def request(token: str) -> httpx.Response:
            headers = {"Authorization": f"Bearer {token}", "Accept": accept}
            return await self.http.send(method, url, params=params, json=body, headers=headers)

        return await TOKENS.call(self.http, self.root, self.app_id, self._secret, request)

    async def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return decoded(await self.send("GET", self.url(path), params=params))

    async def post(self, path: str, body: Any) -> Any:
        return decoded(await self.send("POST", self.url(path), body=body))

    async def follow(self, next_page_url: str) -> Any:
        """The next page of a search, at the URL Flipkart returned for it."""
        return decoded(await self.send("GET", self.page_url(next_page_url)))

    async def token(self) -> str:
        return await TOKENS.token(self.http, self.root, self.app_id, self._secret)

    def page_url(self, next_page_url: str) -> str:
        """Flipkart's `nextPageUrl` as an absolute URL on this connection's API host; it is
        refused if it points anywhere else, so a page link can never send the token away."""
        given = next_page_url.strip()
        if urlsplit(given).scheme:
            if urlsplit(given).netloc != urlsplit(self.root).netloc:
                raise PlatformRefused(f"flipkart's next page is on another host: {given!r}")
            return given
        path = given if given.startswith("/") else f"/{given}"
        if not path.startswith(f"{SELLERS}/"):
            path = f"{SELLERS}{path}"
        return self.url(path)
