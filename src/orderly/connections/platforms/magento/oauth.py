"""Magento integrations sign every REST call with OAuth 1.0a (RFC 5849): the integration's four
credentials sign each request with HMAC-SHA256 (Magento also accepts HMAC-SHA1)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Generator, Mapping
from typing import Any

import httpx
from authlib.oauth1 import ClientAuth  # type: ignore[import-untyped]
from authlib.oauth1.rfc5849.signature import (  # type: ignore[import-untyped]
    generate_signature_base_string,
)
from authlib.oauth1.rfc5849.util import escape  # type: ignore[import-untyped]

HMAC_SHA256 = "HMAC-SHA256"
HMAC_SHA1 = "HMAC-SHA1"
SIGNATURE_METHODS = (HMAC_SHA256, HMAC_SHA1)
CREDENTIAL_KEYS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")


def hmac_sha256_signature(base_string: str, consumer_secret: str, token_secret: str) -> str:
    """RFC 5849's HMAC method with SHA-256 as the hash, as Magento computes it."""
    key = f"{escape(consumer_secret)}&{escape(token_secret)}"
    digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _sign_hmac_sha256(client: Any, request: Any) -> str:
    base_string = generate_signature_base_string(request)
    return hmac_sha256_signature(base_string, client.client_secret or "", client.token_secret or "")


class MagentoOAuth(httpx.Auth):
    """Signs each request in the Authorization header; JSON bodies are not signed (RFC 5849
    signs only form-encoded bodies, and so does Magento)."""

    def __init__(self, credentials: Mapping[str, str], *, method: str = HMAC_SHA256) -> None:
        if method not in SIGNATURE_METHODS:
            raise ValueError(f"Magento accepts {' or '.join(SIGNATURE_METHODS)}, not {method}")
        self._client = ClientAuth(
            credentials["consumer_key"],
            client_secret=credentials["consumer_secret"],
            token=credentials["access_token"],
            token_secret=credentials["access_token_secret"],
            signature_method=method,
        )
        # On this instance only: the library's shared table stays untouched.
        self._client.SIGNATURE_METHODS = {
            **ClientAuth.SIGNATURE_METHODS,
            HMAC_SHA256: _sign_hmac_sha256,
        }

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        headers = {"Content-Type": request.headers.get("content-type", "application/json")}
        _, signed, _ = self._client.prepare(request.method, str(request.url), headers, b"")
        request.headers["Authorization"] = signed["Authorization"]
        yield request
