"""Flipkart's notification signature: `X_Authorization: FKLOGIN base64(appId:sig)`, `sig`
the hex SHA-1 of the `X_Date` time, the notification URL, the method and the app secret. The
body is not signed, so a notification only points Orderly at a shipment to read."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

DATE_HEADERS = ("x_date", "x-date")
AUTH_HEADERS = ("x_authorization", "x-authorization")
SCHEME = "FKLOGIN"
# Flipkart's text calls the signed time an HTTP-date, but its worked example signs the same
# instant as Unix seconds: both readings are accepted.


class SignatureInvalid(ValueError):
    pass


def fk_signature(*, signed_time: str, url: str, method: str, app_secret: str) -> str:
    text = f"{signed_time}{url}{method.upper()}{app_secret}"
    # SHA-1 is Flipkart's choice for this scheme, not ours.
    return hashlib.sha1(text.encode()).hexdigest()  # noqa: S324


def authorization(app_id: str, signature: str) -> str:
    """The `X_Authorization` value Flipkart sends for a signature."""
    return f"{SCHEME} {base64.b64encode(f'{app_id}:{signature}'.encode()).decode()}"


def _header(headers: Mapping[str, str], names: tuple[str, ...]) -> str:
    return next((headers[n].strip() for n in names if headers.get(n, "").strip()), "")


def notification_time(value: str) -> datetime:
    """`X_Date` as an HTTP-date (or, as in Flipkart's example, Unix seconds)."""
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise SignatureInvalid(f"X_Date {value!r} is not an HTTP-date") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _claimed(value: str) -> tuple[str, str]:
    scheme, _, encoded = value.partition(" ")
    if scheme.upper() != SCHEME or not encoded.strip():
        raise SignatureInvalid(f"X_Authorization is not {SCHEME} credentials")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise SignatureInvalid("X_Authorization is not base64") from None
    app_id, colon, signature = decoded.partition(":")
    if not colon or not signature:
        raise SignatureInvalid("X_Authorization carries no signature")
    return app_id, signature.strip().lower()


def verify(
    *,
    app_id: str,
    app_secret: str,
    headers: Mapping[str, str],
    url: str,
    now: datetime,
    max_age: timedelta,
    method: str = "POST",
) -> None:
    """Raises `SignatureInvalid` unless the notification is signed by this application for
    this URL, at most `max_age` from `now`. `headers` have lower-cased names."""
    date, given = _header(headers, DATE_HEADERS), _header(headers, AUTH_HEADERS)
    if not date or not given:
        raise SignatureInvalid("X_Date or X_Authorization missing")
    if not url:
        raise SignatureInvalid("no notification URL to check the signature against")
    sent_at = notification_time(date)
    if abs(now - sent_at) > max_age:
        raise SignatureInvalid(f"X_Date {date!r} is too far from now")
    claimed_app, signature = _claimed(given)
    if not hmac.compare_digest(claimed_app.encode(), app_id.encode()):
        raise SignatureInvalid("X_Authorization names another application")
    candidates = {date, str(int(sent_at.timestamp()))}
    expected = [
        fk_signature(signed_time=c, url=url, method=method, app_secret=app_secret)
        for c in sorted(candidates)
    ]
    if not any(hmac.compare_digest(e.encode(), signature.encode()) for e in expected):
        raise SignatureInvalid("X_Authorization does not match the URL and time")
