"""Etsy's OAuth 2.0 with PKCE: the authorization's start (verifier, challenge, authorize URL),
the code exchange and the refresh grant. Each refresh rotates the refresh token too, and the
process remembers the rotations so that no connector reuses a spent one."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from orderly.connections.errors import CredentialsRefused, PlatformRefused
from orderly.connections.platforms.etsy.errors import etsy_error, read_refusals
from orderly.kit.vendor_http import VendorHttp

AUTHORIZE_URL = "https://www.etsy.com/oauth/connect"
TOKEN_PATH = "/v3/public/oauth/token"  # noqa: S105 (a path, not a secret)
# Receipts and their tracking, listings and their inventory, the shop itself.
SCOPES = ("transactions_r", "transactions_w", "listings_r", "listings_w", "shops_r")
VERIFIER_BYTES = 32  # 43 characters once encoded; RFC 7636 allows 43 to 128
DEFAULT_LIFETIME = 3600.0


@dataclass(frozen=True, slots=True)
class PkcePair:
    verifier: str
    challenge: str


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    # When the access token expires, on the connection's vendor clock (None: not known).
    expires_at: float | None = None


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def challenge_of(verifier: str) -> str:
    """S256: the URL-safe base64 of the verifier's SHA-256, without padding."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def new_pkce() -> PkcePair:
    verifier = _b64url(secrets.token_bytes(VERIFIER_BYTES))
    return PkcePair(verifier=verifier, challenge=challenge_of(verifier))


def new_state() -> str:
    """A single-use, unguessable `state` for one authorization request."""
    return secrets.token_urlsafe(24)


def authorize_url(
    *,
    keystring: str,
    redirect_uri: str,
    state: str,
    challenge: str,
    scopes: tuple[str, ...] = SCOPES,
) -> str:
    """Where the seller approves Orderly; Etsy then sends `code` and `state` to the redirect
    URI, which must be https and registered on the app exactly."""
    query = {
        "response_type": "code",
        "client_id": keystring,
        "redirect_uri": redirect_uri,
        "scope": " ".join(scopes),
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{AUTHORIZE_URL}?{urlencode(query, quote_via=quote)}"


async def _token_request(http: VendorHttp, root: str, form: dict[str, str]) -> TokenPair:
    read_refusals(http)
    try:
        response = await http.send(
            "POST",
            f"{root}{TOKEN_PATH}",
            content=urlencode(form).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
    except PlatformRefused as refused:
        if etsy_error(refused) in ("invalid_grant", "invalid_client", "invalid_request"):
            raise CredentialsRefused(
                f"{refused.detail}: connect the Etsy shop again", extra=refused.extra
            ) from None
        raise
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if not isinstance(body, dict) or not body.get("access_token") or not body.get("refresh_token"):
        raise PlatformRefused("etsy's token answer carries no access and refresh token")
    lifetime = float(body.get("expires_in") or DEFAULT_LIFETIME)
    return TokenPair(
        access_token=str(body["access_token"]),
        refresh_token=str(body["refresh_token"]),
        expires_at=http.clock.now() + lifetime,
    )


async def refresh_tokens(
    http: VendorHttp, root: str, *, keystring: str, refresh_token: str
) -> TokenPair:
    """A new access token and a new refresh token; a refused refresh token (revoked, older
    than 90 days, or already spent) raises `CredentialsRefused`."""
    form = {"grant_type": "refresh_token", "client_id": keystring, "refresh_token": refresh_token}
    return await _token_request(http, root, form)


async def exchange_code(
    http: VendorHttp, root: str, *, keystring: str, redirect_uri: str, code: str, verifier: str
) -> TokenPair:
    """The first pair, from the code Etsy sent to the redirect URI (after the dashboard has
    checked that `state` is the one it sent)."""
    form = {
        "grant_type": "authorization_code",
        "client_id": keystring,
        "redirect_uri": redirect_uri,
        "code": code,
        "code_verifier": verifier,
    }
    return await _token_request(http, root, form)


def _fingerprint(keystring: str, refresh_token: str) -> tuple[str, str]:
    return keystring, hashlib.sha256(refresh_token.encode()).hexdigest()[:32]


class TokenBook:
    """The pairs this process rotated, by the refresh token they replaced: a connector built
    from credentials that were not stored again yet starts from the newest pair."""

    def __init__(self) -> None:
        self._next: dict[tuple[str, str], TokenPair] = {}

    def latest(self, keystring: str, pair: TokenPair) -> TokenPair:
        seen = 0
        while (newer := self._next.get(_fingerprint(keystring, pair.refresh_token))) is not None:
            pair, seen = newer, seen + 1
            if seen > len(self._next):
                break  # a cycle could only come from a refresh token reissued unchanged
        return pair

    def record(self, keystring: str, *, replaced: str, pair: TokenPair) -> None:
        if pair.refresh_token != replaced:
            self._next[_fingerprint(keystring, replaced)] = pair


# One book for the process: API processes and workers each keep their own.
TOKENS = TokenBook()
