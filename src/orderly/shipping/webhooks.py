"""Pushed tracking events: the organization's public account token and its signing secret.

How a sender signs, and why old signatures are refused: docs/shipping.md, "Tracking events
pushed by carriers".
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.vault import Vault
from orderly.shipping import repository as repo
from orderly.shipping.errors import TrackingSignatureInvalid

SIGNATURE_HEADER = "X-Orderly-Signature"
ACCOUNT_HEADER = "X-Orderly-Account"
TOLERANCE_SECONDS = 300


async def ensure_webhook(conn: AsyncConnection, org_id: int, *, vault: Vault) -> tuple[str, str]:
    """The organization's (account token, secret), created on first use."""
    row = await repo.webhook_for_org(conn, org_id)
    if row is None:
        await repo.insert_webhook(
            conn,
            org_id,
            account_token="trk_" + secrets.token_urlsafe(18),
            secret_encrypted=vault.seal("whsec_" + secrets.token_urlsafe(32)),
        )
        row = await repo.webhook_for_org(conn, org_id)
        assert row is not None
    return row["account_token"], vault.open(row["secret_encrypted"])


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value a sender puts in X-Orderly-Signature."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str, header: str | None, body: bytes, *, now: float | None = None
) -> None:
    if not header:
        raise TrackingSignatureInvalid(f"send the {SIGNATURE_HEADER} header")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise TrackingSignatureInvalid(f"{SIGNATURE_HEADER} must read t=<unix time>,v1=<hex>")
    current = time.time() if now is None else now
    if abs(current - timestamp) > TOLERANCE_SECONDS:
        raise TrackingSignatureInvalid("the signature's timestamp is more than 5 minutes off")
    expected = _digest(secret, timestamp, body)
    # Check every candidate, without stopping early, in constant time.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise TrackingSignatureInvalid("the signature does not match the body")


async def authenticate_push(
    conn: AsyncConnection,
    *,
    account_token: str | None,
    signature: str | None,
    body: bytes,
    vault: Vault,
) -> int:
    """The organization that signed this push, or 401 (the same answer for every failure)."""
    row = await repo.webhook_by_token(conn, account_token) if account_token else None
    if row is None:
        raise TrackingSignatureInvalid(
            f"name the account with {ACCOUNT_HEADER} (or ?account=) and sign the body"
        )
    verify_signature(vault.open(row["secret_encrypted"]), signature, body)
    return int(row["org_id"])
