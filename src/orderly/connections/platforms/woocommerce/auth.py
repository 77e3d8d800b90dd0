"""How a WooCommerce request proves its keys: HTTP Basic over HTTPS, and OAuth 1.0a one-legged
signing in the query string over plain HTTP, where WooCommerce refuses Basic."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Generator

import httpx
from authlib.oauth1.rfc5849.signature import (  # type: ignore[import-untyped]
    construct_base_string,
    hmac_sha1_signature,
)


class OAuth1QueryAuth(httpx.Auth):
    """Signs method, URL and query with HMAC-SHA1 and adds the oauth_* parameters to the query.
    The body is not signed (WooCommerce signs only the query and form fields)."""

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        *,
        wall_time: Callable[[], float] = time.time,
    ) -> None:
        self._key = consumer_key
        self._secret = consumer_secret
        self._wall_time = wall_time

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        oauth = [
            ("oauth_consumer_key", self._key),
            ("oauth_nonce", secrets.token_hex(16)),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", str(int(self._wall_time()))),
        ]
        params = [*request.url.params.multi_items(), *oauth]
        bare = str(request.url.copy_with(query=None))
        base = construct_base_string(request.method, bare, params)
        signature = hmac_sha1_signature(base, self._secret, None)
        request.url = request.url.copy_merge_params([*oauth, ("oauth_signature", signature)])
        yield request


def store_auth(base_url: str, consumer_key: str, consumer_secret: str) -> httpx.Auth:
    if base_url.lower().startswith("https://"):
        return httpx.BasicAuth(consumer_key, consumer_secret)
    return OAuth1QueryAuth(consumer_key, consumer_secret)
